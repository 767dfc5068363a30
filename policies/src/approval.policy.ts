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
  /** Unique per request (never reused by another request, another run or another workflow). */
  readonly id: string;
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
  /** The approval the operator decided on; a decision for any other request is refused. */
  readonly approvalId?: string;
  readonly by: string;
  /** Set by the API from the verified token; a decision from anyone else is refused. */
  readonly byIsOperator: boolean;
  readonly verdict: Verdict;
  /** The fingerprint shown to the operator: required, and it must match. */
  readonly fingerprint?: string;
  readonly typedName?: string;
  readonly comment?: string;
}

export type RefusalCode =
  | 'NOT_AN_OPERATOR'
  | 'NOT_PENDING'
  | 'EXPIRED'
  | 'FINGERPRINT_MISMATCH'
  | 'SAME_OPERATOR'
  | 'TYPED_NAME_REQUIRED'
  | 'APPROVAL_MISMATCH'
  | 'FINGERPRINT_REQUIRED'
  | 'MALFORMED_DECISION'
  /** Not signed by Jarvis's API, signed by another key, stale, or a signature already used. */
  | 'NOT_VOUCHED';

/** Refusals that mean "you may not decide this" (HTTP 403) rather than "this is no longer decidable" (409). */
export const FORBIDDEN_REFUSALS: readonly RefusalCode[] = Object.freeze([
  'NOT_AN_OPERATOR',
  'NOT_VOUCHED',
  'SAME_OPERATOR',
  'TYPED_NAME_REQUIRED',
] as const);

/** Refusals that mean "this decision is malformed" (HTTP 400): it never reached a request's rules. */
export const MALFORMED_REFUSALS: readonly RefusalCode[] = Object.freeze([
  'FINGERPRINT_REQUIRED',
  'MALFORMED_DECISION',
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
  // Anything that is not exactly what the rules expect is refused: a parse error never allows.
  const by = typeof attempt.by === 'string' ? attempt.by.trim() : '';
  if (attempt.byIsOperator !== true || by === '') {
    return refuse('NOT_AN_OPERATOR', 'only an authenticated operator can decide');
  }
  if (attempt.verdict !== 'approve' && attempt.verdict !== 'reject') {
    return refuse('MALFORMED_DECISION', 'a decision is "approve" or "reject"');
  }
  if (typeof attempt.approvalId !== 'string' || attempt.approvalId === '' || attempt.approvalId !== request.id) {
    return refuse(
      'APPROVAL_MISMATCH',
      typeof attempt.approvalId === 'string' && attempt.approvalId !== ''
        ? `approval ${attempt.approvalId} is not the one waiting here; review the current request`
        : 'a decision must name its approval',
    );
  }
  if (request.status !== 'pending') return refuse('NOT_PENDING', `the request is already ${request.status}`);
  if (isDue(request, nowMs)) return refuse('EXPIRED', 'the request has expired');
  if (typeof attempt.fingerprint !== 'string' || attempt.fingerprint === '') {
    return refuse('FINGERPRINT_REQUIRED', 'a decision must carry the fingerprint of the action shown');
  }
  if (
    typeof request.fingerprint !== 'string' ||
    request.fingerprint === '' ||
    attempt.fingerprint !== request.fingerprint
  ) {
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
