/**
 * The Proxmox domain error. The same code runs inside Temporal activities and behind the
 * HTTP API, so it carries a code (mapped to a status or a failure type at the edge) and never
 * anything framework-specific.
 */

export const ProxmoxErrorCode = {
  AUTH: 'AUTH',
  PERMISSION: 'PERMISSION',
  /** 501: the API does not offer that method or path (an older PVE, or a read it never had). */
  NOT_IMPLEMENTED: 'NOT_IMPLEMENTED',
  NOT_FOUND: 'NOT_FOUND',
  LOCKED: 'LOCKED',
  NO_QUORUM: 'NO_QUORUM',
  NODE_UNREACHABLE: 'NODE_UNREACHABLE',
  NOT_RUNNING: 'NOT_RUNNING',
  ALREADY_RUNNING: 'ALREADY_RUNNING',
  BAD_REQUEST: 'BAD_REQUEST',
  TASK_FAILED: 'TASK_FAILED',
  TIMEOUT: 'TIMEOUT',
  TLS: 'TLS',
  MALFORMED: 'MALFORMED',
  UPSTREAM: 'UPSTREAM',
} as const;
export type ProxmoxErrorCode = (typeof ProxmoxErrorCode)[keyof typeof ProxmoxErrorCode];

// Only conditions that can clear up by themselves are worth retrying: an unreachable node comes
// back, quorum returns, a slow or flaky proxy answers next time. Everything else would fail again.
const RETRYABLE: ReadonlySet<ProxmoxErrorCode> = new Set<ProxmoxErrorCode>([
  'NODE_UNREACHABLE',
  'TIMEOUT',
  'UPSTREAM',
  'NO_QUORUM',
]);

export function isRetryableCode(code: ProxmoxErrorCode): boolean {
  return RETRYABLE.has(code);
}

export interface ProxmoxErrorOptions {
  status?: number;
  method?: string;
  path?: string;
  cause?: unknown;
}

// Server text is shown to operators and stored in workflow histories: keep it to one bounded,
// printable chunk so a hostile or broken upstream cannot flood a log line or smuggle escapes.
const MAX_MESSAGE = 500;
export function safeText(text: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > MAX_MESSAGE ? `${flat.slice(0, MAX_MESSAGE)}…` : flat;
}

export class ProxmoxError extends Error {
  override readonly name = 'ProxmoxError';
  readonly code: ProxmoxErrorCode;
  readonly status?: number;
  readonly retryable: boolean;
  /** The request that failed, without query string (paths carry no secrets, query strings might). */
  readonly method?: string;
  readonly path?: string;

  constructor(code: ProxmoxErrorCode, message: string, options: ProxmoxErrorOptions = {}) {
    super(safeText(message) || code, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = isRetryableCode(code);
    if (options.status !== undefined) this.status = options.status;
    if (options.method !== undefined) this.method = options.method;
    if (options.path !== undefined) this.path = options.path;
  }

  // A `cause` from a transport layer can hold request options; keep serialisation to our own fields.
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
      method: this.method,
      path: this.path,
    };
  }
}

/** Works across package copies and realms, unlike `instanceof`. */
export function isProxmoxError(err: unknown): err is ProxmoxError {
  return (
    typeof err === 'object' &&
    err !== null &&
    (err as { name?: unknown }).name === 'ProxmoxError' &&
    typeof (err as { message?: unknown }).message === 'string' &&
    typeof (err as { code?: unknown }).code === 'string' &&
    typeof (err as { retryable?: unknown }).retryable === 'boolean'
  );
}

// Domain failures that PVE reports as a plain 500 (or 400) with a message; matched on the text
// because that is the only thing that distinguishes them on the wire.
const MESSAGE_RULES: ReadonlyArray<readonly [RegExp, ProxmoxErrorCode]> = [
  [/cluster not ready - no quorum\?|\bno quorum!/i, 'NO_QUORUM'],
  [/\b(VM|CT) is locked\b|can't lock file '[^']*' - got timeout/i, 'LOCKED'],
  [/Configuration file '[^']*' does not exist|\bno such (task|storage|cluster node|resource|vm)\b/i, 'NOT_FOUND'],
  // A node name that is not a cluster member: pveproxy cannot resolve where to proxy to.
  [/hostname lookup '[^']*' failed/i, 'NOT_FOUND'],
  [/\balready running\b/i, 'ALREADY_RUNNING'],
  [/\bnot running\b/i, 'NOT_RUNNING'],
];

export function codeFromMessage(message: string): ProxmoxErrorCode | undefined {
  for (const [pattern, code] of MESSAGE_RULES) if (pattern.test(message)) return code;
  return undefined;
}

export function codeFromStatus(status: number, message: string): ProxmoxErrorCode {
  if (status === 401) return 'AUTH';
  if (status === 403) return 'PERMISSION';
  // pveproxy could not reach the node it proxies to (AnyEvent::HTTP's 595–597 connection errors).
  if (status >= 595 && status <= 597) return 'NODE_UNREACHABLE';
  const fromText = codeFromMessage(message);
  if (fromText) return fromText;
  if (status === 404) return 'NOT_FOUND';
  if (status === 408 || status === 504) return 'TIMEOUT';
  if (status === 501) return 'NOT_IMPLEMENTED';
  if (status >= 500) return 'UPSTREAM';
  return 'BAD_REQUEST';
}

/** Codes meaning "Proxmox will not give this token that read": refused (401, 403) or not offered (501). */
const REFUSAL_CODES: ReadonlySet<string> = new Set(['AUTH', 'PERMISSION', 'NOT_IMPLEMENTED']);

/**
 * Whether a failure (a ProxmoxError, or its code as an ApplicationFailure type) is a read Proxmox
 * refused or does not offer: the fact it would give becomes unknown, the caller carries on. A node
 * that cannot be reached (NODE_UNREACHABLE) is not one of these.
 */
export function isRefusal(errOrCode: unknown): boolean {
  const code = typeof errOrCode === 'string' ? errOrCode : isProxmoxError(errOrCode) ? errOrCode.code : undefined;
  return code !== undefined && REFUSAL_CODES.has(code);
}

/**
 * Builds the operator-facing message of an HTTP error. Newer servers put it in JSON `message`;
 * older 8.x servers only have the reason phrase, plus `errors` for parameter problems.
 */
export function httpErrorMessage(status: number, reason: string | undefined, body: unknown): string {
  let message = '';
  let details = '';
  if (body !== null && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    if (typeof record['message'] === 'string') message = record['message'];
    const errors = record['errors'];
    if (errors !== null && typeof errors === 'object' && !Array.isArray(errors)) {
      details = Object.entries(errors as Record<string, unknown>)
        .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
        .join('; ');
    }
  }
  if (!message) message = reason ?? '';
  if (details && !message.includes(details)) message = message ? `${message.trim()} ${details}` : details;
  return safeText(message) || `HTTP ${status}`;
}

export function errorFromHttp(
  status: number,
  reason: string | undefined,
  body: unknown,
  request: { method: string; path: string },
): ProxmoxError {
  const message = httpErrorMessage(status, reason, body);
  return new ProxmoxError(codeFromStatus(status, message), message, { status, ...request });
}
