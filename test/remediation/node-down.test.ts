import { guardianIdFor } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { eventually, ledger, simControl } from '../support/vm-action.fixtures';
import {
  fastAutonomy,
  remediationResult,
  stepsOf,
  terminateStack,
  monitorHasLooked,
  pollsOf,
} from '../support/remediation.fixtures';

/** Node down → wake-on-LAN through an online node, one node at a time. */
describe('a node that goes down', () => {
  let stack: TestStack;
  const wakes = async () => (await ledger(stack)).filter((e) => e.path.endsWith('/wakeonlan'));

  beforeAll(async () => {
    stack = await startStack({ autonomy: fastAutonomy(`node-${Date.now().toString(36)}`) });
    await eventually(() => stack.client.workflow.getHandle(guardianIdFor(stack.cluster)).describe());
    await monitorHasLooked(stack);
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
  });

  it('is woken over LAN and verified back online', async () => {
    const since = Date.now();
    await simControl(stack, 'POST', '/faults', { kind: 'node-offline', node: 'pve' });
    const result = await remediationResult(stack, 'remediate:node-down:pve', since, 30_000);
    expect(result).toMatchObject({ outcome: 'resolved', attempts: 1 });
    const calls = await wakes();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ method: 'POST', node: 'pve' });
    const status = await stack.pve.nodeStatus('pve');
    expect(status.uptime).toBeGreaterThanOrEqual(0);
    const kinds = (await stepsOf(stack, 'remediate:node-down:pve', since)).map((s) => s.kind);
    expect(kinds).toEqual(
      expect.arrayContaining(['detected', 'permitted', 'waking', 'wake-sent', 'verified', 'resolved']),
    );
  });

  it('two nodes down: one at a time (the second waits for the first to finish)', async () => {
    const since = Date.now();
    await simControl(stack, 'POST', '/reset', {});
    // The monitor must have seen pve back online since the first test, or its going offline again is no change.
    const polls = await pollsOf(stack);
    await eventually(async () => ((await pollsOf(stack)) >= polls + 2 ? true : undefined), 10_000, 50);
    // pve can be woken; agent has no wake-on-LAN MAC, so its attempts fail and it escalates.
    await simControl(stack, 'POST', '/faults', { kind: 'node-offline', node: 'pve' });
    await simControl(stack, 'POST', '/faults', { kind: 'node-offline', node: 'agent' });
    const [pve, agent] = await Promise.all([
      remediationResult(stack, 'remediate:node-down:pve', since, 60_000),
      remediationResult(stack, 'remediate:node-down:agent', since, 60_000),
    ]);
    expect(pve.outcome).toBe('resolved');
    expect(agent.outcome).toBe('escalated');

    // Every attempt is an interval from its permit to its end; no two on different nodes overlap.
    const intervals: { node: string; from: number; to: number }[] = [];
    for (const node of ['pve', 'agent']) {
      const steps = await stepsOf(stack, `remediate:node-down:${node}`, since);
      let from: number | undefined;
      for (const s of steps) {
        if (s.kind === 'permitted') from = Date.parse(s.at);
        if ((s.kind === 'attempt-failed' || s.kind === 'resolved') && from !== undefined) {
          intervals.push({ node, from, to: Date.parse(s.at) });
          from = undefined;
        }
      }
    }
    expect(intervals.filter((i) => i.node === 'pve').length).toBeGreaterThanOrEqual(1);
    expect(intervals.filter((i) => i.node === 'agent').length).toBeGreaterThanOrEqual(1);
    for (const a of intervals)
      for (const b of intervals) if (a.node !== b.node) expect(a.to <= b.from || b.to <= a.from).toBe(true);
    const waited = (await stepsOf(stack, 'remediate:node-down:pve', since))
      .concat(await stepsOf(stack, 'remediate:node-down:agent', since))
      .filter((s) => s.kind === 'waiting' && s.detail?.['ruleId'] === 'blast-radius');
    expect(waited.length).toBeGreaterThanOrEqual(1);
  });
});
