import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const TEMPORAL_CLI_VERSION = '1.5.1';

/** Where `scripts/install-temporal.sh` builds the pinned CLI; outside the clone so every checkout reuses it. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env['TEMPORAL_CLI']) return env['TEMPORAL_CLI'];
  const cache = env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache');
  return join(cache, 'jarvis', 'temporal', TEMPORAL_CLI_VERSION, 'temporal');
}

/** Search attributes the workflows and the API use; registered at server start. */
export const SEARCH_ATTRIBUTES: Record<string, string> = { JarvisKind: 'Keyword' };

/**
 * The dev server's history service reads its transfer queue through a 20-reads-a-second rate
 * limiter, and with a single shard that one limit adds ~40 ms to every task dispatch. Raising it
 * is the change that matters; the others help a little (TEMPORAL_NOTES.md, "Latency").
 */
export const TUNING_FLAGS: readonly string[] = [
  'history.transferProcessorMaxPollRPS=10000',
  'matching.numTaskqueueReadPartitions=1',
  'matching.numTaskqueueWritePartitions=1',
  'system.enableActivityEagerExecution=true',
].flatMap((v) => ['--dynamic-config-value', v]);

export interface DevServerOptions {
  readonly port: number;
  readonly uiPort?: number;
  readonly headless?: boolean;
  readonly dbFile?: string;
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Run in its own process group, so a signal to the group stops it with everything else. */
  readonly detached?: boolean;
  readonly onOutput?: (line: string) => void;
  readonly tuned?: boolean;
  /**
   * The umask the server runs with, e.g. 0o077 so its sqlite files (the db file and its -wal and
   * -shm) are created 0600: they hold every workflow history. Unset, it inherits this process's.
   */
  readonly umask?: number;
}

export interface RunningDevServer {
  readonly address: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export function devServerArgs(o: DevServerOptions): string[] {
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(o.port),
    '--log-level',
    o.logLevel ?? 'warn',
  ];
  if (o.headless) args.push('--headless');
  else if (o.uiPort !== undefined) args.push('--ui-port', String(o.uiPort));
  if (o.dbFile) args.push('--db-filename', o.dbFile);
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  if (o.tuned !== false) args.push(...TUNING_FLAGS);
  return args;
}

/** `sh -c 'umask 077; exec bin args…'`: the exec keeps the PID, so signals still reach the server itself. */
export function withUmask(bin: string, args: readonly string[], umask?: number): [string, string[]] {
  if (umask === undefined) return [bin, [...args]];
  if (!Number.isInteger(umask) || umask < 0 || umask > 0o777) throw new Error(`umask ${umask} is out of range`);
  return ['/bin/sh', ['-c', `umask ${umask.toString(8).padStart(3, '0')} && exec "$0" "$@"`, bin, ...args]];
}

export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startDevServer(o: DevServerOptions): Promise<RunningDevServer> {
  const bin = temporalCliPath();
  if (!existsSync(bin)) {
    throw new Error(`the Temporal CLI is not installed at ${bin}; run: npm run temporal:install`);
  }
  const [command, args] = withUmask(bin, devServerArgs(o), o.umask);
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: o.detached ?? false });
  const forward = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) o.onOutput?.(line);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let early: Error | undefined;
  child.once('exit', (code) => {
    early = new Error(`temporal server exited early with code ${code}`);
  });
  try {
    await Promise.race([
      waitForPort(o.port, 60_000),
      exited.then(() => {
        throw early ?? new Error('temporal server exited');
      }),
    ]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    address: `127.0.0.1:${o.port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
