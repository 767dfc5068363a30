/**
 * The API's domain exception. Services throw it with a code; only the exception filter (the
 * edge) turns a code into an HTTP status, so services stay free of HTTP and can be reused
 * outside a request (the socket gateway, scripts).
 */
export const ApiErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  POLICY_BLOCKED: 'POLICY_BLOCKED',
  NOT_FOUND: 'NOT_FOUND',
  GUEST_NOT_FOUND: 'GUEST_NOT_FOUND',
  APPROVAL_NOT_FOUND: 'APPROVAL_NOT_FOUND',
  WORKFLOW_NOT_FOUND: 'WORKFLOW_NOT_FOUND',
  HISTORY_NOT_FOUND: 'HISTORY_NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  CONFLICT: 'CONFLICT',
  NODE_OFFLINE: 'NODE_OFFLINE',
  WORKFLOW_CLOSED: 'WORKFLOW_CLOSED',
  DECISION_REFUSED: 'DECISION_REFUSED',
  // The approval refusals of @jarvis/policies (RefusalCode), passed through as they are.
  NOT_AN_OPERATOR: 'NOT_AN_OPERATOR',
  SAME_OPERATOR: 'SAME_OPERATOR',
  TYPED_NAME_REQUIRED: 'TYPED_NAME_REQUIRED',
  NOT_PENDING: 'NOT_PENDING',
  EXPIRED: 'EXPIRED',
  FINGERPRINT_MISMATCH: 'FINGERPRINT_MISMATCH',
  APPROVAL_MISMATCH: 'APPROVAL_MISMATCH',
  FINGERPRINT_REQUIRED: 'FINGERPRINT_REQUIRED',
  MALFORMED_DECISION: 'MALFORMED_DECISION',
  NOT_VOUCHED: 'NOT_VOUCHED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  // Opening a terminal: a fresh login or password confirmation is needed, the password was wrong,
  // or Jarvis's own node was not named.
  STEP_UP_REQUIRED: 'STEP_UP_REQUIRED',
  STEP_UP_FAILED: 'STEP_UP_FAILED',
  NODE_CONFIRMATION_REQUIRED: 'NODE_CONFIRMATION_REQUIRED',
  PROXMOX_UNREACHABLE: 'PROXMOX_UNREACHABLE',
  PROXMOX_AUTH: 'PROXMOX_AUTH',
  PROXMOX_TLS: 'PROXMOX_TLS',
  PROXMOX_ERROR: 'PROXMOX_ERROR',
  TEMPORAL_UNAVAILABLE: 'TEMPORAL_UNAVAILABLE',
  DATABASE_UNAVAILABLE: 'DATABASE_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ApiErrorCode = (typeof ApiErrorCode)[keyof typeof ApiErrorCode];

export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof Error && err.name === 'ApiError' && typeof (err as { code?: unknown }).code === 'string';
}
