import { HttpException } from '@nestjs/common';
import { isProxmoxError, type ProxmoxErrorCode } from '@jarvis/activities';
import { FORBIDDEN_REFUSALS, MALFORMED_REFUSALS } from '@jarvis/policies';
import { isTemporalUnavailable, isWorkflowNotFound } from '../infra/temporal-errors';
import { ApiErrorCode, isApiError } from './api-error';

export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly details?: Record<string, unknown> };
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers: Record<string, string>;
  /** Set only for an unexpected fault: the id that ties the response to the log line. */
  readonly correlationId?: string;
}

const STATUS: Record<ApiErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  POLICY_BLOCKED: 403,
  NOT_FOUND: 404,
  GUEST_NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  WORKFLOW_NOT_FOUND: 404,
  HISTORY_NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  NODE_OFFLINE: 409,
  WORKFLOW_CLOSED: 409,
  DECISION_REFUSED: 409,
  NOT_AN_OPERATOR: 409,
  SAME_OPERATOR: 409,
  TYPED_NAME_REQUIRED: 409,
  NOT_PENDING: 409,
  EXPIRED: 409,
  FINGERPRINT_MISMATCH: 409,
  APPROVAL_MISMATCH: 409,
  FINGERPRINT_REQUIRED: 400,
  MALFORMED_DECISION: 400,
  NOT_VOUCHED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  // 403, not 401: the bearer token is fine, and a 401 would log the dashboard out.
  STEP_UP_REQUIRED: 403,
  STEP_UP_FAILED: 403,
  NODE_CONFIRMATION_REQUIRED: 403,
  PROXMOX_UNREACHABLE: 502,
  PROXMOX_AUTH: 502,
  PROXMOX_TLS: 502,
  PROXMOX_ERROR: 502,
  TEMPORAL_UNAVAILABLE: 503,
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
};
// "You may not decide this" is a 403; the policies package owns which refusals mean that.
for (const code of FORBIDDEN_REFUSALS) STATUS[code] = 403;
// A decision without what every decision must carry is a bad request, as the API's own check says.
for (const code of MALFORMED_REFUSALS) STATUS[code] = 400;

const CODE_FOR_STATUS: Record<number, ApiErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

// Upstream trouble is the gateway's to report (502), even PVE refusing our token: the caller
// did nothing wrong. Only "that thing does not exist" and state conflicts pass through.
const PROXMOX: Partial<Record<ProxmoxErrorCode, [number, ApiErrorCode]>> = {
  NOT_FOUND: [404, 'NOT_FOUND'],
  LOCKED: [409, 'CONFLICT'],
  ALREADY_RUNNING: [409, 'CONFLICT'],
  NOT_RUNNING: [409, 'CONFLICT'],
  AUTH: [502, 'PROXMOX_AUTH'],
  PERMISSION: [502, 'PROXMOX_AUTH'],
  TLS: [502, 'PROXMOX_TLS'],
  NODE_UNREACHABLE: [502, 'PROXMOX_UNREACHABLE'],
  TIMEOUT: [502, 'PROXMOX_UNREACHABLE'],
  UPSTREAM: [502, 'PROXMOX_UNREACHABLE'],
  NO_QUORUM: [502, 'PROXMOX_UNREACHABLE'],
};

const respond = (
  status: number,
  code: string,
  message: string,
  details?: Record<string, unknown>,
  headers: Record<string, string> = {},
): ErrorResponse => ({
  status,
  body: { error: { code, message, ...(details && Object.keys(details).length > 0 ? { details } : {}) } },
  headers,
});

/** Errors from body-parser and the router (http-errors): 4xx, safe to expose, tagged with a `type`. */
interface ClientHttpError {
  status: number;
  type?: string;
  limit?: number;
  message: string;
}
function isClientHttpError(err: unknown): err is ClientHttpError {
  const e = err as { status?: unknown; expose?: unknown } | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 500 &&
    e.expose === true
  );
}

function fromHttpException(err: HttpException): ErrorResponse | undefined {
  const status = err.getStatus();
  if (status >= 500) return undefined;
  const response = err.getResponse();
  const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const messages = Array.isArray(raw) ? raw.map(String) : [typeof raw === 'string' ? raw : err.message];
  const code = CODE_FOR_STATUS[status] ?? (status === 401 ? 'UNAUTHORIZED' : 'BAD_REQUEST');
  return respond(status, code, messages.join('; '), messages.length > 1 ? { errors: messages } : undefined);
}

/** Connection-level failures (class 08, admin shutdown 57P) and a pool that cannot connect. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (typeof e !== 'object' || e === null) return false;
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT'].includes(code) ||
    /^(08|57P)/.test(code) ||
    /trying to connect|Connection terminated/.test(message)
  );
}

function fromDatabase(err: unknown): ErrorResponse | undefined {
  return isDatabaseUnavailable(err)
    ? respond(503, ApiErrorCode.DATABASE_UNAVAILABLE, 'the database is unavailable')
    : undefined;
}

/** The one place an error becomes an HTTP status and the CONTRACT error envelope. */
export function toErrorResponse(err: unknown, newCorrelationId: () => string): ErrorResponse {
  if (isApiError(err)) {
    const headers: Record<string, string> = {};
    const retryAfter = err.details?.['retryAfterSeconds'];
    if (err.code === 'RATE_LIMITED' && typeof retryAfter === 'number') headers['Retry-After'] = String(retryAfter);
    if (err.code === 'UNAUTHORIZED') headers['WWW-Authenticate'] = 'Bearer';
    return respond(STATUS[err.code], err.code, err.message, err.details, headers);
  }
  if (err instanceof HttpException) {
    const mapped = fromHttpException(err);
    if (mapped) return mapped;
  }
  if (isClientHttpError(err)) {
    // body-parser's parse message quotes the body back; it may hold a password, so say less.
    if (err.type === 'entity.parse.failed') return respond(400, 'BAD_REQUEST', 'the request body is not valid JSON');
    if (err.type === 'entity.too.large' || err.status === 413) {
      return respond(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${err.limit ?? 'the limit'} bytes`);
    }
    if (err.status === 415) return respond(415, 'UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding or charset');
    return respond(err.status, CODE_FOR_STATUS[err.status] ?? 'BAD_REQUEST', err.message.slice(0, 200));
  }
  if (isProxmoxError(err)) {
    const [status, code] = PROXMOX[err.code] ?? [502, 'PROXMOX_ERROR'];
    return respond(status, code, `Proxmox: ${err.message}`, { proxmoxCode: err.code });
  }
  if (isWorkflowNotFound(err)) return respond(404, 'WORKFLOW_NOT_FOUND', 'no such workflow');
  if (isTemporalUnavailable(err))
    return respond(503, 'TEMPORAL_UNAVAILABLE', 'the workflow engine (Temporal) is unavailable');
  const db = fromDatabase(err);
  if (db) return db;
  const correlationId = newCorrelationId();
  return { ...respond(500, 'INTERNAL', 'an unexpected error occurred', { correlationId }), correlationId };
}
