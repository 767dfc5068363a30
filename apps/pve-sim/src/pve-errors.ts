/**
 * An error PVE would send: the status, a message whose first line becomes the reason phrase,
 * and, for parameter errors, the per-field `errors` object.
 */
export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
  ) {
    super(message);
    this.name = 'PveError';
  }
}

/** raise_param_exc in pve-common. */
export function paramError(errors: Record<string, string>): PveError {
  return new PveError(400, 'Parameter verification failed.', errors);
}

/** Any plain `die` in a handler is a 500 with the die message. */
export function handlerDie(message: string): PveError {
  return new PveError(500, message);
}

export const NO_QUORUM = 'cluster not ready - no quorum?';
