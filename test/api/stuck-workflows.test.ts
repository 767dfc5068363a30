import { NativeConnection, Worker } from '@temporalio/worker';
import { type HealthReport } from '@jarvis/api';
import { type ChatMessageView } from '@jarvis/db';
import { eventually } from '../support/vm-action.fixtures';
import { OPERATOR } from '../support/stack';
import { startApi, type ApiHarness } from './api-harness';

/**
 * A workflow whose workflow task keeps failing must surface, never spin: the chat shows an
 * internal-error card within seconds, and /api/health reports the stuck workflow (its ID only to
 * an operator). The worker here runs a test-only `chatTurnWorkflow` that throws in workflow code.
 */
describe('workflows stuck on a failing workflow task', () => {
  let api: ApiHarness;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let token: string;

  beforeAll(async () => {
    api = await startApi({ worker: false });
    connection = await NativeConnection.connect({ address: api.stack.temporalAddress });
    worker = await Worker.create({
      connection,
      namespace: api.stack.namespace,
      taskQueue: api.stack.taskQueue,
      workflowsPath: require.resolve('./fixtures/failing.workflows'),
      maxCachedWorkflows: 10,
    });
    running = worker.run();
    token = await api.login(OPERATOR.username, OPERATOR.password);
  }, 60_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await connection?.close();
    await api?.close();
  });

  it('a chat turn gets an internal-error card within seconds; health names the workflow to an operator only', async () => {
    const session = await api.call<{ id: string }>('POST', '/api/chat/sessions', { token });
    const started = Date.now();
    const sent = await api.call<{ workflowId: string }>('POST', `/api/chat/sessions/${session.json.id}/messages`, {
      token,
      body: { text: 'status of vm 101' },
    });
    expect(sent.status).toBe(202);
    const { workflowId } = sent.json;

    const reply = await eventually(async () => {
      const res = await api.call<{ messages: ChatMessageView[] }>('GET', `/api/chat/sessions/${session.json.id}`, {
        token,
      });
      return res.json.messages.find((m) => m.role === 'assistant');
    }, 30_000);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(reply).toMatchObject({ workflowId, text: expect.stringContaining('internal error') });
    expect(reply.cards).toEqual([
      expect.objectContaining({
        kind: 'notice',
        status: 'internal-error',
        text: expect.stringContaining('a bug in workflow code (test fixture)'),
      }),
    ]);

    const detailed = await eventually(async () => {
      const res = await api.call<HealthReport>('GET', '/api/health', { token });
      return res.json.stuckWorkflows?.length ? res.json : undefined;
    }, 30_000);
    expect(detailed.components['workflows']).toMatchObject({
      status: 'degraded',
      detail: '1 workflow is stuck on a failing workflow task',
    });
    expect(detailed.stuckWorkflows).toEqual([
      { workflowId, runId: expect.any(String), type: 'chatTurnWorkflow', attempt: expect.any(Number) },
    ]);
    expect(detailed.stuckWorkflows![0]!.attempt).toBeGreaterThanOrEqual(3);

    const open = await api.call<HealthReport>('GET', '/api/health');
    expect(open.status).toBe(200);
    expect(open.json.components['workflows']).toMatchObject({ status: 'degraded' });
    expect(open.json.stuckWorkflows).toBeUndefined();
    expect(open.text).not.toContain(workflowId);

    await api.stack.client.workflow.getHandle(workflowId).terminate('test over');
  });
});
