/**
 * The SSH pool against real OpenSSH sshd instances on loopback (test/support/sshd.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  KnownHosts,
  SshPool,
  TRUNCATION_MARKER,
  isSshError,
  parseSensorsJson,
  readNodeTemperatures,
  type SshError,
  type SshPoolOptions,
} from '@jarvis/activities';
import { startSshHosts, type SshHosts } from '../support/sshd';

const NODES = ['home', 'pve', 'agent1', 'agent'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let hosts: SshHosts;
let pool: SshPool;
const events: object[] = [];

function newPool(extra: Partial<SshPoolOptions> = {}): SshPool {
  return new SshPool({
    targets: hosts.targets,
    privateKey: readFileSync(hosts.privateKeyPath),
    knownHosts: KnownHosts.load(hosts.knownHostsPath),
    reconnect: { initialMs: 300, maxMs: 1_000 },
    keepaliveIntervalMs: 1_000,
    log: (event) => events.push(event),
    ...extra,
  });
}

async function sshFailure(promise: Promise<unknown>): Promise<SshError> {
  try {
    await promise;
  } catch (err) {
    if (isSshError(err)) return err;
    throw err;
  }
  throw new Error('expected an SshError');
}

function portOf(node: string): number {
  const target = hosts.targets.find((t) => t.node === node);
  if (!target) throw new Error(node);
  return target.port;
}

function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The remote command's own process and its children, found by its unique argv. */
async function remoteProcesses(pattern: string): Promise<number[]> {
  const main = await waitFor(pattern, () => {
    const found = pgrep(['-f', pattern]);
    return found.length ? found : undefined;
  });
  // The fake journalctl's `sleep`: a child that must die with it.
  const children = await waitFor(`children of ${pattern}`, () => {
    const kids = main.flatMap((pid) => pgrep(['-P', String(pid)]));
    return kids.length ? kids : undefined;
  });
  return [...main, ...children];
}

async function expectAllGone(pids: number[]): Promise<void> {
  await waitFor(`processes ${pids.join(' ')} to exit`, () =>
    pids.every((pid) => !existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z '))
      ? true
      : undefined,
  );
}

beforeAll(async () => {
  hosts = await startSshHosts(NODES, { withoutSensors: ['agent'] });
  pool = newPool();
}, 30_000);

afterAll(async () => {
  await pool.close();
  await hosts.close();
});

describe('exec on real sshd', () => {
  test.each(NODES)('hostname on %s answers with the node name, over the pooled connection', async (node) => {
    const result = await pool.exec(node, 'hostname');
    expect(result).toMatchObject({ node, argv: ['hostname'], exitCode: 0, stdout: `${node}\n`, stderr: '' });
    expect(pool.isConnected(node)).toBe(true);
    const again = await pool.exec(node, '  hostname ');
    expect(again.stdout).toBe(`${node}\n`);
    const connects = events.filter((e) => (e as { event: string; node: string }).event === 'ssh.connected');
    expect(connects.filter((e) => (e as { node: string }).node === node)).toHaveLength(1);
  });

  test('exit code, stdout and stderr are kept apart', async () => {
    const missing = await pool.exec('pve', 'cat /etc/pve/.version');
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/\/etc\/pve\/\.version: No such file or directory/);

    const ok = await pool.exec('pve', 'cat /proc/loadavg');
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/^\d+\.\d+ \d+\.\d+ \d+\.\d+ \d+\/\d+ \d+\n$/);
    expect(ok.stderr).toBe('');
  });

  test('a node without lm-sensors answers exit 127, command not found', async () => {
    const result = await pool.exec('agent', 'sensors -j');
    expect(result.exitCode).toBe(127);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/sensors: not found|command not found/);
  });

  test('readNodeTemperatures reads every node in parallel; no lm-sensors is null, not an error', async () => {
    const errors: string[] = [];
    const temps = await readNodeTemperatures(pool, NODES, { onError: (node) => errors.push(node) });
    expect(Object.keys(temps).sort()).toEqual([...NODES].sort());
    expect(temps['agent']).toBeNull();
    for (const node of ['home', 'pve', 'agent1']) {
      const expected = parseSensorsJson(hosts.sensorsJson[node] ?? '');
      expect(expected).not.toBeNull();
      expect(temps[node]).toEqual(expected);
    }
    // home is an Intel board in the fakes: package 42, hottest core 43.
    expect(temps['home']).toEqual({ packageC: 42, maxCoreC: 43 });
    expect(errors).toEqual([]);
  });

  test('output past maxOutputBytes is cut and marked, per stream', async () => {
    const full = await pool.exec('home', 'cat /proc/cpuinfo');
    expect(full.stdoutTruncated).toBe(false);
    expect(Buffer.byteLength(full.stdout)).toBeGreaterThan(300);

    const cut = await pool.exec('home', 'cat /proc/cpuinfo', { maxOutputBytes: 200 });
    expect(cut.exitCode).toBe(0);
    expect(cut.stdoutTruncated).toBe(true);
    expect(cut.stderrTruncated).toBe(false);
    expect(cut.stdout.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(cut.stdout.slice(0, -TRUNCATION_MARKER.length)).toBe(full.stdout.slice(0, 200));
  });
});

