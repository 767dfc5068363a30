import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import {
  type AutonomyLevel,
  type GuardrailDecision,
  type GuardrailLimits,
  type Incident,
  type IncidentClass,
  type ProtectedResources,
  type RemediationAttempt,
  type Tier,
  type VouchFields,
  type Voucher,
} from '@jarvis/policies';

export const GUARDIAN_WORKFLOW = 'guardianWorkflow';
export const guardianIdFor = (cluster: string): string => `guardian:${cluster}`;

export interface KillSwitchView {
  readonly engaged: boolean;
  readonly by?: string;
  readonly at?: string;
}

/** One attempt as the guardian keeps it: the policy's record plus who made it and what became of it. */
export interface GuardianAttempt extends RemediationAttempt {
  readonly attemptId: string;
  readonly workflowId: string;
  /** The remediation run that made it (absent in records made before runs were kept). */
  readonly runId?: string;
  /** What failed, in the remediation's words (a failed attempt only). */
  readonly detail?: string;
}

export interface GuardianInFlight {
  readonly incidentKey: string;
  readonly node: string;
  readonly workflowId: string;
  readonly since: number;
}

/** Everything the guardian carries across continue-as-new. */
export interface GuardianCarry {
  readonly attempts: readonly GuardianAttempt[];
  readonly inFlight: readonly GuardianInFlight[];
  readonly waiters: readonly string[];
  /** Recent answers by request ID, so a retried request gets the same answer and counts once. */
  readonly answers: readonly (readonly [string, PermitDecision])[];
  readonly killSwitch: KillSwitchView;
  readonly autonomy: Readonly<Record<IncidentClass, AutonomyLevel>>;
  /** The identity of the cluster the attempts were last counted against (absent in older carries). */
  readonly clusterIdentity?: string;
}

export interface GuardianInput {
  readonly cluster: string;
  /** The persisted kill switch, read only when replaying a run recorded before the policy store (a new run loads it). */
  readonly killSwitch: KillSwitchView;
  /** The operator's autonomy levels; missing classes keep the runbook's default. */
  readonly autonomy?: Partial<Record<IncidentClass, AutonomyLevel>>;
  readonly limits?: Partial<GuardrailLimits>;
  /** Read only when replaying a run recorded before the policy store; a new run loads it from the store. */
  readonly protected: ProtectedResources;
  /** Messages handled before continuing as new (default 500). */
  readonly continueAsNewAfter?: number;
  readonly carry?: GuardianCarry;
}

export interface PermitRequest {
  /** Deterministic per remediation run and request: the idempotency key. */
  readonly requestId: string;
  readonly workflowId: string;
  readonly incident: Incident;
  /** The action policy's tier for the concrete action (evaluateAction). */
  readonly tier: Tier;
  /** An operator approved this remediation (the L2 / RED ask): an `ask` becomes an `allow`. */
  readonly approvedBy?: string;
  /** The remediation's run, recorded with its attempt. */
  readonly runId?: string;
  /**
   * The identity of the cluster the remediation sees (name and its first node's certificate).
   * Attempts counted against another cluster are dropped; absent (unknown), every attempt counts.
   */
  readonly cluster?: string;
}

export interface PermitDecision extends GuardrailDecision {
  /** On an escalation: the failed attempts it counted, oldest first, with their runs and what failed. */
  readonly counted?: readonly GuardianAttempt[];
  readonly autonomy: AutonomyLevel;
  /** Set when the decision is `allow`: report the attempt's outcome under this ID. */
  readonly attemptId?: string;
  /** Attempts made for this incident in the rate-limit window, this one included. */
  readonly attemptsInWindow: number;
}

export interface OutcomeReport {
  readonly attemptId: string;
  readonly incidentKey: string;
  /** `cancelled`: nothing was done (the incident cleared, the kill switch closed): the attempt does not count. */
  readonly outcome: 'succeeded' | 'failed' | 'cancelled';
  /** What failed (kept with a failed attempt, for the escalation and the guardrails view). */
  readonly detail?: string;
}

/** A remediation run that ended in recovery: its incident's failures no longer count toward escalation. */
export interface RecoveryReport {
  readonly incidentKey: string;
  readonly workflowId: string;
  readonly runId: string;
}

/** An operator resets an incident's failures: they count toward nothing from now on. */
export interface ResetFailuresRequest {
  readonly incidentKey: string;
  readonly by: string;
  readonly reason: string;
  /**
   * The API's signature over the three fields above (`forget-attempts`): a guardian that reads
   * Jarvis's policy store takes a reset only with it, so whoever else reaches Temporal cannot.
   */
  readonly voucher?: Voucher;
}

/** The signed fields of a reset: one declaration for the API that signs and the guardian that checks. */
export const resetFailuresFields = (r: Partial<ResetFailuresRequest>): VouchFields => ({
  incidentKey: typeof r.incidentKey === 'string' ? r.incidentKey : '',
  by: typeof r.by === 'string' ? r.by : '',
  reason: typeof r.reason === 'string' ? r.reason : '',
});

export interface GateRequest {
  readonly workflowId: string;
  readonly incidentKey: string;
}

export interface GuardianView {
  readonly cluster: string;
  readonly killSwitch: KillSwitchView;
  readonly autonomy: Readonly<Record<IncidentClass, AutonomyLevel>>;
  readonly limits: GuardrailLimits;
  readonly inFlight: readonly GuardianInFlight[];
  readonly attempts: readonly GuardianAttempt[];
  readonly waiting: readonly string[];
  /** The identity of the cluster the attempts are counted against, once a remediation reported it. */
  readonly clusterIdentity?: string;
}

export const requestPermitUpdate = defineUpdate<PermitDecision, [PermitRequest]>('requestPermit');
export const reportOutcomeUpdate = defineUpdate<void, [OutcomeReport]>('reportOutcome');
/** The kill switch alone, right before a destructive activity. */
export const checkGateUpdate = defineUpdate<GuardrailDecision, [GateRequest]>('checkGate');
export const setKillSwitchUpdate = defineUpdate<KillSwitchView, [{ engaged: boolean; by: string }]>('setKillSwitch');
export const setAutonomyUpdate = defineUpdate<
  Readonly<Record<IncidentClass, AutonomyLevel>>,
  [{ incidentClass: IncidentClass; level: AutonomyLevel; by: string }]
>('setAutonomy');
/**
 * Re-read the kill switch, autonomy levels and protected resources from Jarvis's policy store.
 * It carries no settings of its own, so whoever sends it can only make the guardian read what
 * Jarvis stored. Returns the guardian's view afterwards.
 */
export const reloadPolicyUpdate = defineUpdate<GuardianView, [{ reason: string }]>('reloadPolicy');
/** Forget the settled attempts (the rate limit and escalation count): the cluster they were counted against is gone. */
export const forgetAttemptsUpdate = defineUpdate<{ forgotten: number }, [{ by: string; reason: string }]>(
  'forgetAttempts',
);
/** A run that ended in recovery clears its incident's trailing failures. */
export const reportRecoveryUpdate = defineUpdate<{ cleared: number }, [RecoveryReport]>('reportRecovery');
/** An operator's reset of one incident's failures (audited by the API, and in this history with who). */
export const resetFailuresUpdate = defineUpdate<{ reset: number }, [ResetFailuresRequest]>('resetFailures');
export const guardianStateQuery = defineQuery<GuardianView>('guardianState');
/** Sent by the guardian to a waiting remediation when what it waited for may have changed. */
export const guardianWakeSignal = defineSignal<[{ reason: string }]>('guardianWake');
