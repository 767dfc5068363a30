/**
 * One pooled SSH connection per node (ssh2), opened on first use, kept alive, and reopened with
 * exponential backoff after it drops. Every exec is checked against the policies' allowlist first
 * and sends only the normalised argv.
 *
 * Killing the remote command: OpenSSH honours the `signal` channel request only for sessions that
 * run under privilege separation, which excludes root logins (session_signal_req: "session
 * signalling requires privilege separation"), and root is the usual user on a Proxmox node. A PTY
 * would make closing the channel HUP the command but would merge stderr into stdout. So every
 * command runs under a small POSIX sh wrapper (REMOTE_KILL_WRAPPER) that kills its own process
 * group as soon as the channel's stdin reaches EOF: on a timeout or a cancellation we send EOF and
 * close the channel, and a dropped connection closes the pipe as well. The `signal` request is
 * still sent first, for servers that honour it.
 */
import { evaluateSshCommand, type SshCommandOptions } from '@jarvis/policies';
import { Client, utils, type ClientChannel, type ConnectConfig } from 'ssh2';
import { SshError } from './ssh.errors';
import { type KnownHosts } from './known-hosts';
import {
  type SshErrorCode,
  type SshExecOptions,
  type SshExecResult,
  type SshRunner,
  type SshShellOptions,
  type SshTarget,
} from './types';

/** Appended to a stream that was cut at maxOutputBytes. */
export const TRUNCATION_MARKER = '\n[output truncated by Jarvis]\n';

/**
 * Runs "$@" with stdin from /dev/null while a watchdog reads the channel's stdin: EOF (we close
 * the channel, or the connection drops) kills the whole process group, the command's children
 * included. sshd starts every session in its own session and process group, so `kill 0` reaches
 * nothing else. The command's exit status passes through unchanged.
 */
export const REMOTE_KILL_WRAPPER =
  'exec 3<&0; "$@" </dev/null 3<&- & c=$!; { read -r _; kill -KILL 0; } <&3 3<&- & exec 3<&-; ' +
  'wait "$c"; s=$?; kill "$!" 2>/dev/null; exit "$s"';

/** `$0` of the wrapper: what `ps` on the node shows for Jarvis's commands. */
export const REMOTE_WRAPPER_NAME = 'jarvis';

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
/** How long a killed command's channel may take to close before the call gives up waiting. */
const KILL_GRACE_MS = 2_000;

/** POSIX single quoting: safe for any word, although allowlisted words never need it. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The exact string sent to the node for an allowlisted argv. */
export function wireCommand(argv: readonly string[]): string {
  return ['sh', '-c', shellQuote(REMOTE_KILL_WRAPPER), REMOTE_WRAPPER_NAME, ...argv.map(shellQuote)].join(' ');
}

export interface SshPoolOptions {
  readonly targets: readonly SshTarget[];
  /** An unencrypted OpenSSH or PEM private key. Parsed once; never logged or put in an error. */
  readonly privateKey: Buffer | string;
  readonly knownHosts: KnownHosts;
  /** Default 15000; three unanswered keep-alives drop the connection. */
  readonly keepaliveIntervalMs?: number;
  /** The TCP connect plus SSH handshake; default 10000. */
  readonly readyTimeoutMs?: number;
  /** Backoff between failed connection attempts to a node; default 1 s doubling up to 30 s. */
  readonly reconnect?: { readonly initialMs: number; readonly maxMs: number };
  /** Passed to the allowlist (operator-added restartable units). */
  readonly policy?: SshCommandOptions;
  /** Structured events (connect, disconnect, exec, kill). They carry no key material. */
  readonly log?: (event: object) => void;
}

interface NodeState {
  readonly target: SshTarget;
  client?: Client;
  connecting?: Promise<Client>;
  failures: number;
  retryAt: number;
  lastFailure?: { readonly code: SshErrorCode; readonly detail: string };
}

