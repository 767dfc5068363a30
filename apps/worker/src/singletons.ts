import { PolicySource } from '@jarvis/activities';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import {
  decodePayload,
  eventTimeMs,
  GUARDIAN_WORKFLOW,
  guardianIdFor,
  forgetAttemptsUpdate,
  ledgerAdoptCluster,
  ledgerAllow,
  ledgerClear,
  ledgerForget,
  ledgerReport,
  MONITOR_WORKFLOW,
  monitorIdFor,
  reportOutcomeUpdate,
  reportRecoveryUpdate,
  requestPermitUpdate,
  reloadPolicyUpdate,
  resetFailuresUpdate,
  setKillSwitchUpdate,
  type GuardianCarry,
  type GuardianInput,
  type GuardianLedger,
  type KillSwitchView,
  type MonitorInput,
  type OutcomeReport,
  type PermitDecision,
  type PermitRequest,
  type RecoveryReport,
  type ResetFailuresRequest,
} from '@jarvis/workflows/api';
import { type Pool } from 'pg';
import { guardianInputFor, monitorInputFor, type AutonomyOptions } from './autonomy';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The run being replaced: its start input (undefined when unreadable) and its history. */
export interface OldRun {
  readonly input: unknown;
  readonly events: readonly HistoryEvent[];
}

/**
 * A long-running workflow this worker keeps one of (the monitor, the guardian). The demo keeps
 * Temporal's state between runs, so a run started by an older build may still be open when this
 * build starts; `fresh` says how a replacement starts, from what the old run holds.
 */
export interface SingletonSpec {
  readonly workflowId: string;
  readonly type: string;
  /** The replacement's input, carrying the old run's state. */
  fresh(old: OldRun): Promise<unknown>;
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
      const events = history.events ?? [];
      const oldInput = decodePayload(events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]);
      const input = await spec.fresh({ input: oldInput, events });
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

/** What a guardian run decided since it started, on top of its start carry, read from its history. */
export interface GuardianBooks {
  readonly ledger: GuardianLedger;
  readonly answers: readonly (readonly [string, PermitDecision])[];
  readonly killSwitch?: KillSwitchView;
  readonly clusterIdentity?: string;
}

/**
 * Rebuilds a guardian's books from its history without running its code (which this build cannot
 * replay): its start carry, then every completed update in order, through the same ledger
 * functions the guardian uses. An allowed permit is a pending attempt holding its node; a report
 * settles it; a kill-switch change is its newest state.
 */
export function guardianBooksFromHistory(events: readonly HistoryEvent[], carry?: GuardianCarry): GuardianBooks {
  let ledger: GuardianLedger = { attempts: carry?.attempts ?? [], inFlight: carry?.inFlight ?? [] };
  const answers = new Map<string, PermitDecision>(carry?.answers ?? []);
  let killSwitch = carry?.killSwitch;
  let clusterIdentity = carry?.clusterIdentity;
  const accepted = new Map<string, { name: string; arg: unknown; at: number }>();
  // The guardian's clock in an update handler is its workflow task's start.
  let taskAt = 0;
  for (const event of events) {
    if (event.workflowTaskStartedEventAttributes) taskAt = eventTimeMs(event.eventTime) ?? taskAt;
    const acc = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    const accId = acc?.meta?.updateId;
    if (accId && acc.input?.name) {
      accepted.set(accId, {
        name: acc.input.name,
        arg: decodePayload(acc.input.args?.payloads?.[0]),
        at: taskAt,
      });
      continue;
    }
    const done = event.workflowExecutionUpdateCompletedEventAttributes;
    const update = done?.meta?.updateId ? accepted.get(done.meta.updateId) : undefined;
    const payload = done?.outcome?.success?.payloads?.[0];
    if (!update || !payload) continue;
    const result = decodePayload(payload);
    if (update.name === requestPermitUpdate.name) {
      const req = update.arg as PermitRequest;
      const decision = result as PermitDecision;
      if (typeof req?.requestId !== 'string' || answers.has(req.requestId)) continue;
      answers.set(req.requestId, decision);
      if (typeof req.cluster === 'string' && req.cluster !== '' && req.cluster !== clusterIdentity) {
        ledger = ledgerAdoptCluster(ledger, req.cluster).ledger;
        clusterIdentity = req.cluster;
      }
      if (decision?.kind === 'allow' && decision.attemptId)
        ledger = ledgerAllow(ledger, req, decision.attemptId, update.at);
    } else if (update.name === reportOutcomeUpdate.name) {
      ledger = ledgerReport(ledger, update.arg as OutcomeReport).ledger;
    } else if (update.name === setKillSwitchUpdate.name) {
      killSwitch = result as KillSwitchView;
    } else if (update.name === reloadPolicyUpdate.name) {
      killSwitch = (result as { killSwitch?: KillSwitchView } | undefined)?.killSwitch ?? killSwitch;
    } else if (update.name === forgetAttemptsUpdate.name) {
      ledger = ledgerForget(ledger).ledger;
    } else if (update.name === reportRecoveryUpdate.name) {
      const r = update.arg as RecoveryReport;
      ledger = ledgerClear(
        ledger,
        r.incidentKey,
        { kind: 'recovered', by: `${r.workflowId}/${r.runId}` },
        update.at,
      ).ledger;
    } else if (update.name === resetFailuresUpdate.name) {
      const r = update.arg as ResetFailuresRequest;
      ledger = ledgerClear(ledger, r.incidentKey, { kind: 'reset', by: r.by }, update.at).ledger;
    }
  }
  return {
    ledger,
    answers: [...answers.entries()],
    ...(killSwitch ? { killSwitch } : {}),
    ...(clusterIdentity !== undefined ? { clusterIdentity } : {}),
  };
}

