import Anthropic from '@anthropic-ai/sdk';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { Agent, request } from 'undici';
import { type LlmCostsRepository } from '@jarvis/db';
import { budgetReached, costUsd, DEFAULT_LLM_PRICES, type LlmPrice } from '@jarvis/policies';
import { ChatStreamWriter, type ChatNotify } from './chat-stream';
import { LLM_FAILURE, type LlmCallInput, type LlmCallResult, type LlmToolCall, type TurnMessage } from './llm.types';

export interface LlmSettings {
  readonly anthropic?: { readonly apiKey: string; readonly baseUrl?: string; readonly model: string };
  readonly local?: { readonly url: string; readonly model: string };
  readonly prices?: Readonly<Record<string, LlmPrice>>;
  readonly dailyCapUsd?: number;
  readonly monthlyCapUsd?: number;
  /** Per-call ceiling; a stalled stream is cut and retried by Temporal. Default 120 s. */
  readonly timeoutMs?: number;
  /** Delta batching interval (ms). */
  readonly flushMs?: number;
}

export interface LlmActivityDeps {
  readonly settings: LlmSettings;
  readonly costs: LlmCostsRepository;
  readonly notify: ChatNotify;
}

const failure = (type: string, message: string, retryable: boolean, cause?: unknown): ApplicationFailure =>
  ApplicationFailure.create({ type, message, nonRetryable: !retryable, ...(cause instanceof Error ? { cause } : {}) });

/** HTTP status → the router's view: unavailable (try again or elsewhere), bad key, or our bug. */
export function classifyLlmStatus(status: number | undefined): string {
  if (status === undefined) return LLM_FAILURE.UNAVAILABLE;
  if (status === 401 || status === 403) return LLM_FAILURE.AUTH;
  if (status === 408 || status === 409 || status === 429 || status >= 500) return LLM_FAILURE.UNAVAILABLE;
  return LLM_FAILURE.BAD_REQUEST;
}

function toFailure(provider: string, err: unknown): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const status = (err as { status?: unknown }).status;
  const type = classifyLlmStatus(typeof status === 'number' ? status : undefined);
  // Messages only: SDK errors can carry request headers, and those carry the key.
  const raw = err instanceof Error ? err.message : String(err);
  const message = `${provider}: ${typeof status === 'number' ? `HTTP ${status} ` : ''}${raw.replace(/sk-[A-Za-z0-9_-]+/g, '<key>').slice(0, 300)}`;
  return failure(type, message, type === LLM_FAILURE.UNAVAILABLE);
}

function toAnthropicMessages(messages: readonly TurnMessage[]): Anthropic.MessageParam[] {
  return messages.map((m): Anthropic.MessageParam => {
    if (m.role === 'user') return { role: 'user', content: m.text };
    if (m.role === 'assistant') {
      const content: Anthropic.ContentBlockParam[] = [];
      if (m.text) content.push({ type: 'text', text: m.text });
      for (const c of m.toolCalls ?? []) content.push({ type: 'tool_use', id: c.id, name: c.name, input: c.input });
      return { role: 'assistant', content: content.length > 0 ? content : '…' };
    }
    return {
      role: 'user',
      content: m.results.map((r) => ({
        type: 'tool_result' as const,
        tool_use_id: r.id,
        content: r.content,
        ...(r.isError ? { is_error: true } : {}),
      })),
    };
  });
}

/** The local model has no tools: tool traffic becomes plain text it can read. */
function toOpenAiMessages(system: string, messages: readonly TurnMessage[]): { role: string; content: string }[] {
  const out = [{ role: 'system', content: system }];
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.text });
    else if (m.role === 'assistant') {
      if (m.text) out.push({ role: 'assistant', content: m.text });
    } else out.push({ role: 'user', content: m.results.map((r) => r.content).join('\n') });
  }
  return out;
}

function openAiBase(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v1$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
}

