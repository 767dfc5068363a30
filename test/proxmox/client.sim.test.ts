import { inspect } from 'node:util';
import { startSimulator } from '@jarvis/pve-sim';
import { ProxmoxClient } from '../../activities/src/proxmox/proxmox.client';
import { waitForTask, confirmGuestState } from '../../activities/src/proxmox/task-waiter';
import { ClusterSnapshot } from '../../activities/src/proxmox/cluster-snapshot';
import { simControl, type SimControl } from './sim-control';

type Sim = Awaited<ReturnType<typeof startSimulator>>;
let sim: Sim;
let control: SimControl;
const clients: ProxmoxClient[] = [];

const sim$ = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
  control.call(method, path, body);
const ledger = () => control.ledger();
const fault = (f: Record<string, unknown>) => sim$('POST', '/faults', f);

function client(overrides: Partial<ConstructorParameters<typeof ProxmoxClient>[0]> = {}): ProxmoxClient {
  const c = new ProxmoxClient({
    baseUrl: sim.url,
    token: sim.token,
    fingerprint: sim.fingerprint,
    timeoutMs: 5000,
    ...overrides,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, taskMs: 50, refreshMs: 0, authFailDelayMs: 10, seed: 42 });
  control = simControl(sim);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await control.close();
  await sim.close();
});

beforeEach(async () => {
  await sim$('DELETE', '/faults');
  await sim$('POST', '/reset', {});
});

describe('TLS trust', () => {
  it('connects when the pinned fingerprint matches, in any spelling', async () => {
    const loose = sim.fingerprint.replace(/:/g, '').toLowerCase();
    await expect(client().version()).resolves.toMatchObject({ release: expect.stringMatching(/^8\./) as string });
    await expect(client({ fingerprint: loose }).version()).resolves.toHaveProperty('version');
  });

  it('refuses a mismatching pin before any request is written', async () => {
    const wrong = sim.fingerprint.replace(/^../, sim.fingerprint.startsWith('AA') ? 'BB' : 'AA');
    const before = await ledger();
    const pve = client({ fingerprint: wrong });
    await expect(pve.powerAction('pve', 100, 'qemu', 'stop')).rejects.toMatchObject({
      name: 'ProxmoxError',
      code: 'TLS',
      retryable: false,
      message: expect.stringContaining('fingerprint mismatch') as string,
    });
    expect(await ledger()).toEqual(before);
    await expect(client().guestStatus('pve', 100, 'qemu')).resolves.toMatchObject({ status: 'running' });
  });

  it('trusts the cluster CA when given one', async () => {
    await expect(client({ fingerprint: undefined, caPem: sim.certPem }).version()).resolves.toHaveProperty('version');
  });

  it('does not trust a self-signed PVE certificate through system trust', async () => {
    await expect(client({ fingerprint: undefined }).version()).rejects.toMatchObject({ code: 'TLS' });
  });
});

describe('authentication and secrecy', () => {
  const secret = () => sim.token.split('=')[1]!;

  it('maps a bad token to AUTH without leaking the token', async () => {
    const bad = sim.token.replace(/=.*/, '=00000000-0000-0000-0000-000000000000');
    const err = (await client({ token: bad })
      .version()
      .catch((e: unknown) => e)) as Error & { code: string; status: number };
    expect(err).toMatchObject({ code: 'AUTH', status: 401, retryable: false });
    expect(`${err.message} ${JSON.stringify(err)} ${inspect(err)}`).not.toContain('00000000-0000');
  });

  it('never shows the secret in toString, JSON or inspect of the client or its errors', async () => {
    const pve = client();
    const err = await pve.guestStatus('home', 100, 'qemu').catch((e: unknown) => e);
    for (const text of [
      String(pve),
      JSON.stringify(pve),
      inspect(pve, { showHidden: true, depth: 5 }),
      JSON.stringify(err),
      inspect(err, { depth: 5 }),
    ]) {
      expect(text).not.toContain(secret());
    }
    expect(pve.apiUser).toBe(sim.token.split('=')[0]);
  });

  it('refuses a malformed token at construction, without echoing it', () => {
    expect(() => new ProxmoxClient({ baseUrl: sim.url, token: 'not-a-token-SECRETVALUE' })).toThrow(
      expect.objectContaining({ code: 'AUTH', message: expect.not.stringContaining('SECRETVALUE') as string }) as Error,
    );
  });
});

