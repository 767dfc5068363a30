/**
 * SSH activities, a factory over an injected runner (the worker passes the SshPool; tests may pass
 * a pool on local sshd instances). A cancelled activity aborts its signal, which kills the remote
 * command; heartbeats are what deliver that cancellation to a running activity.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { isSshError } from './ssh.errors';
import { readNodeTemperatures } from './sensors';
import { type NodeTemperature, type SshExecResult, type SshRunner } from './types';

export interface SshActivityDeps {
  readonly ssh: SshRunner;
  /** Default 2000 ms. */
  readonly heartbeatMs?: number;
}

export interface RunSshCommandInput {
  readonly node: string;
  /** Checked against the allowlist; only the normalised argv is sent. */
  readonly command: string;
  /** Set only by a workflow that already holds an approval for a YELLOW shape. */
  readonly allowYellow?: boolean;
  readonly timeoutMs?: number;
  readonly maxOutputBytes?: number;
}

export interface ReadTemperaturesInput {
  readonly nodes: readonly string[];
}

/** An SshError leaves the activity as an ApplicationFailure typed by its code. */
export function sshFailure(err: unknown): unknown {
  if (!isSshError(err)) return err;
  return ApplicationFailure.create({
    type: err.code,
    message: err.message,
    nonRetryable: !err.retryable,
    details: [{ node: err.node }],
  });
}

/**
 * Heartbeats while `fn` runs: they are what delivers a cancellation to a running activity. A
 * cancelled activity rethrows the SDK's CancelledFailure (the abort reason), so Temporal records
 * it as cancelled rather than failed; the remote command has been killed by then.
 */
async function withHeartbeats<T>(heartbeatMs: number, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const context = Context.current();
  const signal = context.cancellationSignal;
  const timer = setInterval(() => context.heartbeat(), heartbeatMs);
  try {
    return await fn(signal);
  } catch (err) {
    if (signal.aborted && isSshError(err) && err.code === 'CANCELLED') throw signal.reason;
    throw sshFailure(err);
  } finally {
    clearInterval(timer);
  }
}

export function createSshActivities({ ssh, heartbeatMs = 2_000 }: SshActivityDeps) {
  return {
    runSshCommand: (input: RunSshCommandInput): Promise<SshExecResult> => {
      return withHeartbeats(heartbeatMs, (signal) =>
        ssh.exec(input.node, input.command, {
          signal,
          ...(input.allowYellow === true ? { allowYellow: true } : {}),
          ...(input.timeoutMs === undefined ? {} : { timeoutMs: input.timeoutMs }),
          ...(input.maxOutputBytes === undefined ? {} : { maxOutputBytes: input.maxOutputBytes }),
        }),
      );
    },

    /** Every node's temperature; a node that cannot be read is null (shown as n/a), never a failure. */
    readTemperatures: (input: ReadTemperaturesInput): Promise<Record<string, NodeTemperature | null>> => {
      return withHeartbeats(heartbeatMs, (signal) => readNodeTemperatures(ssh, input.nodes, { signal }));
    },
  };
}

export type SshActivities = ReturnType<typeof createSshActivities>;
