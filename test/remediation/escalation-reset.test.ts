import { AuditRepository } from '@jarvis/db';
import { guardianIdFor, guardianStateQuery, resetFailuresUpdate } from '@jarvis/workflows/api';
import { startApi, type ApiHarness } from '../api/api-harness';
import { OPERATOR, startStack, type TestStack } from '../support/stack';
import { eventually, ledger, simControl } from '../support/vm-action.fixtures';
import {
  fastAutonomy,
  monitorHasLooked,
  pollsOf,
  remediationResult,
  stepsOf,
  terminateStack,
} from '../support/remediation.fixtures';

interface Counted {
  readonly at: string;
  readonly workflowId: string;
  readonly runId?: string;
  readonly detail?: string;
}
interface FailureHistory {
  readonly incidentKey: string;
  readonly counted: number;
  readonly escalates: boolean;
  readonly attempts: readonly {
    readonly runId?: string;
    readonly detail?: string;
    readonly counted: boolean;
    readonly cleared?: { kind: string; by: string };
  }[];
}

/**
 * Escalations an operator can read and reset (issue 21), on the real dev server and simulator:
 * an escalation names the failed attempts it counted (when, what failed, which run), the
 * guardrails view lists them per incident key, and an operator's reset, made through the
 * guardian and audited, lets the runbook try again.
 */
