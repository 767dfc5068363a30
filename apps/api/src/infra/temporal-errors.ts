import { isGrpcServiceError } from '@temporalio/client';

// gRPC status codes (grpc-js `status`): spelled out so the API does not import grpc-js itself.
const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;
const GRPC_NOT_FOUND = 5;
const GRPC_UNAVAILABLE = 14;

/** The gRPC status of an error or of anything in its cause chain (the SDK wraps them in ServiceError). */
export function grpcCode(err: unknown): number | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (isGrpcServiceError(current)) return current.code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Temporal could not be reached or did not answer in time: a 503, never a 500. */
export function isTemporalUnavailable(err: unknown): boolean {
  const code = grpcCode(err);
  if (code === GRPC_UNAVAILABLE || code === GRPC_DEADLINE_EXCEEDED || code === GRPC_CANCELLED) return true;
  // Not connected yet (TemporalService), a failed connect, or the update RPC giving up.
  const name = err instanceof Error ? err.name : '';
  return (
    name === 'TemporalUnavailableError' ||
    name === 'TransportError' ||
    name === 'WorkflowUpdateRPCTimeoutOrCancelledError'
  );
}

/** Compared by name, not instanceof: the SDK's classes may come from more than one package copy. */
export function isWorkflowNotFound(err: unknown): boolean {
  return (err instanceof Error && err.name === 'WorkflowNotFoundError') || grpcCode(err) === GRPC_NOT_FOUND;
}
