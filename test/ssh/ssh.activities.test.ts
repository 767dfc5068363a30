import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { KnownHosts, SshPool, createSshActivities, parseSensorsJson, type NodeTemperature } from '@jarvis/activities';
import { startSshHosts, type SshHosts } from '../support/sshd';

let hosts: SshHosts;
let pool: SshPool;

beforeAll(async () => {
  hosts = await startSshHosts(['pve', 'agent'], { withoutSensors: ['agent'] });
  pool = new SshPool({
    targets: hosts.targets,
    privateKey: readFileSync(hosts.privateKeyPath),
    knownHosts: KnownHosts.load(hosts.knownHostsPath),
  });
}, 30_000);

afterAll(async () => {
  await pool.close();
  await hosts.close();
});

const pgrep = (pattern: string): number[] => {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

describe('SSH activities', () => {
  test('runSshCommand returns the result; a refused command is a non-retryable NOT_ALLOWED failure', async () => {
    const acts = createSshActivities({ ssh: pool });
    const env = new MockActivityEnvironment();
    const ok = await env.run(acts.runSshCommand, { node: 'pve', command: 'hostname' });
    expect(ok).toMatchObject({ exitCode: 0, stdout: 'pve\n', argv: ['hostname'] });
    await expect(env.run(acts.runSshCommand, { node: 'pve', command: 'reboot' })).rejects.toMatchObject({
      name: 'ApplicationFailure',
      type: 'NOT_ALLOWED',
      nonRetryable: true,
    });
  });

  test('cancelling the activity kills the remote command and surfaces as a cancellation', async () => {
    const acts = createSshActivities({ ssh: pool, heartbeatMs: 100 });
    const env = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const running = env.run(acts.runSshCommand, {
      node: 'pve',
      command: 'journalctl -u pvedaemon -n 419 --no-pager',
      timeoutMs: 60_000,
    });
    const settled = running.then(
      () => undefined,
      (err: unknown) => err,
    );
    const until = Date.now() + 5_000;
    while (pgrep('journalctl -u pvedaemon -n 419').length === 0 && Date.now() < until)
      await new Promise((r) => setTimeout(r, 50));
    expect(pgrep('journalctl -u pvedaemon -n 419').length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 250));
    env.cancel();
    const err = await settled;
    expect(err).toMatchObject({ name: 'CancelledFailure' });
    expect(heartbeats.length).toBeGreaterThan(0);
    const gone = Date.now() + 3_000;
    while (pgrep('journalctl -u pvedaemon -n 419').length > 0 && Date.now() < gone)
      await new Promise((r) => setTimeout(r, 50));
    expect(pgrep('journalctl -u pvedaemon -n 419')).toEqual([]);
  });

  test('readTemperatures gives every node, null where lm-sensors is missing', async () => {
    const acts = createSshActivities({ ssh: pool });
    const temps: Record<string, NodeTemperature | null> = await new MockActivityEnvironment().run(
      acts.readTemperatures,
      { nodes: ['pve', 'agent'] },
    );
    expect(temps).toEqual({ pve: parseSensorsJson(hosts.sensorsJson['pve'] ?? ''), agent: null });
    expect(temps['pve']).not.toBeNull();
  });
});
