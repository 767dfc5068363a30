import { PolicySource, createPolicyActivities } from '@jarvis/activities';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection, Worker } from '@temporalio/worker';
import {
  guardianBooksFromHistory,
  guardianInputFor,
  monitorInputFor,
  replaceIncompatibleSingletons,
  workflowBuildId,
  WORKFLOW_BUNDLE_PATH,
} from '@jarvis/worker';
import {
  GUARDIAN_WORKFLOW,
  guardianIdFor,
  forgetAttemptsUpdate,
  guardianStateQuery,
  reportOutcomeUpdate,
  requestPermitUpdate,
  reloadPolicyUpdate,
  setKillSwitchUpdate,
  type GuardianView,
  MONITOR_WORKFLOW,
  monitorIdFor,
  monitorStatusQuery,
  type GuardianCarry,
  type GuardianInput,
  type MonitorInput,
} from '@jarvis/workflows/api';
import { fastAutonomy, terminateStack } from '../support/remediation.fixtures';
import { startStack, type TestStack } from '../support/stack';
import { eventually } from '../support/vm-action.fixtures';

const GUARDIAN_FIXTURE = join(__dirname, '..', 'fixtures', 'histories', 'guardian-permits.json');

type Handle = ReturnType<TestStack['client']['workflow']['getHandle']>;

/** Resolves once the run has finished a workflow task, so its history holds its first commands. */
const firstTaskDone = (handle: Handle): Promise<true> =>
  eventually(async () => {
    const { events } = await handle.fetchHistory();
    return events?.some((e) => e.workflowTaskCompletedEventAttributes) ? true : undefined;
  });

const startInputOf = async (handle: Handle): Promise<Record<string, unknown>> => {
  const { events } = await handle.fetchHistory();
  const payload = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  return defaultPayloadConverter.fromPayload(payload!);
};

/**
 * "Keep running demos running": the demo keeps Temporal's state, so the worker may find a monitor
 * and guardian started by an older build. One whose history today's bundle cannot replay is
 * replaced by a fresh run carrying its state, with a log line; a compatible one is left alone.
 */
