/**
 * The approval rules, one set for the dashboard, chat, runbooks and MCP (ARCHITECTURE.md,
 * "Approval rules"). A refused decision leaves the request exactly as it was.
 */
export type RequesterKind = 'operator' | 'chat' | 'runbook' | 'mcp';
export interface Requester {
  readonly kind: RequesterKind;
  readonly id: string;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';
export type Verdict = 'approve' | 'reject';

export interface RecordedDecision {
  readonly by: string;
  readonly verdict: Verdict;
  readonly atMs: number;
  readonly comment?: string;
}

export interface ApprovalRequestState {
  readonly tier: 'YELLOW' | 'RED';
  readonly requester: Requester;
  readonly fingerprint: string;
  readonly status: ApprovalStatus;
  readonly expiresAtMs: number;
  readonly decisions: readonly RecordedDecision[];
  /** Two distinct operators for RED; on by default once more than one operator exists. */
  readonly twoPersonRule: boolean;
  /** What a lone operator types to confirm a RED action (the guest's or node's name). */
  readonly resourceName: string;
}

export interface DecisionAttempt {
  readonly by: string;
  /** Set by the API from the verified token; a decision from anyone else is refused. */
  readonly byIsOperator: boolean;
  readonly verdict: Verdict;
  readonly fingerprint?: string;
  readonly typedName?: string;
  readonly comment?: string;
}

export type RefusalCode =
  'NOT_AN_OPERATOR' | 'NOT_PENDING' | 'EXPIRED' | 'FINGERPRINT_MISMATCH' | 'SAME_OPERATOR' | 'TYPED_NAME_REQUIRED';

/** Refusals that mean "you may not decide this" (HTTP 403) rather than "this is no longer decidable" (409). */
export const FORBIDDEN_REFUSALS: readonly RefusalCode[] = Object.freeze([
  'NOT_AN_OPERATOR',
  'SAME_OPERATOR',
  'TYPED_NAME_REQUIRED',
] as const);

export type DecisionOutcome =
  | { readonly kind: 'refuse'; readonly code: RefusalCode; readonly reason: string }
  | { readonly kind: 'accept'; readonly next: ApprovalStatus; readonly reason: string };

const refuse = (code: RefusalCode, reason: string): DecisionOutcome => ({ kind: 'refuse', code, reason });

export function evaluateDecision(
  request: ApprovalRequestState,
  attempt: DecisionAttempt,
  nowMs: number,
): DecisionOutcome {
  const by = typeof attempt.by === 'string' ? attempt.by.trim() : '';
  if (!attempt.byIsOperator || by === '') {
    return refuse('NOT_AN_OPERATOR', 'only an authenticated operator can decide');
  }
  if (request.status !== 'pending') return refuse('NOT_PENDING', `the request is already ${request.status}`);
  if (isDue(request, nowMs)) return refuse('EXPIRED', 'the request has expired');
  if (attempt.fingerprint !== undefined && attempt.fingerprint !== request.fingerprint) {
    return refuse('FINGERPRINT_MISMATCH', 'the action changed since it was shown; review it again');
  }
  if (attempt.verdict === 'reject') return { kind: 'accept', next: 'rejected', reason: `rejected by ${by}` };

  if (request.tier === 'YELLOW') return { kind: 'accept', next: 'approved', reason: `approved by ${by}` };

  if (request.twoPersonRule) {
    // Names compare trimmed, as the blank check above does: " alice" is still alice.
    const approvers = new Set(request.decisions.filter((d) => d.verdict === 'approve').map((d) => d.by.trim()));
    if (approvers.has(by)) {
      return refuse('SAME_OPERATOR', 'a RED action needs a second, different operator');
    }
    return approvers.size + 1 >= 2
      ? { kind: 'accept', next: 'approved', reason: `second approval by ${by}` }
      : { kind: 'accept', next: 'pending', reason: `first approval by ${by}; a second operator must confirm` };
  }
  // A blank resource name would make "typing nothing" a confirmation; that is no confirmation at all.
  const expected = request.resourceName.trim();
  if (expected === '' || typeof attempt.typedName !== 'string' || attempt.typedName.trim() !== expected) {
    return refuse('TYPED_NAME_REQUIRED', `type "${expected}" to confirm a RED action`);
  }
  return { kind: 'accept', next: 'approved', reason: `approved by ${by} with the name typed` };
}

/** Due at or after the expiry; a missing or non-numeric time counts as due, never as "forever". */
function isDue(request: ApprovalRequestState, nowMs: number): boolean {
  return !(nowMs < request.expiresAtMs);
}

/** The status a request reaches once its TTL has passed without a final decision. */
export function expireIfDue(request: ApprovalRequestState, nowMs: number): ApprovalStatus {
  return request.status === 'pending' && isDue(request, nowMs) ? 'expired' : request.status;
}
