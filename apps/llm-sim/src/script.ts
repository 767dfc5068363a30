/**
 * What a test queues for the fake servers: one step answers one request, first in first out,
 * per API. With nothing queued each API falls back to a short deterministic reply.
 */
export type LlmApi = 'anthropic' | 'openai';

export interface ScriptedToolUse {
  readonly name: string;
  readonly input: Record<string, unknown>;
  /** Defaults to a deterministic `toolu_…` id. */
  readonly id?: string;
}

export interface ScriptedReply {
  readonly kind: 'reply';
  /** One string is split into word chunks; an array is sent chunk by chunk as given. */
  readonly text?: string | readonly string[];
  /** Anthropic only: tool_use blocks after the text. */
  readonly tools?: readonly ScriptedToolUse[];
  readonly stopReason?: string;
  /** Overrides the estimated token counts. */
  readonly usage?: { readonly input?: number; readonly output?: number };
  /** Wait before the first byte of the answer (headers included). */
  readonly firstDelayMs?: number;
  /** Wait between streamed chunks. */
  readonly chunkDelayMs?: number;
  /** Streaming only: destroy the connection after this many content deltas (a dropped upstream). */
  readonly dropAfterChunks?: number;
}

export interface ScriptedError {
  readonly kind: 'error';
  readonly status: number;
  /** The API's error type, e.g. `overloaded_error`; derived from the status when absent. */
  readonly errorType?: string;
  readonly message?: string;
  /** Sent as `retry-after` (seconds). Defaults to 1 for 429. */
  readonly retryAfterS?: number;
  readonly firstDelayMs?: number;
}

export type ScriptStep = ScriptedReply | ScriptedError;

export interface RecordedRequest {
  readonly seq: number;
  readonly api: LlmApi;
  readonly at: string;
  readonly method: string;
  readonly path: string;
  /** Headers as received, with credentials replaced by `<redacted>`. */
  readonly headers: Record<string, string>;
  readonly body: unknown;
  /** What answered it: a queued step or the default behaviour. */
  readonly answeredBy: 'script' | 'default' | 'rejected';
}

const REDACTED = new Set(['x-api-key', 'authorization']);

export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    out[k] = REDACTED.has(k.toLowerCase()) ? '<redacted>' : Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const nonNegative = (v: unknown): boolean => v === undefined || (typeof v === 'number' && v >= 0 && v < 600_000);

/** Validates a step from the control API; a malformed one is refused, never half-applied. */
export function parseStep(raw: unknown, at: string): ScriptStep {
  if (!isRecord(raw)) throw new Error(`${at}: a step must be an object`);
  if (!nonNegative(raw['firstDelayMs'])) throw new Error(`${at}: firstDelayMs must be a number of ms`);
  if (raw['kind'] === 'error') {
    if (typeof raw['status'] !== 'number' || raw['status'] < 400 || raw['status'] > 599)
      throw new Error(`${at}: an error step needs an HTTP status between 400 and 599`);
    return raw as unknown as ScriptedError;
  }
  if (raw['kind'] !== 'reply') throw new Error(`${at}: kind must be 'reply' or 'error'`);
  const text = raw['text'];
  if (
    text !== undefined &&
    typeof text !== 'string' &&
    !(Array.isArray(text) && text.every((t) => typeof t === 'string'))
  )
    throw new Error(`${at}: text must be a string or an array of strings`);
  const tools = raw['tools'];
  if (
    tools !== undefined &&
    !(Array.isArray(tools) && tools.every((t) => isRecord(t) && typeof t['name'] === 'string' && isRecord(t['input'])))
  )
    throw new Error(`${at}: tools must be [{ name, input }]`);
  if (!nonNegative(raw['chunkDelayMs'])) throw new Error(`${at}: chunkDelayMs must be a number of ms`);
  if (!nonNegative(raw['dropAfterChunks'])) throw new Error(`${at}: dropAfterChunks must be a number`);
  return raw as unknown as ScriptedReply;
}

/** Splits text into word-sized chunks that keep their spaces, so the chunks join back exactly. */
export function chunkText(text: string | readonly string[] | undefined): string[] {
  if (text === undefined) return [];
  if (typeof text !== 'string') return [...text];
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** A rough, deterministic token estimate (about four characters a token), as the fakes bill. */
export function estimateTokens(value: unknown): number {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return Math.max(1, Math.ceil(text.length / 4));
}

/** Splits a JSON text into uneven pieces, as the real API sends `input_json_delta`s. */
export function splitJson(json: string): string[] {
  const pieces: string[] = [];
  let i = 0;
  let size = 3;
  while (i < json.length) {
    pieces.push(json.slice(i, i + size));
    i += size;
    size = size >= 11 ? 3 : size + 4;
  }
  return pieces.length > 0 ? pieces : [''];
}
