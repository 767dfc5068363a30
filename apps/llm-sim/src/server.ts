import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  chunkText,
  estimateTokens,
  parseStep,
  redactHeaders,
  splitJson,
  type LlmApi,
  type RecordedRequest,
  type ScriptedError,
  type ScriptedReply,
  type ScriptStep,
} from './script';

export interface LlmSimOptions {
  /** Default 127.0.0.1; the fakes never listen beyond loopback unless told. */
  readonly host?: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** When set, the Anthropic key (`x-api-key` or bearer) must equal it; otherwise any non-empty key passes. */
  readonly apiKey?: string;
  /** When set, the OpenAI-compatible API wants this bearer token (llama-server and Ollama usually want none). */
  readonly openaiKey?: string;
  /** Model names `GET /v1/models` lists; the first is the OpenAI default. */
  readonly models?: readonly string[];
}

export interface RunningLlmSim {
  /** `http://127.0.0.1:PORT`: the Anthropic SDK's `baseURL`. */
  readonly url: string;
  /** `http://127.0.0.1:PORT/v1`: an OpenAI-compatible client's base. */
  readonly openaiUrl: string;
  readonly port: number;
  script(api: LlmApi, steps: readonly ScriptStep[]): void;
  requests(): readonly RecordedRequest[];
  reset(): void;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;
const DEFAULT_MODELS = ['jarvis-local-sim', 'claude-sonnet-5-5'];

interface ToolBlock {
  type: 'tool_use';
  id: string;
  name: string;
  input: Record<string, unknown>;
}

class Counter {
  #n = 0;
  next(prefix: string): string {
    this.#n++;
    return `${prefix}${this.#n.toString(36).padStart(6, '0')}sim${'0'.repeat(12)}`.slice(0, prefix.length + 24);
  }
}

const sleep = (ms: number | undefined, res: ServerResponse): Promise<void> =>
  !ms
    ? Promise.resolve()
    : new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        res.once('close', () => {
          clearTimeout(t);
          resolve();
        });
      });

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function lastUserText(messages: unknown): { text: string; hasToolResult: boolean } {
  if (!Array.isArray(messages)) return { text: '', hasToolResult: false };
  const last = messages.at(-1) as { role?: unknown; content?: unknown } | undefined;
  if (!last || last.role !== 'user') return { text: '', hasToolResult: false };
  if (typeof last.content === 'string') return { text: last.content, hasToolResult: false };
  if (!Array.isArray(last.content)) return { text: '', hasToolResult: false };
  const blocks = last.content as { type?: unknown; text?: unknown }[];
  return {
    text: blocks.map((b) => (b.type === 'text' && typeof b.text === 'string' ? b.text : '')).join(' '),
    hasToolResult: blocks.some((b) => b.type === 'tool_result'),
  };
}

/**
 * With nothing scripted: a short JARVIS-ish reply, and with tools on offer, a read-only look
 * at the cluster when asked about its state. Deterministic, so the demo and smoke tests can rely on it.
 */
function defaultReply(api: LlmApi, body: Record<string, unknown>): ScriptedReply {
  const { text, hasToolResult } = lastUserText(body['messages']);
  const tools = Array.isArray(body['tools']) ? (body['tools'] as { name?: unknown }[]) : [];
  const offered = (name: string): boolean => tools.some((t) => t.name === name);
  if (api === 'anthropic' && !hasToolResult && tools.length > 0) {
    if (/\b(status|how|health|wrong)\b/i.test(text) && offered('cluster_status'))
      return { kind: 'reply', text: 'One moment, sir. ', tools: [{ name: 'cluster_status', input: {} }] };
    if (/\b(list|guests|vms)\b/i.test(text) && offered('guest_list'))
      return { kind: 'reply', text: 'Let me look. ', tools: [{ name: 'guest_list', input: {} }] };
  }
  if (hasToolResult) return { kind: 'reply', text: 'I have the figures, sir. Nothing in them calls for alarm.' };
  return { kind: 'reply', text: 'At your service, sir. Everything I can see is in order.' };
}