describe('singletons left running by an older build', () => {
  let stack: TestStack;
  let connection: NativeConnection;
  const logs: string[] = [];
  const autonomy = (cluster: string) => fastAutonomy(cluster);

  beforeAll(async () => {
    stack = await startStack({
      worker: false,
      autonomy: autonomy(`old-${randomBytes(4).toString('hex')}`),
      log: (line) => logs.push(line),
    });
    connection = await NativeConnection.connect({ address: stack.temporalAddress });
  });
  afterAll(async () => {
    await terminateStack(stack).catch(() => undefined);
    await connection?.close();
    await stack?.close();
  });

  it('replaces an incompatible monitor and guardian, carrying their state, and leaves a compatible one be', async () => {
    const o = autonomy(stack.cluster);
    const at = new Date().toISOString();
    const attempt = {
      attemptId: 'attempt-1',
      workflowId: 'remediate:vm-crashed:101',
      incidentKey: 'remediate:vm-crashed:101',
      at: Date.now() - 5_000,
      outcome: 'failed' as const,
    };
    const oldGuardianCarry: GuardianCarry = {
      attempts: [attempt],
      inFlight: [],
      waiters: [],
      answers: [],
      killSwitch: { engaged: true, by: 'tester', at },
      autonomy: {
        'vm-crashed': 'L3',
        'node-down': 'L3',
        'service-down': 'L3',
        'disk-high': 'L2',
        'disk-critical': 'L2',
        'ram-high': 'L2',
        'quorum-at-risk': 'L1',
      },
    };
    const oldGuardianInput: GuardianInput = { ...(await guardianInputFor(stack.pool, o)), carry: oldGuardianCarry };
    const oldMonitorInput: MonitorInput = {
      ...(await monitorInputFor(stack.pool, stack.taskQueue, o)),
      carry: { previous: { observedAt: Date.now() - 60_000 }, lastRun: {}, polls: 41, stepSeq: 7, failing: false },
    };

    // The older build: same types, other commands, on the stack's task queue.
    const oldWorker = await Worker.create({
      connection,
      taskQueue: stack.taskQueue,
      workflowsPath: join(__dirname, 'old-build', 'workflows.ts'),
      maxCachedWorkflows: 10,
    });
    // A compatible guardian of another cluster, started and run by today's bundle.
    const okQueue = `${stack.taskQueue}-ok`;
    const okId = guardianIdFor(`${stack.cluster}-ok`);
    // Today's guardian loads its kill switch and autonomy from the policy store of its cluster.
    const okPolicy = new PolicySource(stack.pool, `${stack.cluster}-ok`, {
      protected: o.protectedResources,
      twoPersonRule: o.twoPersonRule,
    });
    const todayWorker = await Worker.create({
      connection,
      taskQueue: okQueue,
      workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
      activities: createPolicyActivities({ source: okPolicy }),
      maxCachedWorkflows: 10,
    });
    const guardianId = guardianIdFor(stack.cluster);
    const monitorId = monitorIdFor(stack.cluster);
    let okRunId = '';
    let okState!: GuardianView;
    let okEvents: Awaited<ReturnType<Handle['fetchHistory']>>['events'] = [];
    const oldRuns: { workflowId: string; runId: string }[] = [];
    await oldWorker.runUntil(
      todayWorker.runUntil(async () => {
        const oldGuardian = await stack.client.workflow.start(GUARDIAN_WORKFLOW, {
          workflowId: guardianId,
          taskQueue: stack.taskQueue,
          args: [oldGuardianInput],
        });
        const oldMonitor = await stack.client.workflow.start(MONITOR_WORKFLOW, {
          workflowId: monitorId,
          taskQueue: stack.taskQueue,
          args: [oldMonitorInput],
        });
        const ok = await stack.client.workflow.start(GUARDIAN_WORKFLOW, {
          workflowId: okId,
          taskQueue: okQueue,
          args: [{ ...(await guardianInputFor(stack.pool, o)), cluster: `${stack.cluster}-ok` }],
        });
        okRunId = ok.firstExecutionRunId;
        // Updates sent before the guardian's first workflow task has registered its handlers are
        // rejected: wait until it answers, as the worker's clients find it running.
        await eventually(() => ok.query(guardianStateQuery).catch(() => undefined));
        // Decisions made by today's guardian, to rebuild from its history below.
        const permit = (requestId: string, vmid: number) =>
          ok.executeUpdate(requestPermitUpdate, {
            updateId: requestId,
            args: [
              {
                requestId,
                workflowId: `remediate:vm-crashed:${vmid}`,
                incident: {
                  key: `remediate:vm-crashed:${vmid}`,
                  class: 'vm-crashed',
                  severity: 'major',
                  subject: { node: 'pve', vmid },
                  evidence: {},
                },
                tier: 'YELLOW',
              },
            ],
          });
        const first = await permit('req-1', 101);
        expect(first.kind).toBe('allow');
        expect((await permit('req-2', 102)).kind).toBe('allow');
        expect((await permit('req-1', 101)).attemptId).toBe(first.attemptId);
        await ok.executeUpdate(reportOutcomeUpdate, {
          updateId: 'report-1',
          args: [{ attemptId: first.attemptId!, incidentKey: 'remediate:vm-crashed:101', outcome: 'failed' }],
        });
        // As the API does it: the kill switch into the store, and the guardian told to re-read it.
        await okPolicy.update((doc) => ({ ...doc, killSwitch: { engaged: true, by: 'tester2' } }), 'tester2', 'test');
        await ok.executeUpdate(reloadPolicyUpdate, { args: [{ reason: 'kill switch engaged' }] });
        // An update that carries the setting itself is refused: the store is the only source.
        await expect(
          ok.executeUpdate(setKillSwitchUpdate, { args: [{ engaged: false, by: 'mallory' }] }),
        ).rejects.toMatchObject({ cause: { type: 'USE_POLICY_STORE' } });
        okState = await ok.query(guardianStateQuery);
        const okHistory = await ok.fetchHistory();
        okEvents = okHistory.events ?? [];
        // The demo's fresh cluster: the settled attempts are forgotten, the pending one stays, in the books too.
        const forget = (by: string) =>
          ok.executeUpdate(forgetAttemptsUpdate, {
            args: [{ by, reason: 'the simulated cluster started afresh' }],
          });
        await expect(forget('demo')).resolves.toEqual({ forgotten: 1 });
        const forgotten = await ok.query(guardianStateQuery);
        expect(forgotten.attempts.map((a) => a.outcome)).toEqual(['pending']);
        expect(guardianBooksFromHistory((await ok.fetchHistory()).events ?? []).ledger).toEqual({
          attempts: forgotten.attempts,
          inFlight: forgotten.inFlight,
        });
        await expect(forget('')).rejects.toThrow();
        // The guardian's replay fixture: a running guardian that allowed, answered again, settled and stopped.
        if (process.env['RECORD_HISTORIES'] === '1')
          writeFileSync(GUARDIAN_FIXTURE, JSON.stringify(JSON.parse(historyToJSON(okHistory)), null, 1));
        for (const old of [oldGuardian, oldMonitor])
          oldRuns.push({ workflowId: old.workflowId, runId: old.firstExecutionRunId });
        await Promise.all([firstTaskDone(oldGuardian), firstTaskDone(oldMonitor), firstTaskDone(ok)]);
      }),
    );

    // The books rebuilt from a guardian's history are the books the guardian itself keeps.
    const books = guardianBooksFromHistory(okEvents ?? []);
    expect(okState.attempts.map((a) => a.outcome)).toEqual(['failed', 'pending']);
    expect(books.ledger).toEqual({ attempts: okState.attempts, inFlight: okState.inFlight });
    expect(books.killSwitch).toEqual(okState.killSwitch);
    expect(books.answers.map(([id]) => id)).toEqual(['req-1', 'req-2']);

    // A compatible run is left alone: same run, no replacement, no log line.
    const quiet: string[] = [];
    const kept = await replaceIncompatibleSingletons({
      client: stack.client,
      taskQueue: okQueue,
      bundlePath: WORKFLOW_BUNDLE_PATH,
      singletons: [
        {
          workflowId: okId,
          type: GUARDIAN_WORKFLOW,
          fresh: () => Promise.reject(new Error('a compatible run must not be replaced')),
        },
      ],
      log: (line) => quiet.push(line),
    });
    expect(kept).toEqual([{ workflowId: okId, verdict: 'kept', runId: okRunId }]);
    expect(quiet).toEqual([]);

    // The worker starts as the demo's does: it finds the older build's runs and replaces them.
    await stack.startWorker();
    const build = await workflowBuildId(WORKFLOW_BUNDLE_PATH);
    await eventually(
      () => Promise.resolve(logs.some((l) => l.startsWith('watching the cluster')) ? true : undefined),
      20_000,
    );
    const replaced = logs.filter((l) => l.startsWith('replaced '));
    expect(replaced).toHaveLength(2);
    expect(replaced[0]).toMatch(new RegExp(`^replaced ${guardianId} \\(run ${oldRuns[0]!.runId}\\).*build ${build}`));
    expect(replaced[1]).toMatch(new RegExp(`^replaced ${monitorId} \\(run ${oldRuns[1]!.runId}\\).*build ${build}`));

    // The old runs were terminated, naming the build that replaced them.
    expect(oldRuns).toHaveLength(2);
    for (const old of oldRuns) {
      const { events } = await stack.client.workflow.getHandle(old.workflowId, old.runId).fetchHistory();
      expect(events?.at(-1)?.workflowExecutionTerminatedEventAttributes?.reason).toBe(`replaced by build ${build}`);
    }

    // The guardian's attempts and its (newer) engaged kill switch were carried.
    const guardian = stack.client.workflow.getHandle(guardianId);
    expect((await guardian.describe()).runId).not.toBe(oldRuns[0]!.runId);
    const guardianInput = (await startInputOf(guardian)) as unknown as GuardianInput;
    expect(guardianInput.carry?.attempts).toEqual([attempt]);
    expect(guardianInput.killSwitch).toEqual({ engaged: true, by: 'tester', at });
    expect(guardianInput.carry?.killSwitch).toEqual({ engaged: true, by: 'tester', at });
    // The monitor's counters were carried; its stale snapshot was not.
    const monitor = stack.client.workflow.getHandle(monitorId);
    expect((await monitor.describe()).runId).not.toBe(oldRuns[1]!.runId);
    const monitorInput = (await startInputOf(monitor)) as unknown as MonitorInput;
    expect(monitorInput.carry).toEqual({ lastRun: {}, polls: 41, stepSeq: 7, failing: false });
    expect(monitorInput.intervals).toEqual(o.config.intervals);

    // And it comes up monitored: the new monitor answers and has looked at the cluster.
    const status = await eventually(
      async () => {
        const s = await monitor.query(monitorStatusQuery);
        return s.polls > 41 && s.lastObservedAt !== undefined ? s : undefined;
      },
      20_000,
      100,
    );
    expect(status.failing).toBe(false);
    await stack.client.workflow.getHandle(okId).terminate('test cleanup');
  });
});
