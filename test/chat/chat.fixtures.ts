import { randomBytes } from 'node:crypto';
import { WorkflowIdReusePolicy } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { type LlmSettings } from '@jarvis/activities';
import { CHAT_CHANNEL, ChatRepository } from '@jarvis/db';
import { startLlmSim, type RunningLlmSim, type ScriptStep } from '@jarvis/llm-sim';
import { DEFAULT_PROTECTED, defaultTierTable, type Tier } from '@jarvis/policies';
import { CHAT_TURN_WORKFLOW, chatTurnWorkflowId, type ChatTurnInput, type ChatTurnResult } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { requesterVoucher, storePolicy } from '../support/vouch';

export const TEST_KEY = 'test-key-not-a-real-one';

export function llmSettings(llm: RunningLlmSim, over: Partial<LlmSettings> = {}): LlmSettings {
  return {
    anthropic: { apiKey: TEST_KEY, baseUrl: llm.url, model: 'claude-sonnet-5-5' },
    local: { url: llm.openaiUrl, model: 'jarvis-local-sim' },
    flushMs: 10,
    ...over,
  };
}

export interface ChatStack {
  readonly stack: TestStack;
  readonly llm: RunningLlmSim;
  readonly chat: ChatRepository;
  close(): Promise<void>;
}

export async function startChatStack(
  over: Partial<LlmSettings> = {},
  opts: { worker?: boolean } = {},
): Promise<ChatStack> {
  const llm = await startLlmSim({ apiKey: TEST_KEY });
  const stack = await startStack({
    llm: llmSettings(llm, over),
    worker: opts.worker ?? true,
    env: {
      ANTHROPIC_API_KEY: TEST_KEY,
      ANTHROPIC_BASE_URL: llm.url,
      LOCAL_LLM_URL: llm.openaiUrl,
      LOCAL_LLM_MODEL: 'jarvis-local-sim',
      MONITOR_AUTOSTART: 'false',
    },
  });
  return {
    stack,
    llm,
    chat: new ChatRepository(stack.pool),
    async close() {
      await stack.close();
      await llm.close();
    },
  };
}

export const script = (llm: RunningLlmSim, api: 'anthropic' | 'openai', steps: ScriptStep[]): void =>
  llm.script(api, steps);

export async function newSession(c: ChatStack): Promise<string> {
  const id = `s${randomBytes(8).toString('hex')}`;
  await c.chat.createSession(id, 'operator');
  return id;
}

export async function startTurn(
  c: ChatStack,
  sessionId: string,
  text: string,
  over: Partial<ChatTurnInput> = {},
  tiers: Record<string, Tier> = {},
  /** Another worker's task queue, e.g. one registered with a deliberately broken activity. */
  taskQueue: string = c.stack.taskQueue,
) {
  const turn = await c.chat.addUserMessage(sessionId, text, (t) => chatTurnWorkflowId(sessionId, t));
  const input: ChatTurnInput = {
    sessionId,
    turn,
    text,
    requestedBy: 'operator',
    policy: { tiers: { ...defaultTierTable(), ...tiers }, protected: DEFAULT_PROTECTED },
    twoPersonRule: true,
    approvalTtlMs: 60_000,
    escalateAfterMs: 30_000,
    timing: { llmRetryInitialMs: 100, llmMaxAttempts: 2, heartbeatTimeoutMs: 3_000 },
    ...over,
  };
  // As the API does: the policy into Jarvis's store, the requester (and a said passkey) vouched for.
  const workflowId = chatTurnWorkflowId(sessionId, turn);
  const { policy, twoPersonRule, overridePasskeySha256, saidPasskeySha256, ...rest } = input;
  await storePolicy(c.stack, {
    ...(policy ? { tiers: policy.tiers } : {}),
    ...(twoPersonRule !== undefined ? { twoPersonRule } : {}),
  });
  const said = overridePasskeySha256 !== undefined && saidPasskeySha256 === overridePasskeySha256;
  const vouched: ChatTurnInput = {
    ...rest,
    requesterVoucher:
      input.requesterVoucher ?? requesterVoucher(c.stack, workflowId, { kind: 'operator', id: input.requestedBy }),
    ...(said ? { overrideGrant: c.stack.signer.sign('override-grant', { workflowId, by: input.requestedBy }) } : {}),
  };
  return c.stack.client.workflow.start<(i: ChatTurnInput) => Promise<ChatTurnResult>>(CHAT_TURN_WORKFLOW, {
    taskQueue,
    workflowId,
    args: [vouched],
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
  });
}

/** Everything on the chat NOTIFY channel while it listens. */
export async function listenChat(
  databaseUrl: string,
): Promise<{ events: Record<string, unknown>[]; close(): Promise<void> }> {
  const client = new PgClient({ connectionString: databaseUrl });
  await client.connect();
  const events: Record<string, unknown>[] = [];
  client.on('notification', (m) => {
    if (m.channel === CHAT_CHANNEL && m.payload) events.push(JSON.parse(m.payload) as Record<string, unknown>);
  });
  await client.query(`LISTEN ${CHAT_CHANNEL}`);
  return { events, close: () => client.end() };
}

/** The Anthropic requests' bodies the fake received, oldest first. */
export const anthropicBodies = (llm: RunningLlmSim): Record<string, unknown>[] =>
  llm
    .requests()
    .filter((r) => r.api === 'anthropic' && r.answeredBy !== 'rejected')
    .map((r) => r.body as Record<string, unknown>);
