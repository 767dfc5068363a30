import { inspect } from 'node:util';
import { Agent } from 'undici';
import { isRecord } from './coerce';
import { errorFromHttp, ProxmoxError, safeText } from './proxmox.errors';
import { buildTlsConnect, isTlsError, TlsPinMismatchError, type TlsTrust } from './tls';

/**
 * The HTTP layer under ProxmoxClient: one keep-alive undici Agent, token auth, the PVE envelope,
 * and the mapping of every failure (transport, TLS, HTTP status, body) to a ProxmoxError.
 * The token lives only in a private field and the Authorization header; it is never part of an
 * error, a log line or the serialised object.
 */

export interface TransportOptions extends TlsTrust {
  /** e.g. https://pve.example:8006/api2/json */
  baseUrl: string;
  /** USER@REALM!TOKENID=SECRET */
  token: string;
  /** Overall budget of one request, connect to last body byte. Default 15 s. */
  timeoutMs?: number;
}

export interface CallOptions {
  /** Cancels the call; the signal's reason is rethrown as is (a Temporal cancellation stays one). */
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout for this call. */
  timeoutMs?: number;
  /**
   * Send this one request to that node's own endpoint (wake-on-LAN through a survivor). Declared
   * here for the runbook's sake; the endpoint failover gives it its routing.
   */
  endpointNode?: string;
}

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface Envelope {
  data: unknown;
  total?: unknown;
}

const TOKEN = /^([^\s=!@]+@[^\s=!]+![^\s=]+)=(\S+)$/;
const DEFAULT_TIMEOUT_MS = 15_000;
// pveproxy runs 3 workers; more parallel connections than that only queue on the server side.
const CONNECTIONS_PER_ORIGIN = 4;

// PVE wants booleans as exactly "1"/"0"; "true" is a 400.
function wireValue(value: string | number | boolean): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

function encode(params: Query | undefined): string {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) if (value !== undefined) out.append(key, wireValue(value));
  return out.toString();
}

export class HttpTransport {
  readonly baseUrl: string;
  /** The identity tasks are recorded under: `user@realm!tokenid` (no secret). */
  readonly apiUser: string;
  readonly #authorization: string;
  readonly #origin: string;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #agent: Agent;

  constructor(options: TransportOptions) {
    const token = TOKEN.exec(typeof options.token === 'string' ? options.token.trim() : '');
    if (!token?.[1]) throw new ProxmoxError('AUTH', 'PVE token must have the form USER@REALM!TOKENID=SECRET');
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ProxmoxError('BAD_REQUEST', 'PVE base URL is not a valid URL');
    }
    // The token is a bearer secret: plain http is accepted only to loopback (a local TLS-terminating
    // proxy, test stubs), never across a network.
    const loopback = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)$/.test(url.hostname);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      throw new ProxmoxError('BAD_REQUEST', 'PVE base URL must be https (plain http only to loopback)');
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ProxmoxError('BAD_REQUEST', 'timeoutMs must be > 0');

    this.apiUser = token[1];
    this.#authorization = `PVEAPIToken=${token[0]}`;
    this.#origin = url.origin;
    this.#prefix = url.pathname.replace(/\/+$/, '');
    this.baseUrl = `${this.#origin}${this.#prefix}`;
    this.#timeoutMs = timeoutMs;
    const connect = buildTlsConnect({
      ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
      ...(options.fingerprint === undefined ? {} : { fingerprint: options.fingerprint }),
      connectTimeoutMs: Math.min(timeoutMs, 10_000),
    });
    this.#agent = new Agent({
      connect,
      connections: CONNECTIONS_PER_ORIGIN,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  }

  async request(
    method: 'GET' | 'POST',
    path: string,
    query?: Query,
    form?: Query,
    opts: CallOptions = {},
  ): Promise<Envelope> {
    const qs = encode(query);
    const body = form === undefined ? undefined : encode(form);
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.#timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const where = { method, path };
    let status: number;
    let reason: string;
    let text: string;
    try {
      const res = await this.#agent.request({
        origin: this.#origin,
        path: `${this.#prefix}${path}${qs ? `?${qs}` : ''}`,
        method,
        headers: {
          authorization: this.#authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        body: body ?? null,
        signal,
      });
      status = res.statusCode;
      reason = res.statusText;
      text = await res.body.text();
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      throw transportError(err, timeout.aborted, where);
    }

    if (status < 200 || status >= 300) throw errorFromHttp(status, reason, tryJson(text), where);
    const parsed = tryJson(text);
    if (!isRecord(parsed) || !('data' in parsed)) {
      throw new ProxmoxError('MALFORMED', `PVE answered ${method} ${path} with a body that is not a {data} envelope`, {
        status,
        ...where,
      });
    }
    return parsed.total === undefined ? { data: parsed['data'] } : { data: parsed['data'], total: parsed.total };
  }

  close(): Promise<void> {
    return this.#agent.close();
  }

  toJSON(): Record<string, string> {
    return { baseUrl: this.baseUrl, apiUser: this.apiUser };
  }

  toString(): string {
    return `HttpTransport(${this.baseUrl} as ${this.apiUser})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

function tryJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function transportError(err: unknown, timedOut: boolean, where: { method: string; path: string }): ProxmoxError {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  if (timedOut || name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return new ProxmoxError('TIMEOUT', `PVE did not answer ${where.method} ${where.path} in time`, {
      cause: err,
      ...where,
    });
  }
  if (isTlsError(err)) {
    const detail =
      err instanceof TlsPinMismatchError ? err.message : `TLS verification failed (${String(code ?? name)})`;
    return new ProxmoxError('TLS', detail, { cause: err, ...where });
  }
  const message = (err as { message?: unknown } | null)?.message;
  const detail = typeof message === 'string' ? safeText(message) : 'unknown error';
  return new ProxmoxError('UPSTREAM', `cannot reach the PVE API: ${detail}`, { cause: err, ...where });
}
