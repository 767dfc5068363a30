import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '@jarvis/activities';
import {
  blastRadius,
  decisionFields,
  evaluateDecision,
  fingerprintAction,
  verifyVouch,
  type ApprovalRequestState,
  type DecisionAttempt,
  type RecordedDecision,
  type Requester,
} from '@jarvis/policies';
import { approvalIdFor, decideUpdate, type ApprovalSnapshot, type DecisionArgs } from './approval-gate.messages';

const local = proxyLocalActivities<activities.DbActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 10 },
});

/**
 * Marks histories recorded by the gate. A `decide` update without a fingerprint can only come
 * from a history recorded before it (the validator refuses one now); replaying such a history,
 * `patched` is false and the decision applies to the request that was pending, as it did then.
 */
const GATE_PATCH = 'approval-gate-v1';

/** What the workflow records and buffers: its own step and flush, so the gate's steps join its timeline. */
export interface GateRecorder {
  step(
    kind: string,
    title: string,
    extra?: { by?: string; node?: string; vmid?: number; detail?: Record<string, unknown> },
  ): void;
  flush(): Promise<void>;
}

export interface ApprovalRequest {
  /** The tier the rules apply (RED: two operators or the name typed). */
  readonly tier: 'YELLOW' | 'RED';
  readonly requester: Requester;
  /** The catalog tool and its arguments: the fingerprint and the blast radius are computed from them. */
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly ttlMs: number;
  readonly escalateAfterMs: number;
  readonly twoPersonRule: boolean;
  /** What a lone operator types to confirm a RED action. */
  readonly resourceName: string;
  /** The approvals listing: what the card shows. `shownTier` defaults to `tier`. */
  readonly listing: {
    readonly action: string;
    readonly target: { readonly node: string; readonly vmid?: number; readonly type?: string };
    readonly reason: string | null;
    readonly shownTier?: 'YELLOW' | 'RED';
  };
  /** The step that says the workflow now waits. */
  readonly requestStep: {
    readonly kind: string;
    readonly title: string;
    readonly by?: string;
    readonly node?: string;
    readonly vmid?: number;
    readonly detail?: Record<string, unknown>;
  };
  /** Written with the request (e.g. the chat's confirmation card), after the listing and the steps. */
  readonly announce?: (request: { id: string; fingerprint: string; expiresAt: string }) => Promise<void>;
  /** The step kind once the request is overdue. Default `escalated`. */
  readonly overdueStepKind?: string;
  /** Whether an expiry writes the buffered steps at once (else the caller's next flush does). */
  readonly flushOnExpiry?: boolean;
}

/** Whose signature makes a decision an operator's. */
export interface GateTrust {
  /** False only when replaying a history recorded before signed decisions: it took them unsigned. */
  readonly signed: boolean;
  /** The API's public key (base64url), from the policy this run loaded. */
  readonly publicKey?: string;
}

export interface ApprovalOutcome {
  readonly id: string;
  readonly status: 'approved' | 'rejected' | 'expired';
  /** Who made the last decision. */
  readonly by?: string;
}

export interface ApprovalGate {
  /** Publishes the request, waits for its decision (escalating, then expiring it) and says how it ended. */
  ask(request: ApprovalRequest): Promise<ApprovalOutcome>;
  /** The latest request, pending or decided. */
  snapshot(): ApprovalSnapshot | undefined;
  /** The ID of the request waiting for a decision, if any. */
  pendingId(): string | undefined;
}

/**
 * The one approval gate of every workflow that asks an operator: request state, the `decide`
 * update (validator and handler judged by evaluateDecision), the projection, escalation and
 * expiry. A decision names the approval it is for; a decision for any earlier or other request
 * is refused.
 */
