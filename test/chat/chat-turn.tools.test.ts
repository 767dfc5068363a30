import { NativeConnection, Worker } from '@temporalio/worker';
import { WORKFLOW_BUNDLE_PATH, createJarvisActivities } from '@jarvis/worker';
import { simControl } from '../support/vm-action.fixtures';
import { llmSettings, newSession, script, startChatStack, startTurn, type ChatStack } from './chat.fixtures';

/** Fails fast where the old turn hung for ever on a failing workflow task. */
async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The chat turn's tools through the one dispatcher, on the real dev server, the simulator and the
 * fake LLM servers. The offline parser is reached as in the demo: both models refuse their keys.
 */
describe('chat turn tools', () => {
  let c: ChatStack;

  beforeAll(async () => {
    c = await startChatStack();
  });
  afterAll(async () => {
    await c?.close();
  });
  const noModels = (): void => {
    script(c.llm, 'anthropic', [{ kind: 'error', status: 401 }]);
    script(c.llm, 'openai', [{ kind: 'error', status: 401 }]);
  };
  beforeEach(async () => {
    c.llm.reset();
    await simControl(c.stack, 'POST', '/reset', {});
  });

  it('"status of vm 101" through the offline parser answers with the guest\'s status', async () => {
    noModels();
    const handle = await startTurn(c, await newSession(c), 'status of vm 101');
    const result = await within(20_000, 'status of vm 101', handle.result());
    expect(result.provider).toBe('offline');
    expect(result.toolRuns).toEqual([{ tool: 'guest.describe', tier: 'GREEN', outcome: 'done' }]);
    expect(result.text).toMatch(/guest 101 lxc "dns" on "home" is running/);
  });

  describe('a tool handler that answers with the wrong shape', () => {
    let connection: NativeConnection;
    let worker: Worker;
    let running: Promise<void>;
    const taskQueue = `broken-tools-${Date.now().toString(36)}`;

    beforeAll(async () => {
      connection = await NativeConnection.connect({ address: c.stack.temporalAddress });
      const activities = createJarvisActivities({
        pve: c.stack.pve,
        pool: c.stack.pool,
        policy: c.stack.policy,
        llm: llmSettings(c.llm),
      });
      worker = await Worker.create({
        connection,
        namespace: c.stack.namespace,
        taskQueue,
        workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH },
        maxCachedWorkflows: 10,
        activities: {
          ...activities,
          // The shape that hung "status of vm 101": a GuestDescription where a ToolResult belongs.
          guestDescribe: () => Promise.resolve({ vmid: 101, node: 'home', kind: 'lxc', status: 'running' }),
        },
      });
      running = worker.run();
    });
    afterAll(async () => {
      worker?.shutdown();
      await running;
      await connection?.close();
    });

    it('is a failed tool the reply names, within seconds, and the turn completes', async () => {
      noModels();
      const sessionId = await newSession(c);
      const started = Date.now();
      const handle = await startTurn(c, sessionId, 'status of vm 101', {}, {}, taskQueue);
      const result = await within(15_000, 'the broken tool turn', handle.result());
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(result.toolRuns).toEqual([{ tool: 'guest.describe', tier: 'GREEN', outcome: 'failed' }]);
      expect(result.text).toContain('guest.describe returned an unexpected result');
      expect(result.cards).toEqual([
        expect.objectContaining({ kind: 'tool', tool: 'guest.describe', status: 'failed' }),
      ]);
      const messages = await c.chat.messages(sessionId);
      expect(messages.at(-1)).toMatchObject({ role: 'assistant', provider: 'offline' });
      expect(messages.at(-1)!.text).toContain('returned an unexpected result');
    });
  });
});
