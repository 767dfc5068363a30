import { ChatRepository } from '@jarvis/db';
import { startLlmSim, type RunningLlmSim } from '@jarvis/llm-sim';
import { startStack, type TestStack } from '../support/stack';
import {
  afterPolls,
  dataShows,
  fastAutonomy,
  monitorHasLooked,
  remediatedSince,
  startsSince,
  terminateStack,
} from '../support/remediation.fixtures';
import { llmSettings, newSession, script, startTurn, TEST_KEY, type ChatStack } from './chat.fixtures';

/**
 * A shutdown asked for in chat is not a crash (issue 10, defect 1): the chat turn's power tool
 * takes the same door as the dashboard, which records the guest's desired state before Proxmox
 * hears of it, so the monitor watching the cluster leaves the guest down.
 */
describe('a shutdown from chat, with the monitor watching', () => {
  let c: ChatStack;
  let llm: RunningLlmSim;
  let stack: TestStack;

  beforeAll(async () => {
    llm = await startLlmSim({ apiKey: TEST_KEY });
    stack = await startStack({
      // The cluster data lags five polls behind, as pvestatd's does behind a fast monitor.
      sim: { refreshMs: 1_500 },
      llm: llmSettings(llm),
      autonomy: fastAutonomy(`chat-desired-${Date.now().toString(36)}`),
      env: { ANTHROPIC_API_KEY: TEST_KEY, ANTHROPIC_BASE_URL: llm.url },
    });
    c = { stack, llm, chat: new ChatRepository(stack.pool), close: () => Promise.resolve() };
    await monitorHasLooked(stack);
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
    await llm?.close();
  });

  it('stays down over several polls, and nothing restarts it', async () => {
    const since = Date.now();
    script(llm, 'anthropic', [
      {
        kind: 'reply',
        text: 'Shutting it down, sir. ',
        tools: [{ name: 'guest_shutdown', input: { node: 'home', vmid: 101 } }],
      },
      { kind: 'reply', text: 'Container 101 is down, sir.' },
    ]);
    const handle = await startTurn(
      c,
      await newSession(c),
      'Shut down container 101',
      {},
      { 'guest.shutdown': 'GREEN' },
    );
    const result = await handle.result();
    expect(result.toolRuns).toEqual([{ tool: 'guest.shutdown', tier: 'GREEN', outcome: 'done' }]);
    await dataShows(stack, 101, 'stopped');
    await afterPolls(stack, 5);
    expect(await remediatedSince(stack, 101, since)).toBe(false);
    expect(await startsSince(stack, 101, since)).toEqual([]);
  });
});
