/**
 * Validation of the /terminal client payloads. Pure: each parser returns the typed payload or a
 * reason, so the gateway answers BAD_INPUT for anything else and never throws on client input.
 */

export const TERMINAL_BOUNDS = { minCols: 2, maxCols: 500, minRows: 1, maxRows: 200 } as const;
/** One paste; a larger one is split by the client or refused. */
export const MAX_INPUT_CHARS = 64 * 1024;

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$/;
const SESSION_ID = /^[0-9A-Z]{26}$/;
const REF = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A terminal ticket (POST /api/terminal/tickets): 32 random bytes, base64url. */
export const TICKET = /^[A-Za-z0-9_-]{16,128}$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface OpenPayload {
  readonly node: string;
  readonly cols: number;
  readonly rows: number;
  readonly ref?: string;
  /** The step-up ticket; the gateway refuses an open without a valid one. */
  readonly ticket?: string;
}
export interface InputPayload {
  readonly id: string;
  readonly data: string;
}
export interface ResizePayload {
  readonly id: string;
  readonly cols: number;
  readonly rows: number;
}
export interface ClosePayload {
  readonly id: string;
}

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

function record(p: unknown): Record<string, unknown> | undefined {
  return typeof p === 'object' && p !== null && !Array.isArray(p) ? (p as Record<string, unknown>) : undefined;
}

function boundedInt(v: unknown, min: number, max: number): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : undefined;
}

function size(r: Record<string, unknown>): Parsed<{ cols: number; rows: number }> {
  const cols = boundedInt(r['cols'], TERMINAL_BOUNDS.minCols, TERMINAL_BOUNDS.maxCols);
  const rows = boundedInt(r['rows'], TERMINAL_BOUNDS.minRows, TERMINAL_BOUNDS.maxRows);
  if (cols === undefined)
    return fail(`cols must be an integer from ${TERMINAL_BOUNDS.minCols} to ${TERMINAL_BOUNDS.maxCols}`);
  if (rows === undefined)
    return fail(`rows must be an integer from ${TERMINAL_BOUNDS.minRows} to ${TERMINAL_BOUNDS.maxRows}`);
  return { ok: true, value: { cols, rows } };
}

function sessionId(r: Record<string, unknown>): Parsed<string> {
  const id = r['id'];
  return typeof id === 'string' && SESSION_ID.test(id) ? { ok: true, value: id } : fail('id must be a session id');
}

/** The `ref` of an open, when it is a valid one, so even a refusal can name the request it answers. */
export function refOf(p: unknown): { ref?: string } {
  const ref = record(p)?.['ref'];
  return typeof ref === 'string' && REF.test(ref) ? { ref } : {};
}

/** `knownNodes`: the nodes SSH reaches; any other name is refused before it reaches the pool. */
export function parseOpen(p: unknown, knownNodes: readonly string[]): Parsed<OpenPayload> {
  const r = record(p);
  if (!r) return fail('expected { node, cols, rows, ticket }');
  const node = r['node'];
  if (typeof node !== 'string' || !NODE_NAME.test(node)) return fail('node must be a node name');
  if (!knownNodes.includes(node)) return fail(`unknown node "${node}"`);
  const dims = size(r);
  if (!dims.ok) return dims;
  const ref = r['ref'];
  if (ref !== undefined && (typeof ref !== 'string' || !REF.test(ref)))
    return fail('ref must be up to 64 letters, digits or _.:-');
  const ticket = r['ticket'];
  if (ticket !== undefined && (typeof ticket !== 'string' || !TICKET.test(ticket)))
    return fail('ticket must be a terminal ticket from POST /api/terminal/tickets');
  return {
    ok: true,
    value: { node, ...dims.value, ...(ref !== undefined ? { ref } : {}), ...(ticket !== undefined ? { ticket } : {}) },
  };
}

export function parseInput(p: unknown): Parsed<InputPayload> {
  const r = record(p);
  if (!r) return fail('expected { id, data }');
  const id = sessionId(r);
  if (!id.ok) return id;
  const data = r['data'];
  if (typeof data !== 'string') return fail('data must be a string');
  if (data.length > MAX_INPUT_CHARS) return fail(`data is longer than ${MAX_INPUT_CHARS} characters`);
  return { ok: true, value: { id: id.value, data } };
}

export function parseResize(p: unknown): Parsed<ResizePayload> {
  const r = record(p);
  if (!r) return fail('expected { id, cols, rows }');
  const id = sessionId(r);
  if (!id.ok) return id;
  const dims = size(r);
  if (!dims.ok) return dims;
  return { ok: true, value: { id: id.value, ...dims.value } };
}

export function parseClose(p: unknown): Parsed<ClosePayload> {
  const r = record(p);
  if (!r) return fail('expected { id }');
  const id = sessionId(r);
  return id.ok ? { ok: true, value: { id: id.value } } : id;
}
