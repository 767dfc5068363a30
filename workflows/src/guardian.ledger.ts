import {
  type GuardianAttempt,
  type GuardianInFlight,
  type OutcomeReport,
  type PermitRequest,
} from './guardian.messages';

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
  req: Pick<PermitRequest, 'workflowId' | 'incident'>,
  attemptId: string,
  now: number,
): GuardianLedger {
  const key = req.incident.key;
  return {
    attempts: [
      ...ledger.attempts,
      { incidentKey: key, at: now, outcome: 'pending', attemptId, workflowId: req.workflowId },
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
        : attempts.map((a) => (a === found ? { ...a, outcome: report.outcome as 'succeeded' | 'failed' } : a));
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
