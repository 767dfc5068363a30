import { defineQuery } from '@temporalio/workflow';
import { type Incident } from '@jarvis/policies';
import { type LegacyPolicyInput } from './policy-loader';

export const REMEDIATION_WORKFLOW = 'remediationWorkflow';

export interface RemediationSettings {
  /** How long a restarted guest must stay up to count as fixed. Default 2 min. */
  readonly stabilityWindowMs: number;
  /** How long a woken node may take to come back. Default 5 min. */
  readonly nodeBootTimeoutMs: number;
  /** A waiting remediation re-asks the guardian at least this often, signal or not. Default 30 s. */
  readonly recheckMs: number;
  /** An alert-only incident is watched this long for it to clear. Default 24 h. */
  readonly watchMs: number;
  readonly watchEveryMs: number;
  readonly approvalTtlMs: number;
  readonly escalateAfterMs: number;
  readonly taskTimeoutMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /**
   * Verified remediation with rollback: from this restart attempt of a crashed VM on (the guest has
   * crashed this many times), a snapshot is taken first, and a failed verification rolls back to it
   * (RED: after an operator's approval) and escalates. Absent or 0: no snapshots.
   */
  readonly snapshotBeforeRestartAfter?: number;
}

export const DEFAULT_REMEDIATION_SETTINGS: RemediationSettings = Object.freeze({
  stabilityWindowMs: 2 * 60_000,
  nodeBootTimeoutMs: 5 * 60_000,
  recheckMs: 30_000,
  watchMs: 24 * 3600_000,
  watchEveryMs: 5 * 60_000,
  approvalTtlMs: 15 * 60_000,
  escalateAfterMs: 5 * 60_000,
});

/** Policy fields (`policy`, `twoPersonRule`) are ignored: the runbook loads Jarvis's policy from its store. */
export interface RemediationInput extends LegacyPolicyInput {
  readonly cluster: string;
  readonly guardianId: string;
  readonly incident: Incident;
  /** When the monitor saw it (ISO). */
  readonly detectedAt: string;
  readonly settings: RemediationSettings;
}

export type RemediationOutcome =
  'resolved' | 'cleared' | 'escalated' | 'blocked' | 'rejected' | 'expired' | 'alerted' | 'unresolved';

export interface RemediationResult {
  readonly outcome: RemediationOutcome;
  readonly attempts: number;
  readonly reason: string;
}

export type RemediationPhase =
  'starting' | 'waiting' | 'paused' | 'awaiting-approval' | 'acting' | 'verifying' | 'watching' | 'done';

export interface RemediationProgress {
  readonly phase: RemediationPhase;
  readonly attempts: number;
  readonly waitingFor?: string;
}

export const remediationProgressQuery = defineQuery<RemediationProgress>('remediationProgress');
