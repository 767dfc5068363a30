/** The colour class an outcome is drawn in (the `.lvl-*` classes), by what the outcome means. */
export type OutcomeLevel = 'lvl-ok' | 'lvl-warn' | 'lvl-critical' | 'muted';

/**
 * What each outcome means to the operator:
 * - ok (green): the job was done: done, verified, resolved, answered, cleared, approved.
 * - warn (amber): nothing broke, but something was not done, by a decision or for lack of one:
 *   rejected (an operator said no), expired (nobody decided), blocked (the policy refused, as it
 *   should), cancelled, not-found, alerted (told, no action to take).
 * - critical (red): the system is not where it should be and a person must act: failed,
 *   escalated (the runbook gave up), unresolved, timed out, terminated.
 * Temporal's statuses stand in when a run recorded no outcome.
 */
const LEVELS: Readonly<Record<string, OutcomeLevel>> = {
  done: 'lvl-ok',
  verified: 'lvl-ok',
  resolved: 'lvl-ok',
  answered: 'lvl-ok',
  cleared: 'lvl-ok',
  approved: 'lvl-ok',
  completed: 'lvl-ok',
  rejected: 'lvl-warn',
  expired: 'lvl-warn',
  blocked: 'lvl-warn',
  cancelled: 'lvl-warn',
  canceled: 'lvl-warn',
  'not-found': 'lvl-warn',
  alerted: 'lvl-warn',
  failed: 'lvl-critical',
  escalated: 'lvl-critical',
  unresolved: 'lvl-critical',
  timed_out: 'lvl-critical',
  terminated: 'lvl-critical',
};

/** An outcome (or a Temporal status) to its colour class; one the dashboard does not know is neutral. */
export function outcomeLevel(outcome: string | undefined): OutcomeLevel {
  return LEVELS[(outcome ?? '').trim().toLowerCase()] ?? 'muted';
}
