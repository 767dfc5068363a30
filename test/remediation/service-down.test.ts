import { monitorIdFor, monitorStatusQuery } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { eventually, ledger, simControl } from '../support/vm-action.fixtures';
import { fastAutonomy, incidentOf, remediationResult, stepsOf, terminateStack } from '../support/remediation.fixtures';

const WATCHED = { '*': ['pvedaemon'], pve: ['pveproxy'] };

async function monitorReady(stack: TestStack): Promise<void> {
  await eventually(async () => {
    const status = await stack.client.workflow.getHandle(monitorIdFor(stack.cluster)).query(monitorStatusQuery);
    return status.polls >= 2 ? true : undefined;
  });
}

/**
 * Watched services on the real dev server, the simulator and its per-node SSH servers: a unit
 * stopped on a node is seen by `systemctl is-active` over SSH, restarted through the allowlist
 * (`systemctl restart`, YELLOW, under the runbook's standing L3 approval), verified and resolved.
 */
describe('a watched service that goes down', () => {
  let stack: TestStack;

  beforeAll(async () => {
    const cluster = `svc-${Date.now().toString(36)}`;
    stack = await startStack({ autonomy: fastAutonomy(cluster, { watchedServices: WATCHED }), ssh: true });
    await monitorReady(stack);
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
  });

  it('is detected over SSH, restarted over SSH, verified and resolved', async () => {
    const since = Date.now();
    const workflowId = 'remediate:service-down:pve:pveproxy';
    await simControl(stack, 'POST', '/faults', { kind: 'service-down', node: 'pve', unit: 'pveproxy' });
    // The simulator answers as a stopped unit does, until something restarts it.
    const down = await stack.ssh!.exec('pve', 'systemctl is-active pveproxy');
    expect(down).toMatchObject({ exitCode: 3 });
    expect(down.stdout.trim()).toBe('failed');

    const result = await remediationResult(stack, workflowId, since, 30_000);
    expect(result).toMatchObject({ outcome: 'resolved', attempts: 1 });

    // Exactly one restart, of that unit on that node, over SSH.
    const restarts = (await ledger(stack)).filter((e) => e.method === 'SSH' && e.atMs >= since - 50);
    expect(restarts).toEqual([
      expect.objectContaining({ node: 'pve', path: 'systemctl restart pveproxy', action: 'restart-service' }),
    ]);
    expect(await simControl<unknown[]>(stack, 'GET', '/faults')).toEqual([]);
    expect((await stack.ssh!.exec('pve', 'systemctl is-active pveproxy')).exitCode).toBe(0);

    const kinds = (await stepsOf(stack, workflowId, since)).map((s) => s.kind);
    const order = ['detected', 'permitted', 'restarting', 'verified', 'resolved'];
    const positions = order.map((k) => kinds.indexOf(k));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    const incident = await eventually(async () => {
      const i = await incidentOf(stack, workflowId);
      return i?.state === 'resolved' ? i : undefined;
    });
    expect(incident).toMatchObject({
      class: 'service-down',
      subject: { node: 'pve', service: 'pveproxy' },
      evidence: { state: 'down' },
      attempts: 1,
    });
  });

  // Not agent1: Jarvis's own node is protected, and its services are never restarted autonomously.
  it('a unit watched on every node is checked on every node', async () => {
    const since = Date.now();
    await simControl(stack, 'POST', '/faults', { kind: 'service-down', node: 'home', unit: 'pvedaemon' });
    const result = await remediationResult(stack, 'remediate:service-down:home:pvedaemon', since, 30_000);
    expect(result).toMatchObject({ outcome: 'resolved', attempts: 1 });
    const restarts = (await ledger(stack)).filter((e) => e.method === 'SSH' && e.atMs >= since - 50);
    expect(restarts.map((e) => `${e.node} ${e.path}`)).toEqual(['home systemctl restart pvedaemon']);
  });
});

describe('watched services without SSH', () => {
  let stack: TestStack;

  beforeAll(async () => {
    const cluster = `nossh-${Date.now().toString(36)}`;
    stack = await startStack({ autonomy: fastAutonomy(cluster, { watchedServices: WATCHED }) });
    await monitorReady(stack);
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
  });

  it('are skipped quietly: no incident, no error, asked once per run', async () => {
    const since = Date.now();
    await simControl(stack, 'POST', '/faults', { kind: 'service-down', node: 'pve', unit: 'pveproxy' });
    const monitor = stack.client.workflow.getHandle(monitorIdFor(stack.cluster));
    const from = (await monitor.query(monitorStatusQuery)).polls;
    // Several important intervals (1 s each at 300 ms polls).
    const status = await eventually(async () => {
      const s = await monitor.query(monitorStatusQuery);
      return s.polls >= from + 12 ? s : undefined;
    }, 20_000);
    expect(status).toMatchObject({ failing: false, started: [] });
    // Incident keys are shared on the dev server (the suite above uses this one): no run of it since the fault.
    const latest = await stack.client.workflow
      .getHandle('remediate:service-down:pve:pveproxy')
      .describe()
      .catch(() => undefined);
    expect(latest === undefined || latest.startTime.getTime() < since).toBe(true);
    const history = await monitor.fetchHistory();
    // Local activities leave markers whose payloads name the activity type.
    const asked = (history.events ?? []).filter((e) =>
      Object.values(e.markerRecordedEventAttributes?.details ?? {}).some((d) =>
        (d.payloads ?? []).some((p) =>
          Buffer.from(p.data ?? [])
            .toString('utf8')
            .includes('checkWatchedServices'),
        ),
      ),
    );
    expect(asked).toHaveLength(1);
    const steps = await stepsOf(stack, monitorIdFor(stack.cluster));
    expect(steps.filter((s) => s.kind === 'monitor-error')).toEqual([]);
    await simControl(stack, 'DELETE', '/faults');
  });
});