describe('escalations an operator can read and reset', () => {
  let stack: TestStack;
  let api: ApiHarness;
  let token: string;
  const AGENT = 'remediate:node-down:agent';

  /** The node goes offline (after being seen online), and the run of its remediation that follows. */
  const takeOffline = async (node: string): Promise<number> => {
    await simControl(stack, 'POST', '/faults', { kind: 'node-online', node });
    // The monitor must see it online, or going offline again is no new incident.
    await eventually(() => stack.pve.nodeStatus(node));
    const polls = await pollsOf(stack);
    await eventually(async () => ((await pollsOf(stack)) >= polls + 2 ? true : undefined), 10_000, 50);
    const since = Date.now();
    await simControl(stack, 'POST', '/faults', { kind: 'node-offline', node });
    return since;
  };
  const runIdOf = async (workflowId: string): Promise<string> =>
    (await stack.client.workflow.getHandle(workflowId).describe()).runId;

  beforeAll(async () => {
    // Per-node endpoints, as an install pointed at its nodes: a wake goes out through another node's own API.
    stack = await startStack({ autonomy: fastAutonomy(`esc-${Date.now().toString(36)}`), nodeEndpoints: true });
    api = await startApi({ stack });
    token = await api.login(OPERATOR.username, OPERATOR.password);
    await eventually(() => stack.client.workflow.getHandle(guardianIdFor(stack.cluster)).describe());
    await monitorHasLooked(stack);
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await api?.close();
    await stack?.close();
  });

  it('an escalation lists the failures it counted; a reset through the guardian lets the runbook try again', async () => {
    // agent has no wake-on-LAN MAC: every attempt fails, whichever node relays the request.
    const first = await takeOffline('agent');
    expect(await remediationResult(stack, AGENT, first, 30_000)).toMatchObject({ outcome: 'escalated', attempts: 3 });
    const firstRun = await runIdOf(AGENT);
    const firstSteps = await stepsOf(stack, AGENT, first);
    // The relay is named in the step, and another is tried when one fails.
    expect(firstSteps.map((s) => s.title)).toEqual(expect.arrayContaining(['Waking agent through agent1 (attempt 1)']));
    expect(firstSteps.filter((s) => s.kind === 'wake-relay-failed').length).toBeGreaterThanOrEqual(3);

    // The next occurrence is refused at once, and now says which attempts it counted: run 1's.
    const second = await takeOffline('agent');
    expect(await remediationResult(stack, AGENT, second, 15_000)).toMatchObject({ outcome: 'escalated', attempts: 0 });
    const escalated = (await stepsOf(stack, AGENT, second)).find((s) => s.kind === 'escalated');
    expect(escalated?.title).toContain('3 failed attempts in a row');
    expect(escalated?.title).toContain(`Counted: `);
    expect(escalated?.title).toContain(`${AGENT} run ${firstRun.slice(0, 8)}`);
    expect(escalated?.title).toContain("No wake on LAN MAC address defined for 'agent'");
    const counted = escalated?.detail?.['counted'] as Counted[];
    expect(counted).toHaveLength(3);
    for (const c of counted) {
      expect(c).toMatchObject({ workflowId: AGENT, runId: firstRun });
      expect(Date.parse(c.at)).toBeGreaterThanOrEqual(first - 50);
      expect(c.detail).toContain('No wake on LAN MAC address');
    }

    // The guardrails view lists the history per incident key.
    const view = await api.call<{ failures: FailureHistory[] }>('GET', '/api/guardrails', { token });
    const history = view.json.failures.find((h) => h.incidentKey === AGENT);
    expect(history).toMatchObject({ counted: 3, escalates: true });
    expect(history?.attempts.filter((a) => a.counted && a.runId === firstRun)).toHaveLength(3);

    // Reset: operators only, through the guardian, audited with who and when.
    const path = `/api/guardrails/failures/${AGENT}/reset`;
    expect((await api.call('POST', path, { body: {} })).status).toBe(401);
    expect((await api.call('POST', '/api/guardrails/failures/bad key!/reset', { token, body: {} })).status).toBe(400);
    // Straight to the guardian, without the API's signature: refused, nothing reset.
    await expect(
      stack.client.workflow
        .getHandle(guardianIdFor(stack.cluster))
        .executeUpdate(resetFailuresUpdate, { args: [{ incidentKey: AGENT, by: 'mallory', reason: 'sneaking' }] }),
    ).rejects.toMatchObject({ cause: { type: 'NOT_VOUCHED' } });
    const before = Date.now();
    const reset = await api.call<{ reset: number; by: string; at: string }>('POST', path, {
      token,
      body: { reason: 'WoL configured in the firmware' },
    });
    expect(reset.status).toBe(200);
    expect(reset.json).toMatchObject({ incidentKey: AGENT, reset: 3, by: OPERATOR.username });
    const audited = (await new AuditRepository(stack.pool).forWorkflow('guardrails:failures')).filter(
      (r) => r.kind === 'failures-reset' && Date.parse(r.at) >= before - 50,
    );
    expect(audited).toEqual([
      expect.objectContaining({ actor: OPERATOR.username, detail: expect.objectContaining({ incidentKey: AGENT }) }),
    ]);
    const guardian = await stack.client.workflow.getHandle(guardianIdFor(stack.cluster)).query(guardianStateQuery);
    expect(guardian.attempts.filter((a) => a.incidentKey === AGENT && a.cleared?.kind === 'reset')).toHaveLength(3);
    const after = await api.call<{ failures: FailureHistory[] }>('GET', '/api/guardrails', { token });
    expect(after.json.failures.find((h) => h.incidentKey === AGENT)).toMatchObject({ counted: 0, escalates: false });

    // The next occurrence is permitted and tries again.
    const third = await takeOffline('agent');
    await eventually(async () => {
      const kinds = (await stepsOf(stack, AGENT, third)).map((s) => s.kind);
      return kinds.includes('permitted') && kinds.includes('waking') ? true : undefined;
    }, 15_000);
    // It comes back meanwhile: the run ends in recovery, and its failures stop counting toward escalation.
    await simControl(stack, 'POST', '/faults', { kind: 'node-online', node: 'agent' });
    expect(await remediationResult(stack, AGENT, third, 30_000)).toMatchObject({ outcome: 'cleared' });
    const thirdRun = await runIdOf(AGENT);
    const books = await stack.client.workflow.getHandle(guardianIdFor(stack.cluster)).query(guardianStateQuery);
    const failedInThird = books.attempts.filter((a) => a.runId === thirdRun && a.outcome === 'failed');
    expect(failedInThird.length).toBeGreaterThanOrEqual(1);
    expect(failedInThird.every((a) => a.cleared?.kind === 'recovered')).toBe(true);
    const recovered = await api.call<{ failures: FailureHistory[] }>('GET', '/api/guardrails', { token });
    expect(recovered.json.failures.find((h) => h.incidentKey === AGENT)).toMatchObject({ counted: 0 });
  });

  it('the node Jarvis talks to is woken through another node, which the step names', async () => {
    await simControl(stack, 'DELETE', '/faults');
    const since = await takeOffline('home');
    const id = 'remediate:node-down:home';
    const waking = await eventually(async () => {
      const steps = await stepsOf(stack, id, since);
      return steps.some((s) => s.kind === 'wake-sent' || s.kind === 'attempt-failed') ? steps : undefined;
    }, 20_000);
    // The first online node by name other than home; never home itself.
    expect(waking.find((s) => s.kind === 'waking')?.title).toBe('Waking home through agent (attempt 1)');
    expect(waking.filter((s) => s.kind === 'waking').every((s) => !/through home\b/.test(s.title))).toBe(true);
    expect(waking.find((s) => s.kind === 'wake-sent')?.title).toContain('through agent');
    expect(await remediationResult(stack, id, since, 30_000)).toMatchObject({ outcome: 'resolved' });
    // The packet went out through agent's own endpoint, never home's.
    const wakes = (await ledger(stack)).filter((e) => e.path.endsWith('/nodes/home/wakeonlan'));
    expect(wakes.length).toBeGreaterThan(0);
    expect(wakes.every((e) => e.via === 'agent')).toBe(true);
  });
});
