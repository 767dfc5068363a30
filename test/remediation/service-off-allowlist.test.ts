import { monitorIdFor, monitorStatusQuery } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { eventually, ledger, simControl } from '../support/vm-action.fixtures';
import { fastAutonomy, remediationResult, stepsOf, terminateStack } from '../support/remediation.fixtures';

/**
 * A watched unit the allowlist lets Jarvis inspect but never restart (pve-firewall): its restart is
 * BLACK at request time, with the allowlist's reason, so the runbook escalates at once instead of
 * burning its attempts on commands the SSH layer would refuse. (The boot check refuses such a
 * WATCHED_SERVICES; this stack hands the monitor the unit directly, as an older config would.)
 */
describe('a watched service off the restart allowlist', () => {
  let stack: TestStack;

  beforeAll(async () => {
    const cluster = `svc-black-${Date.now().toString(36)}`;
    stack = await startStack({
      autonomy: fastAutonomy(cluster, { watchedServices: { pve: ['pve-firewall'] } }),
      ssh: true,
    });
    await eventually(async () => {
      const status = await stack.client.workflow.getHandle(monitorIdFor(stack.cluster)).query(monitorStatusQuery);
      return status.polls >= 2 ? true : undefined;
    });
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
  });

  it('is blocked without one restart attempt, saying why', async () => {
    const since = Date.now();
    const workflowId = 'remediate:service-down:pve:pve-firewall';
    await simControl(stack, 'POST', '/faults', { kind: 'service-down', node: 'pve', unit: 'pve-firewall' });
    const result = await remediationResult(stack, workflowId, since, 30_000);
    expect(result).toMatchObject({ outcome: 'blocked', attempts: 0 });
    const restarts = (await ledger(stack)).filter((e) => e.method === 'SSH' && e.atMs >= since - 50);
    expect(restarts).toEqual([]);
    const steps = await stepsOf(stack, workflowId, since);
    expect(steps.map((s) => s.kind)).not.toContain('restarting');
    expect(JSON.stringify(steps)).toContain('pve-firewall is not on the restart allowlist');
    await simControl(stack, 'DELETE', '/faults');
  });
});
