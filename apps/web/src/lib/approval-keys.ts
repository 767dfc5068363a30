import { type ApprovalView } from './api-types';

/** How long the "press a again" prompt waits for the second key before it lapses. */
export const APPROVE_AGAIN_MS = 5000;

/** A request the keyboard has armed: the next `a` before `until` approves it (YELLOW only). */
export interface ArmedApproval {
  readonly id: string;
  readonly until: number;
}

/**
 * What one press of `a` does to the selected request. A single key must never approve:
 * - RED goes to the same confirmation as a click (the typed name, or the Approve button a
 *   second operator also has to press), and never sends anything by itself;
 * - YELLOW arms a visible prompt first; only a second `a` on the same request, in time, approves.
 */
export type ApproveKeyOutcome =
  | { readonly kind: 'confirm' }
  | { readonly kind: 'prompt'; readonly armed: ArmedApproval }
  | { readonly kind: 'approve' }
  | { readonly kind: 'none' };

export function pressApprove(
  approval: Pick<ApprovalView, 'id' | 'tier' | 'state'> | undefined,
  armed: ArmedApproval | null,
  now: number,
): ApproveKeyOutcome {
  if (!approval || approval.state !== 'pending') return { kind: 'none' };
  if (approval.tier !== 'YELLOW') return { kind: 'confirm' };
  if (armed && armed.id === approval.id && now < armed.until) return { kind: 'approve' };
  return { kind: 'prompt', armed: { id: approval.id, until: now + APPROVE_AGAIN_MS } };
}