/** Keeps at most `max` bytes of a stream and remembers whether more came. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number) {}

  push(data: Buffer): void {
    if (this.truncated) return;
    const room = this.max - this.size;
    if (data.length <= room) {
      this.chunks.push(data);
      this.size += data.length;
      return;
    }
    this.chunks.push(data.subarray(0, room));
    this.size = this.max;
    this.truncated = true;
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    if (!this.truncated) return all.toString('utf8');
    return withoutPartialUtf8(all).toString('utf8') + TRUNCATION_MARKER;
  }
}

/** Drops a multi-byte UTF-8 sequence cut short at the end, so a cut never yields U+FFFD. */
function withoutPartialUtf8(buf: Buffer): Buffer {
  for (let back = 1; back <= Math.min(4, buf.length); back += 1) {
    const byte = buf[buf.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: keep looking for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return needed > back ? buf.subarray(0, buf.length - back) : buf;
  }
  return buf;
}

function connectFailure(err: Error & { level?: string; code?: string }, target: SshTarget, readyTimeoutMs: number) {
  const where = `${target.host}:${target.port}`;
  switch (err.level) {
    case 'client-authentication':
      return { code: 'AUTH_FAILED' as const, detail: `${where} refused the key for user ${target.username}` };
    case 'client-timeout':
      return { code: 'UNREACHABLE' as const, detail: `no SSH handshake with ${where} within ${readyTimeoutMs} ms` };
    case 'client-socket':
      return { code: 'UNREACHABLE' as const, detail: `cannot connect to ${where}: ${err.code ?? err.message}` };
    default:
      return { code: 'UNREACHABLE' as const, detail: `SSH handshake with ${where} failed: ${err.message}` };
  }
}

export class SshPool implements SshRunner {
  readonly nodes: readonly string[];
  private readonly states = new Map<string, NodeState>();
  private readonly privateKey: Buffer | string;
  private readonly keepaliveIntervalMs: number;
  private readonly readyTimeoutMs: number;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  private readonly log: (event: object) => void;
  private closed = false;

  constructor(private readonly options: SshPoolOptions) {
    const parsed = utils.parseKey(options.privateKey);
    // ssh2's parse errors name the format problem, not the key; still, say only what we know.
    if (parsed instanceof Error)
      throw new Error('the SSH private key cannot be parsed (it must be an unencrypted OpenSSH or PEM key)');
    this.privateKey = options.privateKey;
    for (const target of options.targets) {
      if (this.states.has(target.node)) throw new Error(`SSH target for node ${target.node} is given twice`);
      this.states.set(target.node, { target, failures: 0, retryAt: 0 });
    }
    this.nodes = Object.freeze([...this.states.keys()]);
    this.keepaliveIntervalMs = options.keepaliveIntervalMs ?? 15_000;
    this.readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    this.backoff = options.reconnect ?? { initialMs: 1_000, maxMs: 30_000 };
    this.log = options.log ?? (() => undefined);
  }

  /** Whether the node's pooled connection is currently open (for health views and tests). */
  isConnected(node: string): boolean {
    return this.states.get(node)?.client !== undefined;
  }

  async exec(
    node: string,
    command: string,
    opts: SshExecOptions & { readonly allowYellow?: boolean } = {},
  ): Promise<SshExecResult> {
    const state = this.stateFor(node);
    const decision = evaluateSshCommand(command, this.options.policy);
    if (decision.kind === 'deny')
      throw new SshError('NOT_ALLOWED', node, `refused by the SSH allowlist (${decision.ruleId}): ${decision.reason}`);
    if (decision.kind === 'ask' && opts.allowYellow !== true)
      throw new SshError('NOT_ALLOWED', node, `${decision.reason}; it changes the node and needs an approval first`);
    const argv = decision.argv;
    if (opts.signal?.aborted)
      throw new SshError('CANCELLED', node, `${argv.join(' ')} was cancelled before it started`);

    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const started = Date.now();
    // One stop signal for both ends of the call: the deadline covers connecting too.
    const stop = new AbortController();
    let stopReason: 'TIMEOUT' | 'CANCELLED' | undefined;
    const timer = setTimeout(() => {
      stopReason ??= 'TIMEOUT';
      stop.abort();
    }, timeoutMs);
    const onAbort = () => {
      stopReason ??= 'CANCELLED';
      stop.abort();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let client: Client;
      try {
        client = await this.clientFor(state, stop.signal);
      } catch (err) {
        if (stopReason !== undefined)
          throw new SshError(
            stopReason,
            node,
            `${argv.join(' ')} ${describeStop(stopReason, timeoutMs)} while connecting`,
          );
        throw err;
      }
      return await this.run(client, node, argv, {
        stop: stop.signal,
        stopReason: () => stopReason ?? 'CANCELLED',
        timeoutMs,
        maxOutputBytes: opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
        started,
      });
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }

  async shell(node: string, opts: SshShellOptions): Promise<ClientChannel> {
    const state = this.stateFor(node);
    const client = await this.clientFor(state, undefined);
    return new Promise<ClientChannel>((resolve, reject) => {
      client.shell({ term: opts.term ?? 'xterm-256color', cols: opts.cols, rows: opts.rows }, (err, channel) => {
        if (err) reject(new SshError('UNREACHABLE', node, `the node refused a shell: ${err.message}`));
        else {
          this.log({ event: 'ssh.shell_opened', node });
          resolve(channel);
        }
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const closing: Promise<void>[] = [];
    for (const state of this.states.values()) {
      const client = state.client;
      state.client = undefined;
      if (!client) continue;
      closing.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            client.destroy();
            resolve();
          }, 2_000);
          client.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          client.end();
        }),
      );
    }
    // Connections still in their handshake end themselves once it completes (see clientFor).
    await Promise.all(closing);
  }

  private stateFor(node: string): NodeState {
    if (this.closed) throw new SshError('CLOSED', node, 'the SSH pool is closed');
    const state = this.states.get(node);
    if (!state) throw new SshError('UNKNOWN_NODE', node, 'no SSH target is configured for this node');
    return state;
  }

  private clientFor(state: NodeState, stop: AbortSignal | undefined): Promise<Client> {
    const node = state.target.node;
    if (this.closed) return Promise.reject(new SshError('CLOSED', node, 'the SSH pool is closed'));
    if (state.client) return Promise.resolve(state.client);
    if (!state.connecting) {
      const waitMs = state.retryAt - Date.now();
      if (state.lastFailure && waitMs > 0)
        return Promise.reject(
          new SshError(state.lastFailure.code, node, `${state.lastFailure.detail} (next attempt in ${waitMs} ms)`),
        );
      state.connecting = this.connect(state).then(
        (client) => {
          state.connecting = undefined;
          if (this.closed) {
            client.end();
            throw new SshError('CLOSED', node, 'the SSH pool is closed');
          }
          state.client = client;
          state.failures = 0;
          state.lastFailure = undefined;
          return client;
        },
        (err: SshError) => {
          state.connecting = undefined;
          state.failures += 1;
          const delay = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (state.failures - 1));
          state.retryAt = Date.now() + delay;
          state.lastFailure = { code: err.code, detail: err.message.slice(node.length + 2) };
          this.log({ event: 'ssh.connect_failed', node, code: err.code, message: err.message, retryInMs: delay });
          throw err;
        },
      );
    }
    const connecting = state.connecting;
    if (!stop) return connecting;
    return new Promise<Client>((resolve, reject) => {
      const onStop = () => reject(new SshError('CANCELLED', node, 'stopped while connecting'));
      if (stop.aborted) return onStop();
      stop.addEventListener('abort', onStop, { once: true });
      connecting.then(resolve, reject).finally(() => stop.removeEventListener('abort', onStop));
    });
  }

  private connect(state: NodeState): Promise<Client> {
    const { target } = state;
    const { node, host, port } = target;
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let hostKeyFailure: SshError | undefined;
      let fingerprint: string | undefined;
      let ready = false;
      let failed = false;
      const fail = (err: SshError) => {
        if (ready || failed) return;
        failed = true;
        client.destroy();
        reject(err);
      };
      client.once('ready', () => {
        if (failed) return;
        ready = true;
        this.log({ event: 'ssh.connected', node, host, port, hostKey: fingerprint });
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (!ready) {
          const failure = connectFailure(err, target, this.readyTimeoutMs);
          fail(hostKeyFailure ?? new SshError(failure.code, node, failure.detail));
        } else this.log({ event: 'ssh.connection_error', node, level: err.level, message: err.message });
      });
      client.once('close', () => {
        fail(hostKeyFailure ?? new SshError('UNREACHABLE', node, `${host}:${port} closed the connection`));
        if (state.client === client) {
          state.client = undefined;
          this.log({ event: 'ssh.disconnected', node });
        }
      });
      const serverHostKey = this.options.knownHosts.algorithmsFor(host, port);
      const config: ConnectConfig = {
        host,
        port,
        username: target.username,
        privateKey: this.privateKey,
        readyTimeout: this.readyTimeoutMs,
        keepaliveInterval: this.keepaliveIntervalMs,
        keepaliveCountMax: 3,
        ...(serverHostKey
          ? {
              algorithms: { serverHostKey: serverHostKey as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
            }
          : {}),
        hostVerifier: (key: Buffer): boolean => {
          const check = this.options.knownHosts.verify(host, port, key);
          fingerprint = check.fingerprint;
          if (!check.ok) hostKeyFailure = new SshError(check.code, node, check.message);
          return check.ok;
        },
      };
      try {
        client.connect(config);
      } catch {
        fail(new SshError('AUTH_FAILED', node, 'the SSH client refused its configuration (check the private key)'));
      }
    });
  }

  private run(
    client: Client,
    node: string,
    argv: readonly string[],
    ctx: {
      readonly stop: AbortSignal;
      readonly stopReason: () => 'TIMEOUT' | 'CANCELLED';
      readonly timeoutMs: number;
      readonly maxOutputBytes: number;
      readonly started: number;
    },
  ): Promise<SshExecResult> {
    const shown = argv.join(' ');
    return new Promise<SshExecResult>((resolve, reject) => {
      client.exec(wireCommand(argv), (err, channel) => {
        if (err) {
          reject(new SshError('UNREACHABLE', node, `could not start ${shown}: ${err.message}`));
          return;
        }
        const stdout = new CappedOutput(ctx.maxOutputBytes);
        const stderr = new CappedOutput(ctx.maxOutputBytes);
        let exit: { code: number | null; signal?: string } | undefined;
        let stopped: 'TIMEOUT' | 'CANCELLED' | undefined;
        let graceTimer: NodeJS.Timeout | undefined;
        let finished = false;

        channel.on('data', (data: Buffer) => stdout.push(data));
        channel.stderr.on('data', (data: Buffer) => stderr.push(data));
        channel.on('exit', (code: number | null, signal?: string) => {
          exit = typeof code === 'number' ? { code } : { code: null, ...(signal ? { signal } : {}) };
        });

        const finish = () => {
          if (finished) return;
          finished = true;
          clearTimeout(graceTimer);
          ctx.stop.removeEventListener('abort', onStop);
          const result: SshExecResult = {
            node,
            argv,
            exitCode: stopped ? null : (exit?.code ?? null),
            ...(exit?.signal ? { signal: exit.signal } : stopped ? { signal: 'KILL' } : {}),
            stdout: stdout.text(),
            stderr: stderr.text(),
            stdoutTruncated: stdout.truncated,
            stderrTruncated: stderr.truncated,
            durationMs: Date.now() - ctx.started,
          };
          if (stopped) {
            reject(
              new SshError(stopped, node, `${shown} ${describeStop(stopped, ctx.timeoutMs)}`, { partial: result }),
            );
          } else if (!exit) {
            reject(
              new SshError('UNREACHABLE', node, `the connection dropped while ${shown} ran; it may not have finished`, {
                partial: result,
              }),
            );
          } else {
            this.log({
              event: 'ssh.exec',
              node,
              argv,
              exitCode: result.exitCode,
              durationMs: result.durationMs,
              truncated: result.stdoutTruncated || result.stderrTruncated,
            });
            resolve(result);
          }
        };

        const onStop = () => {
          if (stopped || exit) return;
          stopped = ctx.stopReason();
          this.log({ event: 'ssh.exec_killed', node, argv, reason: stopped });
          killRemote(channel);
          graceTimer = setTimeout(finish, KILL_GRACE_MS);
        };
        channel.on('close', finish);
        if (ctx.stop.aborted) onStop();
        else ctx.stop.addEventListener('abort', onStop, { once: true });
      });
    });
  }
}

function describeStop(reason: 'TIMEOUT' | 'CANCELLED', timeoutMs: number): string {
  return reason === 'TIMEOUT' ? `timed out after ${timeoutMs} ms and was killed` : 'was cancelled and killed';
}

/** The signal request where the server honours it, then EOF and close, which fire the wrapper's watchdog. */
function killRemote(channel: ClientChannel): void {
  try {
    channel.signal('KILL');
  } catch {
    // The channel may already be closing; EOF and close below still apply.
  }
  channel.end();
  channel.close();
}
