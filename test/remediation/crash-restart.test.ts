import { guardianIdFor, monitorIdFor, timelineFromHistory } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import {
  eventually,
  ledger,
  powerCalls,
  simControl,
  startVmAction,
  vmActionInput,
} from '../support/vm-action.fixtures';
import {
  fastAutonomy,
  incidentOf,
  remediationResult,
  stepsOf,
  terminateStack,
  monitorHasLooked,
} from '../support/remediation.fixtures';

/**
 * The monitor → remediation path on the real dev server and the simulator: a crashed VM is
 * noticed within a poll, restarted once, watched over its stability window, and resolved, with
 * every step in the feed and the incident projection.
 */
describe('a crashed VM', () => {
  let stack: TestStack;

  beforeAll(async () => {
    const cluster = `crash-${Date.now().toString(36)}`;
    stack = await startStack({ autonomy: fastAutonomy(cluster) });
    await eventually(async () => {
      await stack.client.workflow.getHandle(monitorIdFor(stack.cluster)).describe();
      await stack.client.workflow.getHandle(guardianIdFor(stack.cluster)).describe();
      return true;
    });
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
  });

  it('is detected, restarted once, verified and resolved, and the feed shows it in order', async () => {
    const since = Date.now();
    // Let the monitor take its first look at the healthy cluster.
    await monitorHasLooked(stack);
    const crashedAt = Date.now();
    await simControl(stack, 'POST', '/faults', { kind: 'crash-guest', vmid: 110 });
    const workflowId = 'remediate:vm-crashed:110';

    const result = await remediationResult(stack, workflowId, since, 30_000);
    expect(result).toMatchObject({ outcome: 'resolved', attempts: 1 });
    expect(powerCalls(await ledger(stack), 110, 'start')).toHaveLength(1);

    const kinds = (await stepsOf(stack, workflowId, since)).map((s) => s.kind);
    const order = ['detected', 'permitted', 'restarting', 'task', 'running', 'verified', 'resolved'];
    const positions = order.map((k) => kinds.indexOf(k));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    const incident = await eventually(async () => {
      const i = await incidentOf(stack, workflowId);
      return i?.state === 'resolved' ? i : undefined;
    });
    expect(incident).toMatchObject({ class: 'vm-crashed', subject: { node: 'agent1', vmid: 110 }, attempts: 1 });
    expect(Date.parse(incident.detectedAt) - crashedAt).toBeLessThan(5_000);

    // The timeline, read from the history, carries the evidence, the guardrail check and the UPID.
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const timeline = timelineFromHistory(history.events ?? []);
    expect(timeline.find((s) => s.kind === 'detected')?.detail).toMatchObject({ evidence: { vmid: 110 } });
    expect(timeline.find((s) => s.kind === 'permitted')?.detail).toMatchObject({ decision: 'allow', autonomy: 'L3' });
    expect(timeline.find((s) => s.kind === 'task')?.detail?.['upid']).toMatch(/^UPID:agent1:/);
  });

  it('an operator stop is not a crash: nothing is remediated', async () => {
    // The operator's stop goes through the one door every power action takes, which records the
    // guest's desired state (stopped) before Proxmox hears of it.
    const stop = await startVmAction(
      stack,
      vmActionInput({ node: 'home', vmid: 101, action: 'stop' }, { 'guest.stop': 'GREEN' }),
    );
    await expect(stop.result()).resolves.toMatchObject({ outcome: 'done' });
    await eventually(async () =>
      (await stack.pve.clusterResources('vm')).guests.find((g) => g.vmid === 101)?.status === 'stopped'
        ? true
        : undefined,
    );
    await new Promise((r) => setTimeout(r, 1_500)); // several polls
    await expect(stack.client.workflow.getHandle('remediate:vm-crashed:101').describe()).rejects.toMatchObject({
      name: 'WorkflowNotFoundError',
    });
  });
});
