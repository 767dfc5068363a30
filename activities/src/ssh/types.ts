/**
 * The SSH layer's public shape. The pool (ssh-pool.ts) implements it; the API's terminal gateway,
 * the temperature poller and the activities use only this.
 */
import { type ClientChannel } from 'ssh2';

/** Where one cluster node answers SSH. Loopback in tests and the demo; the node's address in production. */
export interface SshTarget {
  /** The Proxmox node name, e.g. `pve`. */
  readonly node: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
}

export interface SshExecOptions {
  /** The remote command is killed when this passes; default 30 s. */
  readonly timeoutMs?: number;
  /** Aborting kills the remote command (a cancelled Temporal activity passes its signal here). */
  readonly signal?: AbortSignal;
  /** Per stream; past it the output is cut and ends with TRUNCATION_MARKER. Default 64 KiB. */
  readonly maxOutputBytes?: number;
}

export interface SshExecResult {
  readonly node: string;
  /** The normalised argv that went on the wire (from the allowlist), never the raw input. */
  readonly argv: readonly string[];
  /** `null` when the command was killed by a signal, a timeout or a cancellation. */
  readonly exitCode: number | null;
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly durationMs: number;
}

export interface SshShellOptions {
  readonly cols: number;
  readonly rows: number;
  /** Default `xterm-256color`. */
  readonly term?: string;
}

/** One pooled connection per node. */
export interface SshRunner {
  readonly nodes: readonly string[];
  /**
   * Checks `command` against the policies' allowlist (default deny) and runs the normalised argv.
   * GREEN shapes only unless `allowYellow` is set by a caller that already holds an approval.
   * Rejects with SshError: NOT_ALLOWED, UNKNOWN_NODE, HOST_KEY_UNKNOWN, HOST_KEY_MISMATCH,
   * AUTH_FAILED, UNREACHABLE, TIMEOUT, CANCELLED.
   */
  exec(
    node: string,
    command: string,
    opts?: SshExecOptions & { readonly allowYellow?: boolean },
  ): Promise<SshExecResult>;
  /** An interactive PTY shell for the operator's terminal. Not allowlisted: the terminal is the operator's own shell. */
  shell(node: string, opts: SshShellOptions): Promise<ClientChannel>;
  /** Closes every connection; later calls reject. */
  close(): Promise<void>;
}

export type SshErrorCode =
  | 'NOT_ALLOWED'
  | 'UNKNOWN_NODE'
  | 'HOST_KEY_UNKNOWN'
  | 'HOST_KEY_MISMATCH'
  | 'AUTH_FAILED'
  | 'UNREACHABLE'
  | 'TIMEOUT'
  | 'CANCELLED'
  | 'CLOSED';

/**
 * Node temperatures from `sensors -j`; `null` where the node has no lm-sensors or no CPU sensor.
 * The same type the cluster view (proxmox/normalize.ts) carries on each node, re-exported so that
 * `export *` of both groups from the package index names one symbol, not two clashing ones.
 */
export type { NodeTemperature } from '../proxmox/normalize';