describe('error mapping against the simulator', () => {
  it('wrong node for a guest → NOT_FOUND', async () => {
    await expect(client().guestStatus('home', 100, 'qemu')).rejects.toMatchObject({
      code: 'NOT_FOUND',
      status: 500,
      retryable: false,
    });
  });

  it('node-offline → NODE_UNREACHABLE (595), retryable; the cluster view still answers', async () => {
    await fault({ kind: 'node-offline', node: 'agent' });
    const pve = client();
    await expect(pve.nodeStatus('agent')).rejects.toMatchObject({
      code: 'NODE_UNREACHABLE',
      status: 595,
      retryable: true,
    });
    const snap = await new ClusterSnapshot({ client: pve }).get();
    expect(snap.nodes.find((n) => n.name === 'agent')?.status).toBe('offline');
    expect(snap.nodes.find((n) => n.name === 'home')?.status).toBe('online');
  });

  it('lose-quorum → start refused with NO_QUORUM (retryable), reads keep working', async () => {
    await fault({ kind: 'lose-quorum' });
    const pve = client();
    const before = (await ledger()).length;
    await expect(pve.powerAction('pve', 107, 'qemu', 'start')).rejects.toMatchObject({
      code: 'NO_QUORUM',
      retryable: true,
    });
    expect((await pve.clusterStatus()).quorum.quorate).toBe(false);
    expect((await ledger()).length).toBe(before);
  });

  it('a locked guest: the task is accepted, then fails with the lock in exitstatus and log', async () => {
    const pve = client();
    const upid = await pve.powerAction('home', 105, 'qemu', 'start');
    const outcome = await waitForTask(pve, 'home', upid, { pollMs: 20, timeoutMs: 5000 });
    expect(outcome.ok).toBe(false);
    expect(outcome.exitstatus).toBe('VM is locked (backup)');
    expect(outcome.logTail.at(-1)).toBe('TASK ERROR: VM is locked (backup)');
  });

  it('latency beyond the client timeout → TIMEOUT, retryable', async () => {
    await fault({ kind: 'latency', ms: 800 });
    const started = Date.now();
    await expect(client({ timeoutMs: 200 }).version()).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(Date.now() - started).toBeLessThan(700);
  });

  it('errors fault → UPSTREAM (retryable) with the server message', async () => {
    await fault({ kind: 'errors', rate: 1 });
    await expect(client().clusterResources()).rejects.toMatchObject({
      name: 'ProxmoxError',
      code: 'UPSTREAM',
      status: 500,
      retryable: true,
      message: 'simulated failure',
    });
  });

  it('a node that is not a cluster member → NOT_FOUND', async () => {
    await expect(client().nodeStatus('nosuchnode')).rejects.toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });

  it('unknown paths and bad identifiers never reach the server as a path', async () => {
    const pve = client();
    await expect(pve.guestStatus('../access', 100, 'qemu')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(pve.taskStatus('pve', 'UPID:pve:../../x')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});

describe('typed reads', () => {
  it('reads nodes, node status, guests and storage tolerantly', async () => {
    const pve = client();
    expect((await pve.nodes()).map((n) => n.name)).toEqual(['agent', 'agent1', 'home', 'pve']);
    const status = await pve.nodeStatus('home');
    expect(status.loadavg).toHaveLength(3);
    status.loadavg.forEach((l) => expect(typeof l).toBe('number'));
    expect(status.cpuinfo.mhz).toBeGreaterThan(0);
    // agent runs 8.0: its LXC list still has string vmids.
    const cts = await pve.listGuests('agent', 'lxc');
    expect(cts.map((c) => c.vmid)).toEqual([106, 109]);
    const storage = await pve.storage('pve');
    expect(storage.map((s) => s.storage)).toEqual(['local', 'local-lvm', 'nas']);
    expect(storage.find((s) => s.storage === 'nas')?.shared).toBe(true);
    const rrd = await pve.nodeRrd('home', 'hour');
    expect(rrd.length).toBeGreaterThan(0);
    expect(rrd.every((r, i) => i === 0 || r.time > rrd[i - 1]!.time)).toBe(true);
  });

  it('builds the contract cluster view', async () => {
    const state = await new ClusterSnapshot({ client: client() }).get();
    expect(state.quorum).toEqual({ quorate: true, nodes: 4, expected: 4 });
    expect(state.guests.map((g) => g.vmid)).toEqual([...state.guests.map((g) => g.vmid)].sort((a, b) => a - b));
    expect(state.guests.find((g) => g.vmid === 103)).toMatchObject({
      name: 'jarvis',
      node: 'agent1',
      type: 'qemu',
      status: 'running',
    });
    expect(state.guests.find((g) => g.vmid === 105)).toMatchObject({ lock: 'backup', status: 'stopped' });
    expect(state.guests.find((g) => g.vmid === 9000)?.template).toBe(true);
    expect(state.guests.find((g) => g.vmid === 102)?.hastate).toBeDefined();
    expect(state.storage.length).toBeGreaterThan(0);
  });

  it('reads HA configuration and status', async () => {
    const pve = client();
    expect(await pve.haResources()).toEqual(
      expect.arrayContaining([expect.objectContaining({ sid: 'vm:102', vmid: 102 })]),
    );
    expect((await pve.haStatus()).some((e) => e.type === 'quorum')).toBe(true);
  });
});

describe('tasks', () => {
  it('stops a VM and waits for OK; the task shows up in the list under our token', async () => {
    const pve = client();
    const upid = await pve.powerAction('pve', 100, 'qemu', 'stop');
    const polls: string[] = [];
    const outcome = await waitForTask(pve, 'pve', upid, {
      pollMs: 10,
      timeoutMs: 5000,
      onPoll: (s) => polls.push(s.status),
    });
    expect(outcome).toMatchObject({ exitstatus: 'OK', ok: true });
    // A clean OK is not worth a log read; asked for, the log ends with the verdict.
    expect(outcome.logTail).toEqual([]);
    expect(polls.at(-1)).toBe('stopped');
    const logged = await waitForTask(pve, 'pve', upid, { pollMs: 10, timeoutMs: 5000, alwaysReadLog: true });
    expect(logged.logTail.at(-1)).toBe('TASK OK');
    const tasks = await pve.listTasks('pve', { vmid: 100, typefilter: 'qmstop', source: 'all' });
    expect(tasks[0]).toMatchObject({ upid, user: pve.apiUser, type: 'qmstop', id: '100' });
    const log = await pve.taskLog('pve', upid, { start: 0, limit: 0 });
    expect(log.total).toBe(log.lines.length);
  });

  it('HA guest: the hastop task ends OK, confirmGuestState waits for the real stop', async () => {
    const pve = client();
    const upid = await pve.powerAction('pve', 102, 'qemu', 'stop');
    expect(upid).toContain(':hastop:102:');
    expect((await waitForTask(pve, 'pve', upid, { pollMs: 10, timeoutMs: 5000 })).ok).toBe(true);
    const confirmed = await confirmGuestState(pve, 'pve', 102, 'qemu', 'stopped', { pollMs: 25, timeoutMs: 15_000 });
    expect(confirmed).toMatchObject({ status: 'stopped', verified: true, node: 'pve' });
  });

  it('confirmGuestState reports verified:false when the state never comes', async () => {
    const res = await confirmGuestState(client(), 'pve', 107, 'qemu', 'running', { pollMs: 20, timeoutMs: 150 });
    expect(res).toMatchObject({ status: 'stopped', verified: false });
  });

  it('waitForTask stops on abort', async () => {
    await sim$('PUT', '/config', { taskMs: 5000 });
    const pve = client();
    const upid = await pve.powerAction('pve', 107, 'qemu', 'start');
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('cancelled by test')), 100);
    await expect(waitForTask(pve, 'pve', upid, { pollMs: 20, timeoutMs: 10_000, signal: ac.signal })).rejects.toThrow(
      'cancelled by test',
    );
    await sim$('PUT', '/config', { taskMs: 50 });
  });
});

describe('ClusterSnapshot against the simulator', () => {
  it('N concurrent dashboards cost one upstream pair', async () => {
    const pve = client();
    const counts = { status: 0, resources: 0 };
    const counted = {
      clusterStatus: () => (counts.status++, pve.clusterStatus()),
      clusterResources: () => (counts.resources++, pve.clusterResources()),
    };
    const snap = new ClusterSnapshot({ client: counted, ttlMs: 60_000 });
    const states = await Promise.all(Array.from({ length: 50 }, () => snap.get()));
    expect(counts).toEqual({ status: 1, resources: 1 });
    expect(states.every((s) => s.updatedAt === states[0]!.updatedAt && !s.stale)).toBe(true);
  });

  it('goes stale, not down, when PVE starts failing', async () => {
    let clock = Date.now();
    const snap = new ClusterSnapshot({ client: client(), ttlMs: 1000, now: () => clock });
    const good = await snap.get();
    await fault({ kind: 'errors', rate: 1 });
    clock += 1500;
    const stale = await snap.get();
    expect(stale).toMatchObject({ stale: true, updatedAt: good.updatedAt });
    expect(stale.guests).toEqual(good.guests);
  });
});
