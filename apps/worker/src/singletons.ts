import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import {
  GUARDIAN_WORKFLOW,
  guardianIdFor,
  MONITOR_WORKFLOW,
  monitorIdFor,
  type GuardianInput,
  type KillSwitchView,
  type MonitorInput,
} from '@jarvis/workflows/api';
import { type Pool } from 'pg';
import { guardianInputFor, monitorInputFor, type AutonomyOptions } from './autonomy';

/**
 * A long-running workflow this worker keeps one of (the monitor, the guardian). The demo keeps
 * Temporal's state between runs, so a run started by an older build may still be open when this
 * build starts; `fresh` says how a replacement starts, from what the old run was started with.
 */
export interface SingletonSpec {
  readonly workflowId: string;
  readonly type: string;
  /** The replacement's input, given the old run's start input (undefined when unreadable). */
  fresh(oldInput: unknown): Promise<unknown>;
}

export interface SingletonCheck {
  readonly workflowId: string;
  /** absent: nothing runs under the ID; kept: its history replays on this build; replaced: it did not. */
  readonly verdict: 'absent' | 'kept' | 'replaced';
  readonly runId?: string;
  /** The replacement's run. */
  readonly newRunId?: string;
  /** Why it was replaced: the replay failure. */
  readonly reason?: string;
}

export interface ReplaceOptions {
  readonly client: Client;
  readonly taskQueue: string;
  readonly bundlePath: string;
  readonly singletons: readonly SingletonSpec[];
  readonly log?: (message: string) => void;
}

/** A short hash of the workflow bundle: the "build" that termination reasons and log lines name. */
export async function workflowBuildId(bundlePath: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(bundlePath))
    .digest('hex')
    .slice(0, 12);
}

const isNotFound = (err: unknown): boolean => (err as Error | undefined)?.name === 'WorkflowNotFoundError';

/**
 * For each singleton that is running: replay its current run's history on this build's bundle.
 * A run that replays is left alone (`patched()` kept it compatible). One that does not (a
 * DeterminismViolationError, compared by name) would fail every workflow task from now on, so it
 * is terminated ("replaced by build X") and started afresh with the state `fresh` carries over,
 * with one log line per replacement. Any other replay failure leaves the run be and is logged.
 */
export async function replaceIncompatibleSingletons(o: ReplaceOptions): Promise<SingletonCheck[]> {
  const build = await workflowBuildId(o.bundlePath);
  const out: SingletonCheck[] = [];
  for (const spec of o.singletons) {
    let runId: string;
    try {
      const description = await o.client.workflow.getHandle(spec.workflowId).describe();
      if (description.status.name !== 'RUNNING') {
        out.push({ workflowId: spec.workflowId, verdict: 'absent' });
        continue;
      }
      runId = description.runId;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      out.push({ workflowId: spec.workflowId, verdict: 'absent' });
      continue;
    }
    const handle = o.client.workflow.getHandle(spec.workflowId, runId);
    const history = await handle.fetchHistory();
    try {
      await Worker.runReplayHistory({ workflowBundle: { codePath: o.bundlePath } }, history, spec.workflowId);
      out.push({ workflowId: spec.workflowId, verdict: 'kept', runId });
      continue;
    } catch (err) {
      const e = err as Error;
      if (e.name !== 'DeterminismViolationError') {
        o.log?.(`${spec.workflowId}: kept run ${runId}, although its replay on build ${build} failed: ${e.message}`);
        out.push({ workflowId: spec.workflowId, verdict: 'kept', runId });
        continue;
      }
      const reason = (e.message.split('\n')[0] ?? e.name).slice(0, 300);
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      let oldInput: unknown;
      try {
        oldInput = payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
      } catch {
        oldInput = undefined;
      }
      const input = await spec.fresh(oldInput);
      await handle.terminate(`replaced by build ${build}`).catch((termErr: unknown) => {
        // Closed meanwhile (it continued as new, or someone ended it): the start below still applies.
        if (!isNotFound(termErr)) throw termErr;
      });
      const started = await o.client.workflow.start(spec.type, {
        workflowId: spec.workflowId,
        taskQueue: o.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      o.log?.(
        `replaced ${spec.workflowId} (run ${runId}) with run ${started.firstExecutionRunId}: ` +
          `its history does not replay on build ${build} (${reason}); its state was carried over`,
      );
      out.push({
        workflowId: spec.workflowId,
        verdict: 'replaced',
        runId,
        newRunId: started.firstExecutionRunId,
        reason,
      });
    }
  }
  return out;
}

const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;

/** The newer of two kill-switch states by their `at`; on a tie or no times, the engaged one. */
function newerKillSwitch(a: KillSwitchView, b: KillSwitchView | undefined): KillSwitchView {
  if (!b) return a;
  const ta = a.at ? Date.parse(a.at) : NaN;
  const tb = b.at ? Date.parse(b.at) : NaN;
  if (Number.isFinite(ta) && Number.isFinite(tb) && ta !== tb) return ta > tb ? a : b;
  if (Number.isFinite(ta) !== Number.isFinite(tb)) return Number.isFinite(ta) ? a : b;
  return a.engaged ? a : b;
}

/**
 * A replacement guardian: today's limits and settings, and the old run's state: its attempts (the
 * rate limit and escalation count them), remediations in flight, waiters and recent answers. The
 * kill switch is the newer of the stored one and the old run's, so neither a release nor an
 * engagement is lost.
 */
export function carryGuardian(fresh: GuardianInput, oldInput: unknown): GuardianInput {
  const old = asRecord(oldInput) as Partial<GuardianInput> | undefined;
  const carry = old?.carry;
  const oldKillSwitch = carry?.killSwitch ?? old?.killSwitch;
  const killSwitch = newerKillSwitch(fresh.killSwitch, oldKillSwitch);
  if (!carry) return { ...fresh, killSwitch };
  return {
    ...fresh,
    killSwitch,
    carry: {
      attempts: carry.attempts ?? [],
      inFlight: carry.inFlight ?? [],
      waiters: carry.waiters ?? [],
      answers: carry.answers ?? [],
      killSwitch,
      autonomy: { ...carry.autonomy, ...fresh.autonomy },
    },
  };
}

/**
 * A replacement monitor: today's configuration, and the old run's counters. Its last snapshot is
 * not carried: it is as old as the old run's start, and the cluster may have moved on since (the
 * demo's simulator starts afresh), so comparing against it would report stale changes as incidents;
 * the new run takes its first look as its baseline.
 */
export function carryMonitor(fresh: MonitorInput, oldInput: unknown): MonitorInput {
  const carry = (asRecord(oldInput) as Partial<MonitorInput> | undefined)?.carry;
  if (!carry) return fresh;
  const { previous: _stale, ...kept } = carry;
  return { ...fresh, carry: kept };
}

/** The monitor and the guardian of this worker's cluster, as replaceIncompatibleSingletons checks them. */
export function autonomySingletons(pool: Pool, taskQueue: string, o: AutonomyOptions): SingletonSpec[] {
  return [
    {
      workflowId: guardianIdFor(o.config.cluster),
      type: GUARDIAN_WORKFLOW,
      fresh: async (old) => carryGuardian(await guardianInputFor(pool, o), old),
    },
    {
      workflowId: monitorIdFor(o.config.cluster),
      type: MONITOR_WORKFLOW,
      fresh: async (old) => carryMonitor(await monitorInputFor(pool, taskQueue, o), old),
    },
  ];
}