export function createLlmActivities({ settings, costs, notify }: LlmActivityDeps) {
  const prices = settings.prices ?? DEFAULT_LLM_PRICES;
  const timeoutMs = settings.timeoutMs ?? 120_000;
  const anthropic = settings.anthropic
    ? new Anthropic({
        apiKey: settings.anthropic.apiKey,
        ...(settings.anthropic.baseUrl ? { baseURL: settings.anthropic.baseUrl } : {}),
        // Temporal owns retries: an SDK retry would hide an attempt from the history.
        maxRetries: 0,
        timeout: timeoutMs,
      })
    : undefined;
  const localAgent = new Agent({ keepAliveTimeout: 30_000, connect: { timeout: 5_000 } });

  async function budget(): Promise<{
    spentTodayUsd: number;
    spentMonthUsd: number;
    dailyCapUsd?: number;
    monthlyCapUsd?: number;
  }> {
    const spent = await costs.spent();
    return {
      spentTodayUsd: spent.todayUsd,
      spentMonthUsd: spent.monthUsd,
      ...(settings.dailyCapUsd !== undefined ? { dailyCapUsd: settings.dailyCapUsd } : {}),
      ...(settings.monthlyCapUsd !== undefined ? { monthlyCapUsd: settings.monthlyCapUsd } : {}),
    };
  }

  function begin(sessionId: string): {
    writer: ChatStreamWriter;
    attempt: number;
    workflowId: string;
    activityId: string;
  } {
    const info = Context.current().info;
    const workflowId = info.workflowExecution?.workflowId ?? 'outside-a-workflow';
    const writer = new ChatStreamWriter(notify, { sessionId, workflowId, attempt: info.attempt }, settings.flushMs);
    if (info.attempt > 1) writer.reset();
    return { writer, attempt: info.attempt, workflowId, activityId: info.activityId };
  }

  async function bill(
    ids: { workflowId: string; activityId: string; sessionId: string },
    provider: 'claude' | 'local',
    model: string,
    usage: { inputTokens: number; outputTokens: number },
  ): Promise<number> {
    const usd = costUsd(provider, model, usage, prices);
    await costs.record({ ...ids, provider, model, ...usage, costUsd: usd });
    await notify(
      JSON.stringify({ type: 'cost', sessionId: ids.sessionId, workflowId: ids.workflowId, provider, costUsd: usd }),
    ).catch(() => undefined);
    return usd;
  }

  /** The router's input: what has been spent and the caps. */
  async function llmBudget(): Promise<
    Awaited<ReturnType<typeof budget>> & { claudeConfigured: boolean; localConfigured: boolean }
  > {
    return {
      ...(await budget()),
      claudeConfigured: anthropic !== undefined,
      localConfigured: settings.local !== undefined,
    };
  }

  /** One Claude call, streamed: deltas go out of band, the whole answer comes back to the workflow. */
  async function callClaude(input: LlmCallInput): Promise<LlmCallResult> {
    if (!anthropic || !settings.anthropic)
      throw failure(LLM_FAILURE.NOT_CONFIGURED, 'Claude is not configured (no ANTHROPIC_API_KEY)', false);
    // Enforced before the call, not after: a reached cap never spends another cent.
    const over = budgetReached(await budget());
    if (over) throw failure(LLM_FAILURE.BUDGET, over, false);
    const { writer, attempt, workflowId, activityId } = begin(input.sessionId);
    const ctx = Context.current();
    const startedAtMs = Date.now();
    const model = settings.anthropic.model;
    let text = '';
    const blocks = new Map<number, { id: string; name: string; json: string }>();
    const toolCalls: LlmToolCall[] = [];
    let stopReason = 'end_turn';
    let inputTokens = 0;
    let outputTokens = 0;
    try {
      const stream = await anthropic.messages.create(
        {
          model,
          max_tokens: input.maxTokens ?? 1024,
          system: input.system,
          messages: toAnthropicMessages(input.messages),
          ...(input.tools && input.tools.length > 0 ? { tools: input.tools as Anthropic.Tool[] } : {}),
          stream: true,
        },
        { signal: ctx.cancellationSignal },
      );
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            inputTokens = event.message.usage.input_tokens;
            outputTokens = event.message.usage.output_tokens;
            break;
          case 'content_block_start':
            if (event.content_block.type === 'tool_use')
              blocks.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: '' });
            break;
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') {
              text += event.delta.text;
              writer.push(event.delta.text);
            } else if (event.delta.type === 'input_json_delta') {
              const block = blocks.get(event.index);
              if (block) block.json += event.delta.partial_json;
            }
            break;
          case 'content_block_stop': {
            const block = blocks.get(event.index);
            if (block) {
              let parsed: unknown;
              try {
                parsed = block.json.trim() === '' ? {} : (JSON.parse(block.json) as unknown);
              } catch {
                // Unparseable input is passed on as such; the policy refuses it as invalid arguments.
                parsed = { __unparseable: block.json.slice(0, 500) };
              }
              toolCalls.push({ id: block.id, name: block.name, input: parsed });
            }
            break;
          }
          case 'message_delta':
            if (event.delta.stop_reason) stopReason = event.delta.stop_reason;
            outputTokens = event.usage.output_tokens;
            break;
          default:
            break;
        }
      }
    } catch (err) {
      await writer.close();
      throw toFailure('claude', err);
    }
    await writer.close();
    const usage = { inputTokens, outputTokens };
    const usd = await bill({ workflowId, activityId, sessionId: input.sessionId }, 'claude', model, usage);
    return {
      provider: 'claude',
      model,
      text,
      toolCalls,
      stopReason,
      usage,
      costUsd: usd,
      attempt,
      startedAtMs,
      ...(writer.firstTokenAtMs !== undefined ? { firstTokenAtMs: writer.firstTokenAtMs } : {}),
      finishedAtMs: Date.now(),
    };
  }

  /** One call to the local OpenAI-compatible model (llama-server, Ollama), streamed; no tools. */
  async function callLocalModel(input: LlmCallInput): Promise<LlmCallResult> {
    if (!settings.local)
      throw failure(LLM_FAILURE.NOT_CONFIGURED, 'no local model is configured (LOCAL_LLM_URL)', false);
    const { writer, attempt, workflowId, activityId } = begin(input.sessionId);
    const ctx = Context.current();
    const startedAtMs = Date.now();
    const model = settings.local.model;
    let text = '';
    let stopReason = 'stop';
    let usage = { inputTokens: 0, outputTokens: 0 };
    try {
      const res = await request(`${openAiBase(settings.local.url)}/chat/completions`, {
        method: 'POST',
        dispatcher: localAgent,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({
          model,
          messages: toOpenAiMessages(input.system, input.messages),
          max_tokens: input.maxTokens ?? 512,
          stream: true,
          stream_options: { include_usage: true },
        }),
        signal: AbortSignal.any([ctx.cancellationSignal, AbortSignal.timeout(timeoutMs)]),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      if (res.statusCode >= 400) {
        const body = (await res.body.text()).slice(0, 300);
        throw Object.assign(new Error(body), { status: res.statusCode });
      }
      let pending = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body) {
        pending += decoder.decode(chunk as Buffer, { stream: true });
        let cut: number;
        while ((cut = pending.indexOf('\n\n')) >= 0) {
          const frame = pending.slice(0, cut);
          pending = pending.slice(cut + 2);
          for (const line of frame.split('\n')) {
            if (!line.startsWith('data:')) continue;
            const data = line.slice(5).trim();
            if (data === '[DONE]') continue;
            const parsed = JSON.parse(data) as {
              choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
              usage?: { prompt_tokens?: number; completion_tokens?: number };
            };
            const choice = parsed.choices?.[0];
            const piece = choice?.delta?.content;
            if (typeof piece === 'string' && piece !== '') {
              text += piece;
              writer.push(piece);
            }
            if (choice?.finish_reason) stopReason = choice.finish_reason;
            if (parsed.usage)
              usage = {
                inputTokens: parsed.usage.prompt_tokens ?? 0,
                outputTokens: parsed.usage.completion_tokens ?? 0,
              };
          }
        }
      }
    } catch (err) {
      await writer.close();
      throw toFailure('local model', err);
    }
    await writer.close();
    const usd = await bill({ workflowId, activityId, sessionId: input.sessionId }, 'local', model, usage);
    return {
      provider: 'local',
      model,
      text,
      toolCalls: [],
      stopReason,
      usage,
      costUsd: usd,
      attempt,
      startedAtMs,
      ...(writer.firstTokenAtMs !== undefined ? { firstTokenAtMs: writer.firstTokenAtMs } : {}),
      finishedAtMs: Date.now(),
    };
  }

  return { llmBudget, callClaude, callLocalModel };
}

export type LlmActivities = ReturnType<typeof createLlmActivities>;
