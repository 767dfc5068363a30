import { VM_ACTION_WORKFLOW } from '@jarvis/workflows/api';
import { OPERATOR, SECOND } from '../support/stack';
import { eventually, vmActionInput } from '../support/vm-action.fixtures';
import { expectEnvelope, startApi, type ApiHarness } from './api-harness';

/** POST /api/audit/:workflowId/replay: the worker re-runs the current code on the archived history. */
describe('replaying an archived action through the API', () => {
  let api: ApiHarness;
  let operator: string;
  let workflowId: string;

  beforeAll(async () => {
    api = await startApi({ worker: true });
    operator = await api.login(OPERATOR.username, OPERATOR.password);
    const second = await api.login(SECOND.username, SECOND.password);
    const started = await api.call<{ workflowId: string }>('POST', '/api/guests/pve/111/actions', {
      token: operator,
      body: { action: 'shutdown', reason: 'replay' },
    });
    expect(started.status).toBe(202);
    workflowId = started.json.workflowId;
    const approval = await eventually(async () => {
      const { json } = await api.call<{ items: { id: string; workflowId: string; fingerprint: string }[] }>(
        'GET',
        '/api/approvals?state=pending',
        {
          token: operator,
        },
      );
      return json.items.find((a) => a.workflowId === workflowId);
    });
    const decided = await api.call('POST', `/api/approvals/${approval.id}/approve`, {
      token: second,
      body: { fingerprint: approval.fingerprint },
    });
    expect(decided.status).toBe(200);
    await eventually(
      async () =>
        (await api.call('GET', `/api/audit/${workflowId}/history`, { token: operator })).status === 200
          ? true
          : undefined,
      20_000,
    );
  });
  afterAll(async () => {
    await api?.close();
  });

  it('reproduces the recorded decisions with the current code', async () => {
    const res = await api.call<{ reproduced: boolean; events: number }>('POST', `/api/audit/${workflowId}/replay`, {
      token: operator,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ reproduced: true });
    expect(res.json.events).toBeGreaterThan(10);
  });

  it('keeps secrets out of the recorded history', async () => {
    const res = await api.call('GET', `/api/audit/${workflowId}/history`, { token: operator });
    expect(res.status).toBe(200);
    const env = api.stack.env;
    const secrets = [
      env['PVE_TOKEN']!.split('=')[1]!,
      env['JWT_SECRET']!,
      OPERATOR.password,
      SECOND.password,
      operator,
    ];
    for (const secret of secrets) expect(res.text).not.toContain(secret);
    expect(res.text).toContain('issuePowerAction');
  });

  it('says so, with the reason, when the archived history no longer matches the code', async () => {
    // Tamper with the archive as a changed workflow would look: the recorded Proxmox call is now a different activity.
    await api.stack.pool.query(
      `UPDATE workflow_archive SET history = replace(history::text, '"issuePowerAction"', '"somethingElse"')::jsonb WHERE workflow_id = $1`,
      [workflowId],
    );
    const res = await api.call<{ reproduced: boolean; detail: string }>('POST', `/api/audit/${workflowId}/replay`, {
      token: operator,
    });
    expect(res.status).toBe(200);
    expect(res.json.reproduced).toBe(false);
    expect(res.json.detail).toMatch(/DeterminismViolation/);
  });

  it('answers 404 for a workflow with no archived history and 400 for a malformed ID', async () => {
    expectEnvelope(
      await api.call('POST', '/api/audit/vm-action:pve:100:stop:nothing/replay', { token: operator }),
      404,
      'HISTORY_NOT_FOUND',
    );
    expectEnvelope(await api.call('POST', '/api/audit/..%2F..%2Fetc/replay', { token: operator }), 400);
  });

  it('takes ?runId= for a workflow ID that has run more than once: timeline, history and replay of each run', async () => {
    // Two runs under one workflow ID, as a recurring remediation has: a stop, then a start.
    const id = `vm-action:pve:100:runs:${Date.now().toString(36)}`;
    const runs: string[] = [];
    for (const action of ['stop', 'start'] as const) {
      const handle = await api.stack.client.workflow.start(VM_ACTION_WORKFLOW, {
        taskQueue: api.stack.taskQueue,
        workflowId: id,
        args: [vmActionInput({ node: 'pve', vmid: 100, action }, { [`guest.${action}`]: 'GREEN' })],
      });
      await handle.result();
      runs.push(handle.firstExecutionRunId);
    }
    const [first, second] = runs as [string, string];
    expect(first).not.toBe(second);
    type Timeline = { runId: string; steps: { kind: string; title: string }[] };
    const timeline = async (query: string): Promise<Timeline> => {
      const res = await api.call<Timeline>('GET', `/api/workflows/${id}/timeline${query}`, { token: operator });
      expect(res.status).toBe(200);
      return res.json;
    };
    const latest = await timeline('');
    expect(latest.runId).toBe(second);
    expect(latest.steps[0]?.title).toMatch(/asked to start guest 100/);
    const earlier = await timeline(`?runId=${first}`);
    expect(earlier.runId).toBe(first);
    expect(earlier.steps[0]?.title).toMatch(/asked to stop guest 100/);

    // Each run's archived history, and its replay.
    const runOf = (history: unknown): unknown =>
      (history as { events: { workflowExecutionStartedEventAttributes?: { originalExecutionRunId?: string } }[] })
        .events[0]?.workflowExecutionStartedEventAttributes?.originalExecutionRunId;
    for (const runId of runs) {
      const history = await eventually(async () => {
        const res = await api.call('GET', `/api/audit/${id}/history?runId=${runId}`, { token: operator });
        return res.status === 200 ? res.json : undefined;
      }, 20_000);
      expect(runOf(history)).toBe(runId);
      const replay = await api.call<{ reproduced: boolean; runId: string }>(
        'POST',
        `/api/audit/${id}/replay?runId=${runId}`,
        { token: operator },
      );
      expect(replay.json).toMatchObject({ reproduced: true, runId });
    }
    expect(runOf((await api.call('GET', `/api/audit/${id}/history`, { token: operator })).json)).toBe(second);

    // A run that is not this workflow's is not found; a malformed one is a 400.
    const other = '0193a5c2-7d4e-7b1a-9c3f-2e8d6b4a1f00';
    expectEnvelope(await api.call('GET', `/api/workflows/${id}/timeline?runId=${other}`, { token: operator }), 404);
    expectEnvelope(await api.call('GET', `/api/audit/${id}/history?runId=${other}`, { token: operator }), 404);
    expectEnvelope(await api.call('POST', `/api/audit/${id}/replay?runId=${other}`, { token: operator }), 404);
    expectEnvelope(await api.call('GET', `/api/workflows/${id}/timeline?runId=a%20b`, { token: operator }), 400);
  });

  it('refuses without a token', async () => {
    expectEnvelope(await api.call('POST', `/api/audit/${workflowId}/replay`), 401);
  });
});