describe('killing the remote command', () => {
  test('a timeout kills the remote process and its children (pgrep on the host)', async () => {
    const started = Date.now();
    const call = sshFailure(pool.exec('pve', 'journalctl -u pveproxy -n 417 --no-pager', { timeoutMs: 1_500 }));
    const pids = await remoteProcesses('journalctl -u pveproxy -n 417');
    const err = await call;
    expect(err.code).toBe('TIMEOUT');
    expect(err.node).toBe('pve');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(err.partial?.stdout).toMatch(/^-- Journal begins at/);
    expect(err.partial?.exitCode).toBeNull();
    await expectAllGone(pids);
    expect(pgrep(['-f', 'journalctl -u pveproxy -n 417'])).toEqual([]);
    // The pooled connection survives a killed command.
    expect((await pool.exec('pve', 'hostname')).stdout).toBe('pve\n');
  });

  test('aborting the signal kills the remote process and its children', async () => {
    const abort = new AbortController();
    const call = sshFailure(
      pool.exec('agent1', 'journalctl -u corosync -n 418 --no-pager', { signal: abort.signal, timeoutMs: 60_000 }),
    );
    const pids = await remoteProcesses('journalctl -u corosync -n 418');
    abort.abort();
    const err = await call;
    expect(err.code).toBe('CANCELLED');
    await expectAllGone(pids);
  });

  test('an already aborted signal sends nothing', async () => {
    const err = await sshFailure(pool.exec('pve', 'hostname', { signal: AbortSignal.abort() }));
    expect(err.code).toBe('CANCELLED');
  });
});

