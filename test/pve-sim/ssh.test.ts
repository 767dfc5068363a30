/**
 * The simulator's per-node SSH servers, driven by Jarvis's real SshPool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KnownHosts, SshPool, isSshError, readNodeTemperatures, type SshError } from '@jarvis/activities';
import { startSimSshServers, type RunningSimSsh } from '../../apps/pve-sim/src/index';
import { generateEd25519 } from '../../apps/pve-sim/src/ssh/keys';
import { SimHarness } from './sim-client';

const NODES = ['home', 'pve', 'agent1', 'agent'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let h: SimHarness;
let ssh: RunningSimSsh;
let pool: SshPool;
let keyDir: string;
const clientKey = generateEd25519('jarvis-test');

function poolFor(servers: RunningSimSsh, privateKey: string = clientKey.private): SshPool {
  return new SshPool({
    targets: servers.endpoints.map((e) => ({ node: e.node, host: e.host, port: e.port, username: 'root' })),
    privateKey,
    knownHosts: KnownHosts.parse(servers.endpoints.map((e) => e.hostKeyLine).join('\n')),
    reconnect: { initialMs: 100, maxMs: 400 },
    readyTimeoutMs: 3_000,
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

beforeAll(async () => {
  h = await SimHarness.start();
  keyDir = mkdtempSync(join(tmpdir(), 'jarvis-sim-ssh-'));
  ssh = await startSimSshServers(h.sim, {
    authorizedKeys: clientKey.public,
    hostKeyDir: keyDir,
    withoutSensors: ['agent'],
  });
  pool = poolFor(ssh);
});

afterAll(async () => {
  await pool.close();
  await h.close();
  rmSync(keyDir, { recursive: true, force: true });
});

describe('simulator SSH servers', () => {
  test('one server per node, each with its own host key, on loopback', () => {
    expect(ssh.endpoints.map((e) => e.node)).toEqual(NODES);
    expect(new Set(ssh.endpoints.map((e) => e.hostKey)).size).toBe(NODES.length);
    for (const e of ssh.endpoints) {
      expect(e.host).toBe('127.0.0.1');
      expect(e.hostKeyLine).toBe(`[127.0.0.1]:${e.port} ${e.hostKey}`);
      expect(e.hostKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
    }
  });

  test.each(NODES)('exec hostname on %s (through the kill-on-hangup wrapper)', async (node) => {
    const result = await pool.exec(node, 'hostname');
    expect(result).toMatchObject({ exitCode: 0, stdout: `${node}\n`, stderr: '' });
  });

  test('sensors -j parses on nodes with lm-sensors; agent has none and reads as null', async () => {
    const temps = await readNodeTemperatures(pool, NODES);
    for (const node of ['home', 'pve', 'agent1']) {
      const t = temps[node];
      expect(t).not.toBeNull();
      expect(t?.packageC).toBeGreaterThan(25);
      expect(t?.packageC).toBeLessThan(100);
      expect(t?.maxCoreC).toBeLessThanOrEqual(t?.packageC ?? 0);
    }
    expect(temps['agent']).toBeNull();
    const missing = await pool.exec('agent', 'sensors -j');
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toBe('bash: sensors: command not found\n');
  });

  test('qm list and systemctl answer from the node', async () => {
    const list = await pool.exec('agent1', 'qm list');
    expect(list.stdout).toMatch(/^\s+VMID NAME\s+STATUS/);
    expect(list.stdout).toMatch(/\b103 jarvis\s+running/);
    const status = await pool.exec('pve', 'systemctl status pveproxy');
    expect(status.stdout).toMatch(/pveproxy\.service - PVE API Proxy Server/);
    expect((await pool.exec('pve', 'systemctl is-active pvedaemon')).stdout).toBe('active\n');
  });

  test('a refused key is AUTH_FAILED', async () => {
    const other = generateEd25519('other');
    const wrong = poolFor(ssh, other.private);
    try {
      expect((await sshFailure(wrong.exec('pve', 'hostname'))).code).toBe('AUTH_FAILED');
    } finally {
      await wrong.close();
    }
  });

  test('host keys survive a restart when kept in hostKeyDir', async () => {
    const again = await startSimSshServers(h.sim, { authorizedKeys: clientKey.public, hostKeyDir: keyDir });
    try {
      expect(again.endpoints.map((e) => e.hostKey)).toEqual(ssh.endpoints.map((e) => e.hostKey));
    } finally {
      await again.close();
    }
  });

  test('the PTY shell: prompt, commands, backspace, Ctrl-C, unknown command, exit', async () => {
    const channel = await pool.shell('pve', { cols: 120, rows: 40 });
    let seen = '';
    channel.on('data', (d: Buffer) => (seen += d.toString()));
    const closed = new Promise<void>((resolve) => channel.once('close', () => resolve()));
    const waitFor = async (pattern: RegExp) => {
      const until = Date.now() + 3_000;
      while (!pattern.test(seen)) {
        if (Date.now() > until) throw new Error(`no ${String(pattern)} in ${JSON.stringify(seen)}`);
        await sleep(20);
      }
    };
    await waitFor(/root@pve:~# $/);
    seen = '';
    channel.write('hostnamx\x7fe\r');
    await waitFor(/\r\npve\r\nroot@pve:~# $/);
    seen = '';
    channel.write('uptime -p\x03');
    await waitFor(/\^C\r\nroot@pve:~# $/);
    seen = '';
    channel.write('frobnicate\r');
    await waitFor(/bash: frobnicate: command not found\r\nroot@pve:~# $/);
    channel.write('exit\r');
    await closed;
  });

  test('an offline node drops its connections and refuses new ones; it answers again once back', async () => {
    expect((await pool.exec('agent1', 'hostname')).stdout).toBe('agent1\n');
    expect((await h.control('POST', '/faults', { kind: 'node-offline', node: 'agent1' })).status).toBe(200);
    const until = Date.now() + 3_000;
    while (pool.isConnected('agent1') && Date.now() < until) await sleep(50);
    expect(pool.isConnected('agent1')).toBe(false);
    expect((await sshFailure(pool.exec('agent1', 'hostname'))).code).toBe('UNREACHABLE');
    expect((await pool.exec('pve', 'hostname')).stdout).toBe('pve\n');

    expect((await h.control('DELETE', '/faults')).status).toBe(200);
    await sleep(450);
    expect((await pool.exec('agent1', 'hostname')).stdout).toBe('agent1\n');
  });
});
