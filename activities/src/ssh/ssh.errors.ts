/**
 * The SSH layer's domain error. Like ProxmoxError it runs inside activities and behind the API,
 * so it carries a code and a node and nothing framework-specific. Messages are built here from
 * node names, addresses, fingerprints and policy reasons only: never key material.
 */
import { type SshErrorCode, type SshExecResult } from './types';

// A node that is down comes back and a slow command may finish next time; a refused command,
// an unknown node, a wrong host key or a refused login fail the same way every time.
const RETRYABLE: ReadonlySet<SshErrorCode> = new Set<SshErrorCode>(['UNREACHABLE', 'TIMEOUT']);

export class SshError extends Error {
  override readonly name = 'SshError';
  /** What had arrived before a timeout or a cancellation killed the command, if it had started. */
  readonly partial?: SshExecResult;

  constructor(
    readonly code: SshErrorCode,
    readonly node: string,
    message: string,
    options?: { readonly partial?: SshExecResult },
  ) {
    super(`${node}: ${message}`);
    if (options?.partial) this.partial = options.partial;
  }

  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

/** By name, not instanceof: the error may cross a module copy or a serialisation boundary. */
export function isSshError(err: unknown): err is SshError {
  return err instanceof Error && err.name === 'SshError' && typeof (err as { code?: unknown }).code === 'string';
}
