import { type ChildProcess } from 'node:child_process';
import { timelineFromHistory } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { killProcess, startWorkerProcess } from '../support/worker-process';
import {
  eventually,
  ledger,
  powerCalls,
  simControl,
  startVmAction,
  vmActionInput,
} from '../support/vm-action.fixtures';

/**
 * The worker is a real OS process here, killed with SIGKILL mid-action; a new one takes over.
 * The simulator's ledger of state-changing calls proves the action happened exactly once.
 */
describe('a worker killed mid-action', () => {
  let stack: TestStack;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    stack = await startStack({ worker: false });
  });
  afterAll(async () => {
    worker?.kill('SIGKILL');
    await stack?.close();
  });
  beforeEach(async () => {
    await simControl(stack, 'POST', '/reset', {});
  });
  afterEach(async () => {
    // One worker at a time: a survivor from an earlier test would take over this test's tasks.
    if (worker && worker.exitCode === null && worker.signalCode === null) await kill(worker);
    worker = undefined;
  });

  const startWorker = (): Promise<ChildProcess> => startWorkerProcess(stack);
  const kill = killProcess;

  it('while it waits for the Proxmox task: the task is followed to its end, not issued again', async () => {
    await simControl(stack, 'PUT', '/config', { taskMs: 4_000 });
    worker = await startWorker();
    const handle = await startVmAction(
      stack,
      vmActionInput(
        { node: 'pve', vmid: 100, action: 'stop', timing: { heartbeatTimeoutMs: 1_500 } },
        { 'guest.stop': 'GREEN' },
      ),
    );
    await eventually(async () => (powerCalls(await ledger(stack), 100, 'stop').length === 1 ? true : undefined));
    await kill(worker);

    worker = await startWorker();
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'done', finalStatus: 'stopped' });
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(1);
  });

  it('while the Proxmox call is in flight: the retry finds the task it started instead of starting another', async () => {
    await simControl(stack, 'PUT', '/config', { taskMs: 500 });
    await simControl(stack, 'POST', '/faults', { kind: 'latency', ms: 1_500 });
    worker = await startWorker();
    const handle = await startVmAction(
      stack,
      vmActionInput(
        { node: 'pve', vmid: 100, action: 'stop', timing: { callTimeoutMs: 4_000, heartbeatTimeoutMs: 1_500 } },
        { 'guest.stop': 'GREEN' },
      ),
    );
    // The describe call also pays the latency; wait until the stop request is on the wire.
    await eventually(
      async () => {
        const { raw } = await handle.describe();
        return raw.pendingActivities?.some((a) => a.activityType?.name === 'issuePowerAction' && Number(a.state) === 2)
          ? true
          : undefined;
      },
      20_000,
      20,
    );
    await kill(worker);
    await simControl(stack, 'DELETE', '/faults');
    await eventually(async () => (powerCalls(await ledger(stack), 100, 'stop').length === 1 ? true : undefined));

    worker = await startWorker();
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'done', finalStatus: 'stopped' });
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(1);
    const hist = (await handle.fetchHistory()).events ?? [];
    const steps = timelineFromHistory(hist);
    expect(steps.find((s) => s.kind === 'task')?.detail).toMatchObject({ adopted: true, upid: result.upid });
  });
});