describe('the allowlist comes before the wire', () => {
  let trap: Server;
  let accepted: Socket[];
  let trapPool: SshPool;

  beforeAll(async () => {
    accepted = [];
    trap = createServer((socket) => {
      accepted.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
    const address = trap.address();
    if (typeof address !== 'object' || !address) throw new Error('no address');
    trapPool = newPool({ targets: [{ node: 'pve', host: '127.0.0.1', port: address.port, username: 'root' }] });
  });

  afterAll(async () => {
    await trapPool.close();
    await new Promise((resolve) => trap.close(resolve));
  });

  test.each([
    'hostname; rm -rf /',
    'hostname && reboot',
    'sensors -j | nc 127.0.0.1 9',
    'cat $(echo /etc/shadow)',
    'cat `id`',
    'df -h > /etc/passwd',
    'cat /etc/pve/priv/authkey.key',
    'cat /proc/../etc/shadow',
    'qm stop 100',
    'ｈostname',
    'hostname\nreboot',
    'bash -c hostname',
    'systemctl restart pveproxy',
  ])('%j is refused with NOT_ALLOWED and no connection is made', async (command) => {
    const err = await sshFailure(trapPool.exec('pve', command));
    expect(err.code).toBe('NOT_ALLOWED');
    expect(err.message.length).toBeGreaterThan(10);
    expect(accepted).toHaveLength(0);
  });

  test('the trap does see a real attempt (so the assertion above can fail)', async () => {
    const err = await sshFailure(trapPool.exec('pve', 'hostname'));
    expect(err.code).toBe('UNREACHABLE');
    expect(accepted.length).toBeGreaterThan(0);
  });

  test('a YELLOW shape runs only with allowYellow, as its normalised argv', async () => {
    const refused = await sshFailure(pool.exec('pve', 'systemctl restart pveproxy.service'));
    expect(refused.code).toBe('NOT_ALLOWED');
    expect(refused.message).toMatch(/approval/);
    // The test host has no systemd: what matters is that it ran, with the suffix dropped.
    const ran = await pool.exec('pve', 'systemctl restart pveproxy.service', { allowYellow: true });
    expect(ran.argv).toEqual(['systemctl', 'restart', 'pveproxy']);
    expect(ran.exitCode).not.toBeNull();
  });

  test('an unknown node is refused', async () => {
    expect((await sshFailure(pool.exec('nope', 'hostname'))).code).toBe('UNKNOWN_NODE');
  });
});

describe('host keys', () => {
  function fingerprintOf(node: string): string {
    const file = join(hosts.dir, node, 'ssh_host_ed25519_key.pub');
    // OpenSSH's own view of the fingerprint: "256 SHA256:... root@pve (ED25519)".
    return execFileSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' }).split(' ')[1] ?? '';
  }

  test('an unknown host is refused, naming host:port and the key fingerprint', async () => {
    const only = KnownHosts.parse(`[127.0.0.1]:${portOf('home')} ${hosts.hostKeys['home']}\n`);
    const strict = newPool({ knownHosts: only });
    try {
      const err = await sshFailure(strict.exec('pve', 'hostname'));
      expect(err.code).toBe('HOST_KEY_UNKNOWN');
      expect(err.message).toContain(`127.0.0.1:${portOf('pve')}`);
      expect(err.message).toContain(fingerprintOf('pve'));
      expect((await strict.exec('home', 'hostname')).stdout).toBe('home\n');
    } finally {
      await strict.close();
    }
  });

  test('a host presenting another key is refused as a mismatch', async () => {
    const wrong = KnownHosts.parse(`[127.0.0.1]:${portOf('pve')} ${hosts.hostKeys['home']}\n`);
    const strict = newPool({ knownHosts: wrong });
    try {
      const err = await sshFailure(strict.exec('pve', 'hostname'));
      expect(err.code).toBe('HOST_KEY_MISMATCH');
      expect(err.message).toContain(fingerprintOf('pve'));
      expect(err.message).toContain(fingerprintOf('home'));
      expect(strict.isConnected('pve')).toBe(false);
    } finally {
      await strict.close();
    }
  });

  test('hashed known_hosts entries (ssh-keygen -H) verify', async () => {
    const hashed = join(hosts.dir, 'known_hosts.hashed');
    writeFileSync(hashed, readFileSync(hosts.knownHostsPath));
    execFileSync('ssh-keygen', ['-H', '-f', hashed], { stdio: 'ignore' });
    const text = readFileSync(hashed, 'utf8');
    expect(text).toMatch(/^\|1\|/m);
    expect(text).not.toContain('127.0.0.1');
    const hashedPool = newPool({ knownHosts: KnownHosts.load(hashed) });
    try {
      expect((await hashedPool.exec('agent1', 'hostname')).stdout).toBe('agent1\n');
    } finally {
      await hashedPool.close();
    }
  });

  test('a revoked key is refused even when also listed as trusted', async () => {
    const revoked = KnownHosts.parse(
      `[127.0.0.1]:${portOf('pve')} ${hosts.hostKeys['pve']}\n@revoked * ${hosts.hostKeys['pve']}\n`,
    );
    const strict = newPool({ knownHosts: revoked });
    try {
      const err = await sshFailure(strict.exec('pve', 'hostname'));
      expect(err.code).toBe('HOST_KEY_MISMATCH');
      expect(err.message).toMatch(/revoked/);
    } finally {
      await strict.close();
    }
  });
});

describe('keys stay secret', () => {
  test('a refused client key is AUTH_FAILED; no key material in errors or log events', async () => {
    const otherKey = join(hosts.dir, 'other_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
    const keyText = readFileSync(otherKey, 'utf8');
    const localEvents: object[] = [];
    const wrong = newPool({ privateKey: keyText, log: (e) => localEvents.push(e) });
    try {
      const err = await sshFailure(wrong.exec('pve', 'hostname'));
      expect(err.code).toBe('AUTH_FAILED');
      const body = keyText.split('\n').filter((line) => line && !line.startsWith('-----'));
      const ours = readFileSync(hosts.privateKeyPath, 'utf8')
        .split('\n')
        .filter((line) => line && !line.startsWith('-----'));
      const everything = JSON.stringify([err.message, err.stack, localEvents, events]);
      for (const line of [...body, ...ours]) expect(everything).not.toContain(line);
      expect(everything).not.toContain('PRIVATE KEY');
    } finally {
      await wrong.close();
    }
  });

  test('an unparsable key is refused at construction without echoing it', () => {
    const bogus =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LXNlY3JldC1zZWNyZXQ=\n-----END OPENSSH PRIVATE KEY-----\n';
    expect(() => newPool({ privateKey: bogus })).toThrow(/cannot be parsed/);
    try {
      newPool({ privateKey: bogus });
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('c2VjcmV0');
    }
  });
});

describe('reconnect', () => {
  test('after sshd is killed the node fails fast, backs off, and comes back once sshd restarts', async () => {
    const node = 'home';
    expect((await pool.exec(node, 'hostname')).stdout).toBe('home\n');
    await hosts.kill(node);
    await waitFor('the pooled connection to drop', () => (pool.isConnected(node) ? undefined : true));

    const down = await sshFailure(pool.exec(node, 'hostname'));
    expect(down.code).toBe('UNREACHABLE');
    expect(down.message).toMatch(/ECONNREFUSED/);
    // Within the backoff window the next call does not dial again.
    const before = Date.now();
    const backedOff = await sshFailure(pool.exec(node, 'hostname'));
    expect(backedOff.code).toBe('UNREACHABLE');
    expect(backedOff.message).toMatch(/next attempt in \d+ ms/);
    expect(Date.now() - before).toBeLessThan(100);

    await sleep(350);
    const second = await sshFailure(pool.exec(node, 'hostname'));
    expect(second.code).toBe('UNREACHABLE');
    const failures = events.filter(
      (e) =>
        (e as { event: string; node: string }).event === 'ssh.connect_failed' && (e as { node: string }).node === node,
    ) as { retryInMs: number }[];
    expect(failures.map((f) => f.retryInMs).slice(-2)).toEqual([300, 600]);

    await hosts.restart(node);
    let answer: string | undefined;
    for (let attempt = 0; attempt < 40 && answer === undefined; attempt += 1) {
      try {
        answer = (await pool.exec(node, 'hostname')).stdout;
      } catch (err) {
        if (!isSshError(err) || err.code !== 'UNREACHABLE') throw err;
        await sleep(100);
      }
    }
    expect(answer).toBe('home\n');
    expect(pool.isConnected(node)).toBe(true);
  });
});

describe('shell and close', () => {
  test('an interactive PTY shell runs commands on the node', async () => {
    const channel = await pool.shell('agent1', { cols: 100, rows: 30 });
    let seen = '';
    channel.on('data', (data: Buffer) => (seen += data.toString()));
    // A login shell's /etc/profile resets PATH, so the fake hostname is not found here; the
    // variable that node's sshd_config sets (SetEnv) says which host answered.
    channel.write('echo "node=$JARVIS_TEST_NODE size=$(stty size)"\n');
    await waitFor('the shell to answer', () => (/node=agent1 size=30 100/.test(seen) ? true : undefined)).catch(
      (err: Error) => {
        throw new Error(`${err.message}; the shell printed ${JSON.stringify(seen)}`);
      },
    );
    channel.end('exit\n');
  });

  test('after close() every call is refused with CLOSED', async () => {
    const closing = newPool();
    await closing.exec('pve', 'hostname');
    await closing.close();
    expect(closing.isConnected('pve')).toBe(false);
    expect((await sshFailure(closing.exec('pve', 'hostname'))).code).toBe('CLOSED');
  });
});
