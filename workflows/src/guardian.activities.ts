import { type GuardrailDecision } from '@jarvis/policies';
import {
  type GateRequest,
  type OutcomeReport,
  type PermitDecision,
  type PermitRequest,
  type RecoveryReport,
} from './guardian.messages';
import { type RemediationInput } from './remediation.messages';

/**
 * Implemented in the worker (apps/worker/src/guardian.activities.ts), which holds a Temporal
 * client: a workflow cannot send an update to another workflow, so these carry the remediation's
 * requests to the guardian as updates (with deterministic update IDs, so a retry counts once).
 */
export interface GuardianActivities {
  requestPermit(input: { guardianId: string; request: PermitRequest }): Promise<PermitDecision>;
  reportOutcome(input: { guardianId: string; updateId: string; report: OutcomeReport }): Promise<void>;
  checkGate(input: { guardianId: string; updateId: string; request: GateRequest }): Promise<GuardrailDecision>;
  /** A run that ended in recovery: its incident's trailing failures stop counting. */
  reportRecovery(input: { guardianId: string; updateId: string; report: RecoveryReport }): Promise<{ cleared: number }>;
  /** Starts the remediation whose workflow ID is the incident key; `started: false` when one is already running. */
  startRemediation(input: { remediation: RemediationInput }): Promise<{ started: boolean; runId?: string }>;
}
