import { OPERATOR, SECOND } from '../support/stack';
import { eventually } from '../support/vm-action.fixtures';
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
      const { json } = await api.call<{ items: { id: string; workflowId: string }[] }>(
        'GET',
        '/api/approvals?state=pending',
        {
          token: operator,
        },
      );
      return json.items.find((a) => a.workflowId === workflowId);
    });
    expect((await api.call('POST', `/api/approvals/${approval.id}/approve`, { token: second, body: {} })).status).toBe(
      200,
    );
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

  it('refuses without a token', async () => {
    expectEnvelope(await api.call('POST', `/api/audit/${workflowId}/replay`), 401);
  });
});