/**
 * A replacement guardian: today's limits and settings, and the old run's books: its attempts (the
 * rate limit and escalation count them), remediations in flight, waiters and answers (a retried
 * request gets the same answer, and counts once). The kill switch is the newer of the stored one
 * and the old run's, so neither a release nor an engagement is lost.
 */
export function carryGuardian(fresh: GuardianInput, old: OldRun): GuardianInput {
  const input = asRecord(old.input) as Partial<GuardianInput> | undefined;
  const carry = input?.carry;
  const books = guardianBooksFromHistory(old.events, carry);
  const killSwitch = newerKillSwitch(fresh.killSwitch, books.killSwitch ?? input?.killSwitch);
  return {
    ...fresh,
    killSwitch,
    carry: {
      attempts: books.ledger.attempts,
      inFlight: books.ledger.inFlight,
      waiters: carry?.waiters ?? [],
      answers: books.answers,
      killSwitch,
      // The stored levels win; the guardian fills in its defaults for any class missing here.
      autonomy: { ...carry?.autonomy, ...fresh.autonomy } as GuardianCarry['autonomy'],
      ...(books.clusterIdentity !== undefined ? { clusterIdentity: books.clusterIdentity } : {}),
    },
  };
}

/**
 * A replacement monitor: today's configuration, and the old run's counters. Its last snapshot is
 * not carried: it is as old as the old run's start, and the cluster may have moved on since (the
 * demo's simulator starts afresh), so comparing against it would report stale changes as incidents;
 * the new run takes its first look as its baseline.
 */
export function carryMonitor(fresh: MonitorInput, old: OldRun): MonitorInput {
  const carry = (asRecord(old.input) as Partial<MonitorInput> | undefined)?.carry;
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
      fresh: async (old) => {
        const input = carryGuardian(await guardianInputFor(pool, o), old);
        // A replacement reads the kill switch from the policy store: an engagement newer than the
        // stored one, made in the old run, is stored first so that it is not lost.
        const store = new PolicySource(pool, o.config.cluster, {
          protected: o.protectedResources,
          twoPersonRule: o.twoPersonRule,
        });
        const stored = await store.load();
        if (input.killSwitch.engaged !== stored.killSwitch.engaged || input.killSwitch.at !== stored.killSwitch.at) {
          await store.update(
            (doc) => ({ ...doc, killSwitch: input.killSwitch }),
            input.killSwitch.by ?? 'jarvis-worker',
            'kill switch carried from the replaced guardian',
          );
        }
        return input;
      },
    },
    {
      workflowId: monitorIdFor(o.config.cluster),
      type: MONITOR_WORKFLOW,
      fresh: async (old) => carryMonitor(await monitorInputFor(pool, taskQueue, o), old),
    },
  ];
}
