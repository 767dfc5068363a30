import { type ApprovalView } from './api-types';

/** What the API said when it refused a decision: the error envelope's code, message and details. */
export interface RefusalInput {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface RefusalGuidance {
  /** One line for the card, saying what happened and what to do next. */
  readonly message: string;
  /** Offer (or keep offering) the field where a lone operator types the resource's name. */
  readonly askTypedName: boolean;
  /** The request can no longer be decided: the card should stop offering the buttons. */
  readonly final: boolean;
}

/** Turns a refused approve/reject into guidance the operator can act on. */
export function describeRefusal(err: RefusalInput, approval: Pick<ApprovalView, 'resourceName'>): RefusalGuidance {
  switch (err.code) {
    case 'TYPED_NAME_REQUIRED':
      return {
        message: `RED action: type the resource name "${approval.resourceName}" exactly to confirm it alone.`,
        askTypedName: true,
        final: false,
      };
    case 'SAME_OPERATOR':
      return {
        message: 'You have already approved this RED action. A second, different operator must confirm it.',
        askTypedName: false,
        final: false,
      };
    case 'NOT_AN_OPERATOR':
      return { message: 'Only an authenticated operator can decide.', askTypedName: false, final: false };
    case 'NOT_PENDING':
    case 'WORKFLOW_CLOSED':
      return { message: `Already decided: ${err.message}`, askTypedName: false, final: true };
    case 'EXPIRED':
      return {
        message: 'This request has expired; ask again if it is still needed.',
        askTypedName: false,
        final: true,
      };
    case 'FINGERPRINT_MISMATCH':
      return { message: 'The action changed since it was shown; review it again.', askTypedName: false, final: false };
    case 'APPROVAL_MISMATCH':
      return {
        message: 'This card is for an earlier request; the workflow now waits for another one. Review that one.',
        askTypedName: false,
        final: true,
      };
    case 'FINGERPRINT_REQUIRED':
    case 'BAD_REQUEST':
      return { message: `Not sent: ${err.message}`, askTypedName: false, final: false };
    case 'APPROVAL_NOT_FOUND':
      return { message: 'This request no longer exists.', askTypedName: false, final: true };
    case 'TEMPORAL_UNAVAILABLE':
      return {
        message: 'The workflow engine did not answer; nothing was recorded. Try again.',
        askTypedName: false,
        final: false,
      };
    default:
      return { message: err.message || `Refused (${err.status})`, askTypedName: false, final: false };
  }
}

/** A RED request decided by one operator alone needs the typed name; ask for it before the first try. */
export function needsTypedName(approval: Pick<ApprovalView, 'tier' | 'twoPerson'>): boolean {
  return approval.tier === 'RED' && !approval.twoPerson;
}

/** For a two-person RED request: who has approved so far and how many more are needed. */
export function confirmationProgress(approval: Pick<ApprovalView, 'tier' | 'twoPerson' | 'decisions'>): {
  approvers: string[];
  needed: number;
} {
  const approvers = [...new Set(approval.decisions.filter((d) => d.verdict === 'approve').map((d) => d.by))];
  const required = approval.tier === 'RED' && approval.twoPerson ? 2 : 1;
  return { approvers, needed: Math.max(0, required - approvers.length) };
}
