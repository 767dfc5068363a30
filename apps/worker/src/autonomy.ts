import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { type AutonomyConfig } from '@jarvis/config';
import { PolicySource } from '@jarvis/activities';
import { type ProtectedResources } from '@jarvis/policies';
import {
  DEFAULT_REMEDIATION_SETTINGS,
  GUARDIAN_WORKFLOW,
  guardianIdFor,
  MONITOR_WORKFLOW,
  monitorIdFor,
  type GuardianInput,
  type MonitorInput,
  type RemediationSettings,
} from '@jarvis/workflows/api';
import { type Pool } from 'pg';

export interface AutonomyOptions {
  readonly config: AutonomyConfig;
  readonly protectedResources: ProtectedResources;
  readonly twoPersonRule: boolean;
  readonly approvalTtlMs: number;
  readonly approvalEscalateMs: number;
  /** Test and bench overrides of the remediation settings. */
  readonly remediation?: Partial<RemediationSettings>;
  readonly attemptWindowMs?: number;
}

/**
 * The guardian's start input: the limits, and (for its type; a new run loads them from the policy
 * store itself) the stored kill switch, autonomy levels and protected resources.
 */
export async function guardianInputFor(pool: Pool, o: AutonomyOptions): Promise<GuardianInput> {
  const stored = await new PolicySource(pool, o.config.cluster, {
    protected: o.protectedResources,
    twoPersonRule: o.twoPersonRule,
  }).load();
  return {
    cluster: o.config.cluster,
    killSwitch: stored.killSwitch,
    autonomy: stored.autonomy,
    limits: { maxAttempts: o.config.maxAttempts, ...(o.attemptWindowMs ? { attemptWindowMs: o.attemptWindowMs } : {}) },
    protected: stored.policy.protected,
  };
}

/** The monitor's start input. (It no longer reads the database: its remediations load the policy themselves.) */
export function monitorInputFor(_pool: Pool, taskQueue: string, o: AutonomyOptions): Promise<MonitorInput> {
  return Promise.resolve({
    cluster: o.config.cluster,
    guardianId: guardianIdFor(o.config.cluster),
    taskQueue,
    intervals: o.config.intervals,
    ...(o.config.watchedServices && Object.keys(o.config.watchedServices).length > 0
      ? { watchedServices: o.config.watchedServices }
      : {}),
    remediation: {
      ...DEFAULT_REMEDIATION_SETTINGS,
      stabilityWindowMs: o.config.stabilityWindowMs,
      nodeBootTimeoutMs: o.config.nodeBootTimeoutMs,
      recheckMs: o.config.recheckMs,
      heartbeatTimeoutMs: o.config.heartbeatTimeoutMs,
      watchEveryMs: Math.min(DEFAULT_REMEDIATION_SETTINGS.watchEveryMs, o.config.intervals.routineMs),
      approvalTtlMs: o.approvalTtlMs,
      escalateAfterMs: o.approvalEscalateMs,
      ...(o.config.snapshotBeforeRestartAfter
        ? { snapshotBeforeRestartAfter: o.config.snapshotBeforeRestartAfter }
        : {}),
      ...o.remediation,
    },
  });
}

/**
 * Starts the guardian and the monitor of this cluster unless they already run (a restarted
 * worker finds them running and leaves them be). Returns their workflow IDs.
 */
export async function startAutonomy(
  client: Client,
  pool: Pool,
  taskQueue: string,
  o: AutonomyOptions,
): Promise<{ guardianId: string; monitorId: string }> {
  const guardianId = guardianIdFor(o.config.cluster);
  const monitorId = monitorIdFor(o.config.cluster);
  const start = async (type: string, workflowId: string, arg: unknown): Promise<void> => {
    try {
      await client.workflow.start(type, {
        workflowId,
        taskQueue,
        args: [arg],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  };
  await start(GUARDIAN_WORKFLOW, guardianId, await guardianInputFor(pool, o));
  await start(MONITOR_WORKFLOW, monitorId, await monitorInputFor(pool, taskQueue, o));
  return { guardianId, monitorId };
}