export function createApprovalGate(recorder: GateRecorder, description: string, trust: GateTrust): ApprovalGate {
  const { workflowId, runId } = workflowInfo();
  /** Nonces of the signed decisions this run accepted: the same signed decision twice is a replay. */
  const usedNonces = new Set<string>();
  let seq = 0;
  let current: ApprovalRequestState | undefined;
  let request: ApprovalRequest | undefined;
  let requestedAt = '';
  let version = 0;

  const snapshot = (): ApprovalSnapshot | undefined =>
    current && {
      id: current.id,
      status: current.status,
      tier: current.tier,
      fingerprint: current.fingerprint,
      decisions: current.decisions.map((d) => ({
        by: d.by,
        verdict: d.verdict,
        at: new Date(d.atMs).toISOString(),
        ...(d.comment ? { comment: d.comment } : {}),
      })),
      expiresAt: new Date(current.expiresAtMs).toISOString(),
    };

  const publish = (): Promise<void> => {
    const a = current!;
    const r = request!;
    return local.upsertApproval({
      id: a.id,
      workflowId,
      version: ++version,
      state: a.status,
      tier: r.listing.shownTier ?? a.tier,
      action: r.listing.action,
      target: r.listing.target,
      resourceName: a.resourceName,
      reason: r.listing.reason,
      requestedBy: a.requester,
      requestedAt,
      expiresAt: new Date(a.expiresAtMs).toISOString(),
      fingerprint: a.fingerprint,
      blastRadius: blastRadius({ tool: r.tool, args: r.args }),
      twoPerson: a.twoPersonRule,
      decisions: snapshot()!.decisions,
    });
  };

  /**
   * A signed run takes a decision only with the API's signature over what was decided: whoever
   * else reaches Temporal cannot decide, and cannot replay a decision. Checked on the decision as
   * sent (the handler below then judges it against the request it was validated for).
   */
  const vouched = (d: DecisionArgs): DecisionArgs => {
    if (!trust.signed) return d;
    const check = verifyVouch(trust.publicKey, 'decision', decisionFields(d), d.voucher, Date.now(), usedNonces);
    if (!check.ok) throw ApplicationFailure.nonRetryable(check.reason, 'NOT_VOUCHED');
    return { ...d, byIsOperator: true };
  };

  const judge = (d: DecisionAttempt) => {
    if (!current) {
      throw ApplicationFailure.nonRetryable('nothing here is waiting for a decision', 'NOT_PENDING');
    }
    const outcome = evaluateDecision(current, d, Date.now());
    if (outcome.kind === 'refuse') throw ApplicationFailure.nonRetryable(outcome.reason, outcome.code);
    return outcome;
  };

  setHandler(
    decideUpdate,
    async (d) => {
      // The validator, run right before on this same state, refused a decision for any other
      // request; only accepted updates enter the history. The handler applies the decision to the
      // request it was validated against: the ID is not compared again, since it is built from the
      // run's identity, which a replay (of a fixture, of an archive) may give differently.
      const legacy = current && typeof d.fingerprint !== 'string' && !patched(GATE_PATCH);
      const signed = vouched(d);
      if (trust.signed && d.voucher) usedNonces.add(d.voucher.nonce);
      const outcome = judge({
        ...signed,
        ...(current ? { approvalId: current.id } : {}),
        ...(legacy ? { fingerprint: current!.fingerprint } : {}),
      });
      const recorded: RecordedDecision = {
        by: d.by,
        verdict: d.verdict,
        atMs: Date.now(),
        ...(d.comment ? { comment: d.comment } : {}),
      };
      current = { ...current!, status: outcome.next, decisions: [...current!.decisions, recorded] };
      recorder.step(d.verdict === 'approve' ? 'approved' : 'rejected', outcome.reason, {
        by: d.by,
        detail: {
          approvalId: current.id,
          verdict: d.verdict,
          next: outcome.next,
          ...(d.comment ? { comment: d.comment } : {}),
        },
      });
      // The decision is on the record before the update returns: a caller that lists
      // approvals right after deciding sees it.
      await Promise.all([publish(), recorder.flush()]);
      return snapshot()!;
    },
    {
      // The validator runs before the update enters the history: a refused decision leaves no trace.
      validator: (d: DecisionArgs) => void judge(vouched(d)),
      description,
    },
  );

  async function ask(r: ApprovalRequest): Promise<ApprovalOutcome> {
    const nowMs = Date.now();
    request = r;
    version = 0;
    requestedAt = new Date(nowMs).toISOString();
    current = {
      id: approvalIdFor(workflowId, runId, ++seq),
      tier: r.tier,
      requester: r.requester,
      fingerprint: fingerprintAction(r.tool, r.args),
      status: 'pending',
      expiresAtMs: nowMs + r.ttlMs,
      decisions: [],
      twoPersonRule: r.twoPersonRule,
      resourceName: r.resourceName,
    };
    const { id, fingerprint } = current;
    const expiresAt = new Date(current.expiresAtMs).toISOString();
    const { kind, title, detail, ...where } = r.requestStep;
    recorder.step(kind, title, {
      ...where,
      detail: { approvalId: id, tier: r.tier, fingerprint, expiresAt, ...detail },
    });
    await Promise.all([
      publish(),
      recorder.flush(),
      ...(r.announce ? [r.announce({ id, fingerprint, expiresAt })] : []),
    ]);

    const decided = (): boolean => current!.status !== 'pending';
    const escalateAfter = Math.min(r.escalateAfterMs, r.ttlMs);
    if (!(await condition(decided, escalateAfter))) {
      recorder.step(r.overdueStepKind ?? 'escalated', `No decision after ${seconds(escalateAfter)}; escalating`, {
        detail: { approvalId: id },
      });
      await recorder.flush();
      const remaining = current.expiresAtMs - Date.now();
      if (remaining <= 0 || !(await condition(decided, remaining))) {
        current = { ...current, status: 'expired' };
        recorder.step('expired', `The approval expired after ${seconds(r.ttlMs)} without a decision`, {
          detail: { approvalId: id },
        });
        await (r.flushOnExpiry ? Promise.all([publish(), recorder.flush()]) : publish());
        return { id, status: 'expired' };
      }
    }
    // Decisions run inside the update handler; let it finish its writes before going on.
    await condition(allHandlersFinished);
    const by = current.decisions.at(-1)?.by;
    return { id, status: current.status === 'approved' ? 'approved' : 'rejected', ...(by ? { by } : {}) };
  }

  return {
    ask,
    snapshot,
    pendingId: () => (current?.status === 'pending' ? current.id : undefined),
  };
}

const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