/** Starts both fakes on one loopback port: the Anthropic Messages API and the OpenAI-compatible API. */
export async function startLlmSim(options: LlmSimOptions = {}): Promise<RunningLlmSim> {
  const host = options.host ?? '127.0.0.1';
  const models = options.models ?? DEFAULT_MODELS;
  const queues: Record<LlmApi, ScriptStep[]> = { anthropic: [], openai: [] };
  const log: RecordedRequest[] = [];
  const ids = new Counter();
  let seq = 0;

  const record = (
    api: LlmApi,
    req: IncomingMessage,
    body: unknown,
    answeredBy: RecordedRequest['answeredBy'],
  ): void => {
    log.push({
      seq: ++seq,
      api,
      at: new Date().toISOString(),
      method: req.method ?? 'GET',
      path: req.url ?? '',
      headers: redactHeaders(req.headers),
      body,
      answeredBy,
    });
  };

  const keyOk = (key: string | undefined): boolean =>
    key !== undefined && key !== '' && (options.apiKey === undefined || key === options.apiKey);

  // ---------- Anthropic ----------

  const anthropicError = (
    res: ServerResponse,
    step: Pick<ScriptedError, 'status' | 'errorType' | 'message' | 'retryAfterS'>,
  ): void => {
    const type = step.errorType ?? ANTHROPIC_ERROR_TYPES[step.status] ?? 'api_error';
    const headers: Record<string, string> = { 'request-id': ids.next('req_') };
    if (step.status === 429 || step.retryAfterS !== undefined) headers['retry-after'] = String(step.retryAfterS ?? 1);
    if (step.status === 529) headers['x-should-retry'] = 'true';
    json(res, step.status, { type: 'error', error: { type, message: step.message ?? defaultMessage(type) } }, headers);
  };

  async function anthropicMessages(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      record('anthropic', req, raw.toString('utf8').slice(0, 2000), 'rejected');
      return anthropicError(res, {
        status: 400,
        message: 'There was an issue with the format of your request: invalid JSON',
      });
    }
    // x-api-key, or a bearer token (what this SDK version sends for an API key).
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const key = req.headers['x-api-key'] ?? bearer;
    if (!keyOk(typeof key === 'string' ? key : undefined)) {
      record('anthropic', req, body, 'rejected');
      return anthropicError(res, { status: 401, message: 'invalid x-api-key' });
    }
    if (typeof req.headers['anthropic-version'] !== 'string') {
      record('anthropic', req, body, 'rejected');
      return anthropicError(res, { status: 400, message: 'anthropic-version: header is required' });
    }
    const problem =
      typeof body['model'] !== 'string'
        ? 'model: Field required'
        : typeof body['max_tokens'] !== 'number'
          ? 'max_tokens: Field required'
          : !Array.isArray(body['messages']) || body['messages'].length === 0
            ? 'messages: Field required'
            : undefined;
    if (problem) {
      record('anthropic', req, body, 'rejected');
      return anthropicError(res, { status: 400, message: problem });
    }
    const scripted = queues.anthropic.shift();
    record('anthropic', req, body, scripted ? 'script' : 'default');
    const step = scripted ?? defaultReply('anthropic', body);
    await sleep(step.firstDelayMs, res);
    if (res.destroyed) return;
    if (step.kind === 'error') return anthropicError(res, step);

    const model = body['model'] as string;
    const inputTokens =
      step.usage?.input ?? estimateTokens({ s: body['system'], m: body['messages'], t: body['tools'] });
    const chunks = chunkText(step.text);
    const tools: ToolBlock[] = (step.tools ?? []).map((t) => ({
      type: 'tool_use',
      id: t.id ?? ids.next('toolu_'),
      name: t.name,
      input: t.input,
    }));
    const fullText = chunks.join('');
    const outputTokens = step.usage?.output ?? estimateTokens(fullText + JSON.stringify(tools.map((t) => t.input)));
    const stopReason = step.stopReason ?? (tools.length > 0 ? 'tool_use' : 'end_turn');
    const messageId = ids.next('msg_');
    const headers = { 'request-id': ids.next('req_') };

    if (body['stream'] !== true) {
      const content: unknown[] = [];
      if (fullText) content.push({ type: 'text', text: fullText });
      content.push(...tools);
      return json(
        res,
        200,
        {
          id: messageId,
          type: 'message',
          role: 'assistant',
          model,
          content,
          stop_reason: stopReason,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, output_tokens: outputTokens },
        },
        headers,
      );
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    const send = (event: string, data: unknown): void => {
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    let deltas = 0;
    const delta = async (data: unknown): Promise<boolean> => {
      if (step.dropAfterChunks !== undefined && deltas >= step.dropAfterChunks) {
        res.destroy();
        return false;
      }
      if (deltas > 0) await sleep(step.chunkDelayMs, res);
      if (res.destroyed) return false;
      send('content_block_delta', data);
      deltas++;
      return true;
    };

    send('message_start', {
      type: 'message_start',
      message: {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 1 },
      },
    });
    let index = 0;
    let pinged = false;
    const ping = (): void => {
      if (pinged) return;
      pinged = true;
      send('ping', { type: 'ping' });
    };
    if (chunks.length > 0) {
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      ping();
      for (const text of chunks)
        if (!(await delta({ type: 'content_block_delta', index, delta: { type: 'text_delta', text } }))) return;
      send('content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    for (const tool of tools) {
      send('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: tool.id, name: tool.name, input: {} },
      });
      ping();
      for (const partial_json of splitJson(JSON.stringify(tool.input)))
        if (!(await delta({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } })))
          return;
      send('content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    ping();
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: outputTokens },
    });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }

  // ---------- OpenAI-compatible ----------

  const openaiError = (
    res: ServerResponse,
    step: Pick<ScriptedError, 'status' | 'errorType' | 'message' | 'retryAfterS'>,
  ): void => {
    const type =
      step.errorType ??
      (step.status === 401
        ? 'invalid_api_key'
        : step.status === 429
          ? 'rate_limit_exceeded'
          : step.status >= 500
            ? 'server_error'
            : 'invalid_request_error');
    const headers: Record<string, string> = {};
    if (step.status === 429 || step.retryAfterS !== undefined) headers['retry-after'] = String(step.retryAfterS ?? 1);
    json(
      res,
      step.status,
      { error: { message: step.message ?? defaultMessage(type), type, param: null, code: type } },
      headers,
    );
  };

  async function openaiCompletions(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      record('openai', req, raw.toString('utf8').slice(0, 2000), 'rejected');
      return openaiError(res, { status: 400, message: 'invalid JSON body' });
    }
    const auth = req.headers.authorization;
    if (options.openaiKey !== undefined && auth !== `Bearer ${options.openaiKey}`) {
      record('openai', req, body, 'rejected');
      return openaiError(res, { status: 401, message: 'Incorrect API key provided' });
    }
    if (!Array.isArray(body['messages']) || body['messages'].length === 0) {
      record('openai', req, body, 'rejected');
      return openaiError(res, { status: 400, message: "'messages' is a required property" });
    }
    const scripted = queues.openai.shift();
    record('openai', req, body, scripted ? 'script' : 'default');
    const step = scripted ?? defaultReply('openai', body);
    await sleep(step.firstDelayMs, res);
    if (res.destroyed) return;
    if (step.kind === 'error') return openaiError(res, step);

    const model = typeof body['model'] === 'string' ? body['model'] : (models[0] ?? 'local');
    const chunks = chunkText(step.text);
    const fullText = chunks.join('');
    const usage = {
      prompt_tokens: step.usage?.input ?? estimateTokens(body['messages']),
      completion_tokens: step.usage?.output ?? estimateTokens(fullText),
      total_tokens: 0,
    };
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    const id = ids.next('chatcmpl-');
    const created = Math.floor(Date.now() / 1000);
    const finish = step.stopReason ?? 'stop';

    if (body['stream'] !== true) {
      return json(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [
          { index: 0, message: { role: 'assistant', content: fullText }, logprobs: null, finish_reason: finish },
        ],
        usage,
      });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (
      delta: Record<string, unknown>,
      finishReason: string | null,
      extra: Record<string, unknown> = {},
    ): void => {
      res.write(
        `data: ${JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
          ...extra,
        })}\n\n`,
      );
    };
    chunk({ role: 'assistant', content: '' }, null);
    let sent = 0;
    for (const content of chunks) {
      if (step.dropAfterChunks !== undefined && sent >= step.dropAfterChunks) {
        res.destroy();
        return;
      }
      if (sent > 0) await sleep(step.chunkDelayMs, res);
      if (res.destroyed) return;
      chunk({ content }, null);
      sent++;
    }
    chunk({}, finish);
    const streamOptions = body['stream_options'] as { include_usage?: unknown } | undefined;
    if (streamOptions?.include_usage === true) {
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
      );
    }
    res.write('data: [DONE]\n\n');
    res.end();
  }

  // ---------- control ----------

  function control(req: IncomingMessage, res: ServerResponse, path: string, raw: Buffer): void {
    if (path === '/_llm/requests' && req.method === 'GET') return json(res, 200, log);
    if (path === '/_llm/reset' && req.method === 'POST') {
      reset();
      return json(res, 200, { ok: true });
    }
    if (path === '/_llm/script' && req.method === 'POST') {
      try {
        const body = JSON.parse(raw.toString('utf8') || '{}') as { api?: unknown; steps?: unknown };
        const api = body.api ?? 'anthropic';
        if (api !== 'anthropic' && api !== 'openai') throw new Error("api must be 'anthropic' or 'openai'");
        if (!Array.isArray(body.steps)) throw new Error('steps must be an array');
        const steps = body.steps.map((s, i) => parseStep(s, `steps[${i}]`));
        queues[api].push(...steps);
        return json(res, 200, { queued: { anthropic: queues.anthropic.length, openai: queues.openai.length } });
      } catch (err) {
        return json(res, 400, { error: { code: 'INVALID_SCRIPT', message: (err as Error).message } });
      }
    }
    return json(res, 404, { error: { code: 'NOT_FOUND', message: `no control route ${req.method ?? ''} ${path}` } });
  }

  function reset(): void {
    queues.anthropic.length = 0;
    queues.openai.length = 0;
    log.length = 0;
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    readBody(req)
      .then(async (raw) => {
        if (path.startsWith('/_llm/')) return control(req, res, path, raw);
        if (path === '/v1/messages' && req.method === 'POST') return anthropicMessages(req, res, raw);
        if (path === '/v1/chat/completions' && req.method === 'POST') return openaiCompletions(req, res, raw);
        if (path === '/v1/models' && req.method === 'GET')
          return json(res, 200, {
            object: 'list',
            data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'jarvis-llm-sim' })),
          });
        return json(res, 404, {
          type: 'error',
          error: { type: 'not_found_error', message: `no route ${req.method ?? ''} ${path}` },
        });
      })
      .catch((err: unknown) => {
        if (!res.headersSent)
          json(res, 500, { type: 'error', error: { type: 'api_error', message: (err as Error).message } });
        else res.destroy();
      });
  });
  // Streams are long-lived; the default timeouts would cut a slow script.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    openaiUrl: `${url}/v1`,
    port,
    script: (api, steps) => queues[api].push(...steps.map((s, i) => parseStep(s, `steps[${i}]`))),
    requests: () => [...log],
    reset,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function defaultMessage(type: string): string {
  switch (type) {
    case 'overloaded_error':
      return 'Overloaded';
    case 'rate_limit_error':
    case 'rate_limit_exceeded':
      return 'Number of request tokens has exceeded your per-minute rate limit';
    case 'authentication_error':
    case 'invalid_api_key':
      return 'invalid x-api-key';
    case 'api_error':
    case 'server_error':
      return 'Internal server error';
    default:
      return 'Invalid request';
  }
}
