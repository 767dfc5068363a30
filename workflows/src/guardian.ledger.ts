import {
  countedFailures,
  type FailureHistoryEntry,
  type GuardrailLimits,
  type IncidentFailureHistory,
} from '@jarvis/policies';

export type { FailureHistoryEntry, IncidentFailureHistory };
import {
  type GuardianAttempt,
  type GuardianInFlight,
  type OutcomeReport,
  type PermitRequest,
} from './guardian.messages';

/** How much of a failure's description is kept: enough to say what failed, bounded in the history. */
const DETAIL_MAX = 300;

/**
 * The guardian's books: attempts per incident (the rate limit and escalation count them) and the
 * remediations acting per node (the blast radius). Pure, so the guardian keeps them and the worker
 * can rebuild them from a guardian's history when it must replace a run it cannot replay.
 */
export interface GuardianLedger {
  readonly attempts: readonly GuardianAttempt[];
  readonly inFlight: readonly GuardianInFlight[];
}

/** An allowed request: a pending attempt, and its incident holds its node until it reports. */
export function ledgerAllow(
  ledger: GuardianLedger,
  req: Pick<PermitRequest, 'workflowId' | 'incident' | 'runId' | 'cluster'>,
  attemptId: string,
  now: number,
): GuardianLedger {
  const key = req.incident.key;
  return {
    attempts: [
      ...ledger.attempts,
      {
        incidentKey: key,
        at: now,
        outcome: 'pending',
        attemptId,
        workflowId: req.workflowId,
        ...(typeof req.runId === 'string' ? { runId: req.runId } : {}),
        ...(typeof req.cluster === 'string' && req.cluster !== '' ? { cluster: req.cluster } : {}),
      },
    ],
    inFlight: [
      ...ledger.inFlight.filter((f) => f.incidentKey !== key),
      { incidentKey: key, node: req.incident.subject.node, workflowId: req.workflowId, since: now },
    ],
  };
}

/**
 * A reported outcome settles its pending attempt (a cancelled one does not count) and frees the
 * incident's node; `freed` says whether a slot came free, so waiters are woken.
 */
export function ledgerReport(
  ledger: GuardianLedger,
  report: OutcomeReport,
): { readonly ledger: GuardianLedger; readonly freed: boolean } {
  let attempts = ledger.attempts;
  const found = attempts.find((a) => a.attemptId === report.attemptId);
  if (found && found.outcome === 'pending') {
    attempts =
      report.outcome === 'cancelled'
        ? attempts.filter((a) => a !== found)
        : attempts.map((a) =>
            a === found
              ? {
                  ...a,
                  outcome: report.outcome as 'succeeded' | 'failed',
                  ...(report.outcome === 'failed' && typeof report.detail === 'string'
                    ? { detail: report.detail.slice(0, DETAIL_MAX) }
                    : {}),
                }
              : a,
          );
  }
  const inFlight = ledger.inFlight.filter((f) => f.incidentKey !== report.incidentKey);
  return { ledger: { attempts, inFlight }, freed: inFlight.length !== ledger.inFlight.length };
}

/**
 * The books without the attempts that have played out: pending ones and the nodes held stay, as
 * they belong to remediations still acting. Used when the cluster the attempts were counted
 * against is gone (the demo's simulated cluster starts afresh on every run).
 */
export function ledgerForget(ledger: GuardianLedger): { readonly ledger: GuardianLedger; readonly forgotten: number } {
  const attempts = ledger.attempts.filter((a) => a.outcome === 'pending');
  return { ledger: { attempts, inFlight: ledger.inFlight }, forgotten: ledger.attempts.length - attempts.length };
}

/**
 * Marks the settled, still counting attempts of one incident as cleared (a recovery: its failed
 * ones; a reset: all of them), and says how many. Pending attempts belong to a remediation still acting and stay as they are.
 * A recovery leaves attempts an operator already reset alone.
 */
export function ledgerClear(
  ledger: GuardianLedger,
  incidentKey: string,
  clearing: { readonly kind: 'recovered' | 'reset'; readonly by: string },
  now: number,
): { readonly ledger: GuardianLedger; readonly cleared: number } {
  let cleared = 0;
  const attempts = ledger.attempts.map((a) => {
    if (a.incidentKey !== incidentKey || a.outcome === 'pending') return a;
    // A recovery clears failures only (a success never counted toward escalation); a reset clears
    // every settled attempt, the rate limit's too.
    if (clearing.kind === 'recovered' && a.outcome !== 'failed') return a;
    if (a.cleared?.kind === 'reset' || a.cleared?.kind === clearing.kind) return a;
    cleared++;
    return { ...a, cleared: { kind: clearing.kind, at: now, by: clearing.by } };
  });
  return { ledger: { attempts, inFlight: ledger.inFlight }, cleared };
}

/**
 * The books of the cluster now in front of Jarvis: settled attempts recorded against another
 * cluster are dropped (the demo's simulated cluster starts afresh; an install may be pointed at
 * another cluster). Attempts without an identity were recorded before identities were kept and
 * stay: nothing says they were another cluster's.
 */
export function ledgerAdoptCluster(
  ledger: GuardianLedger,
  cluster: string,
): { readonly ledger: GuardianLedger; readonly dropped: number } {
  const attempts = ledger.attempts.filter(
    (a) => a.outcome === 'pending' || a.cluster === undefined || a.cluster === cluster,
  );
  return { ledger: { attempts, inFlight: ledger.inFlight }, dropped: ledger.attempts.length - attempts.length };
}

/**
 * The guardian's attempts as failure histories per incident key, with which failures count now
 * (the guardrails policy's own count): what an operator reads before resetting an incident.
 * Keys with a counted failure come first, then the most recent. Pure.
 */
export function failureHistories(
  attempts: readonly GuardianAttempt[],
  o: { readonly now: number; readonly limits: GuardrailLimits; readonly cluster?: string },
): IncidentFailureHistory[] {
  const keys = [...new Set(attempts.map((a) => a.incidentKey))];
  const out = keys.map((incidentKey): IncidentFailureHistory => {
    const mine = attempts.filter((a) => a.incidentKey === incidentKey);
    const counted = countedFailures({
      attempts: mine,
      incidentKey,
      now: o.now,
      limits: o.limits,
      ...(o.cluster !== undefined ? { cluster: o.cluster } : {}),
    });
    return {
      incidentKey,
      counted: counted.length,
      escalates: counted.length >= o.limits.maxFailures,
      attempts: [...mine]
        .sort((a, b) => b.at - a.at)
        .map((a) => ({
          attemptId: a.attemptId,
          at: new Date(a.at).toISOString(),
          outcome: a.outcome,
          workflowId: a.workflowId,
          ...(a.runId !== undefined ? { runId: a.runId } : {}),
          ...(a.detail !== undefined ? { detail: a.detail } : {}),
          counted: counted.includes(a),
          otherCluster: o.cluster !== undefined && a.cluster !== undefined && a.cluster !== o.cluster,
          ...(a.cleared
            ? { cleared: { kind: a.cleared.kind, at: new Date(a.cleared.at).toISOString(), by: a.cleared.by } }
            : {}),
        })),
    };
  });
  const latest = (h: IncidentFailureHistory): string => h.attempts[0]?.at ?? '';
  return out.sort((a, b) => b.counted - a.counted || (latest(a) < latest(b) ? 1 : latest(a) > latest(b) ? -1 : 0));
}
