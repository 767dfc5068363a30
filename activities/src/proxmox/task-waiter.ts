import { setTimeout as sleep } from 'node:timers/promises';
import { type GuestKind } from './identifiers';
import { type GuestStatus } from './normalize';
import { isProxmoxError, ProxmoxError } from './proxmox.errors';
import { type ProxmoxClient } from './proxmox.client';
import { type PveGuestStatus } from './pve-records';
import { isTaskOk, type PveTaskStatus } from './task-records';

/**
 * Polling helpers for the two "wait until it is really done" steps of a power action: the PVE
 * task reaching `stopped`, and the guest reaching the expected state (for HA guests the task
 * ends OK long before the LRM has acted).
 */

export interface TaskOutcome {
  exitstatus: string;
  ok: boolean;
  logTail: string[];
  durationMs: number;
}

export interface PollOptions {
  /** The steady polling interval. */
  pollMs?: number;
  /**
   * The first interval, growing by half each poll up to pollMs. Most power tasks end within a
   * second or two, so early polls come quickly; a long task settles at the UI's once a second.
   */
  firstPollMs?: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Retryable errors tolerated in a row before giving up (a flaky proxy should not fail a wait). */
  maxConsecutiveErrors?: number;
  /** Injected clock, for tests. */
  now?: () => number;
}

export interface WaitForTaskOptions extends PollOptions {
  onPoll?: (status: PveTaskStatus) => void;
  /** Lines of log kept for the outcome. */
  tailLines?: number;
  /** Read the log even after a clean OK (by default only failures and warnings are read). */
  alwaysReadLog?: boolean;
}

type TaskClient = Pick<ProxmoxClient, 'taskStatus' | 'taskLog'>;

// The web UI polls tasks once a second; doing the same keeps load on pveproxy's 3 workers low.
const DEFAULT_POLL_MS = 1000;
const DEFAULT_TAIL = 20;

export async function waitForTask(
  client: TaskClient,
  node: string,
  upid: string,
  options: WaitForTaskOptions,
): Promise<TaskOutcome> {
  const now = options.now ?? Date.now;
  const started = now();
  const status = await pollUntil(
    options,
    (signal) => client.taskStatus(node, upid, { signal }),
    (s) => {
      options.onPoll?.(s);
      return s.status === 'stopped';
    },
  );
  if (status === undefined) {
    throw new ProxmoxError('TIMEOUT', `task ${upid} still running after ${options.timeoutMs} ms`);
  }
  const exitstatus = status.exitstatus ?? 'unexpected status';
  // A clean `OK` says all there is to say; the log is read when it explains something
  // (a failure or warnings), which saves one or two calls per action on a busy pveproxy.
  const logTail =
    exitstatus === 'OK' && !options.alwaysReadLog
      ? []
      : await readLogTail(client, node, upid, options.tailLines ?? DEFAULT_TAIL, options.signal);
  return { exitstatus, ok: isTaskOk(exitstatus), logTail, durationMs: Math.max(0, now() - started) };
}

/**
 * The last lines of a task log. PVE pages by line offset and reports `total`, so a long log
 * (a backup) costs two small reads instead of one huge one. The log only explains the outcome,
 * which is already known, so a failure to read it yields an empty tail rather than an error.
 */
async function readLogTail(
  client: TaskClient,
  node: string,
  upid: string,
  lines: number,
  signal?: AbortSignal,
): Promise<string[]> {
  try {
    let log = await client.taskLog(node, upid, { start: 0, limit: lines }, signal ? { signal } : undefined);
    if (log.total > lines) {
      log = await client.taskLog(
        node,
        upid,
        { start: log.total - lines, limit: lines },
        signal ? { signal } : undefined,
      );
    }
    return log.lines.map((l) => l.t).slice(-lines);
  } catch (err) {
    if (signal?.aborted) throw err;
    return [];
  }
}

export interface GuestStateOutcome {
  status: GuestStatus;
  verified: boolean;
  observedAt: string;
  /** Where the guest was last seen; HA recovery may have moved it. */
  node: string;
}

export interface ConfirmGuestStateOptions extends PollOptions {
  onPoll?: (status: PveGuestStatus) => void;
  /** Finds the guest's current node when it is no longer on the one asked (HA relocation). */
  locate?: (vmid: number) => Promise<string | undefined>;
}

type GuestClient = Pick<ProxmoxClient, 'guestStatus'>;

export async function confirmGuestState(
  client: GuestClient,
  node: string,
  vmid: number,
  kind: GuestKind,
  expected: GuestStatus,
  options: ConfirmGuestStateOptions,
): Promise<GuestStateOutcome> {
  const now = options.now ?? Date.now;
  let where = node;
  let last: GuestStatus = 'unknown';
  const read = async (signal: AbortSignal | undefined): Promise<PveGuestStatus | undefined> => {
    try {
      return await client.guestStatus(where, vmid, kind, signal ? { signal } : undefined);
    } catch (err) {
      // An HA guest can be recovered or migrated to another node while we wait: follow it.
      if (isProxmoxError(err) && err.code === 'NOT_FOUND' && options.locate) {
        const moved = await options.locate(vmid);
        if (moved !== undefined && moved !== where) {
          where = moved;
          return undefined;
        }
      }
      throw err;
    }
  };
  const hit = await pollUntil(options, read, (s) => {
    options.onPoll?.(s);
    last = s.status;
    return s.status === expected;
  });
  return {
    status: hit?.status ?? last,
    verified: hit !== undefined,
    observedAt: new Date(now()).toISOString(),
    node: where,
  };
}

/**
 * Calls `read` every pollMs until `done` accepts a value (returned) or the timeout passes
 * (undefined). `read` returning undefined means "nothing to judge yet, poll again".
 * Retryable ProxmoxErrors are tolerated up to maxConsecutiveErrors in a row.
 */
async function pollUntil<T>(
  options: PollOptions,
  read: (signal: AbortSignal | undefined) => Promise<T | undefined>,
  done: (value: T) => boolean,
): Promise<T | undefined> {
  const now = options.now ?? Date.now;
  const pollMs = Math.max(1, options.pollMs ?? DEFAULT_POLL_MS);
  let interval = Math.max(1, Math.min(options.firstPollMs ?? pollMs, pollMs));
  const deadline = now() + options.timeoutMs;
  const maxErrors = options.maxConsecutiveErrors ?? 3;
  let errors = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await read(options.signal);
      errors = 0;
      if (value !== undefined && done(value)) return value;
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!isProxmoxError(err) || !err.retryable || ++errors > maxErrors) throw err;
    }
    const left = deadline - now();
    if (left <= 0) return undefined;
    const wait = Math.min(interval, left);
    interval = Math.min(pollMs, Math.ceil(interval * 1.5));
    await sleep(wait, undefined, options.signal ? { signal: options.signal } : undefined).catch((err: unknown) => {
      throw options.signal?.aborted ? options.signal.reason : err;
    });
  }
}
