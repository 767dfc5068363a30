import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { Agent, request } from 'undici';
import { startSimulator } from '@jarvis/pve-sim';
import { ProxmoxClient } from '../../activities/src/proxmox/proxmox.client';
import { createProxmoxActivities, findAdoptableTask } from '../../activities/src/proxmox/proxmox.activities';

// Failed activities are expected here; keep the SDK's per-failure WARN logs out of the output.
const quiet = new DefaultLogger('ERROR');
const envFor = (info?: ConstructorParameters<typeof MockActivityEnvironment>[0]) =>
  new MockActivityEnvironment(info, { logger: quiet });
// MockActivityEnvironment.run cannot infer an activity's result type; this keeps tests typed.
const run = <A, R>(env: MockActivityEnvironment, fn: (arg: A) => Promise<R>, arg: A): Promise<R> =>
  env.run<[A], R, (arg: A) => Promise<R>>(fn, arg);

type Sim = Awaited<ReturnType<typeof startSimulator>>;
interface LedgerEntry {
  seq: number;
  method: string;
  path: string;
  node?: string;
  vmid?: number;
  action?: string;
  upid?: string;
}

let sim: Sim;
let control: Agent;
let pve: ProxmoxClient;
let acts: ReturnType<typeof createProxmoxActivities>;

async function sim$(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const res = await request(`${sim.controlUrl}${path}`, {
    method,
    dispatcher: control,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`control ${method} ${path}: ${res.statusCode} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}
const ledger = async (): Promise<LedgerEntry[]> => {
  const raw = (await sim$('GET', '/ledger')) as LedgerEntry[] | { data: LedgerEntry[] };
  return Array.isArray(raw) ? raw : raw.data;
};
const stopsOf = async (vmid: number) => (await ledger()).filter((e) => e.vmid === vmid && e.action === 'stop');

beforeAll(async () => {
  sim = await startSimulator({ port: 0, taskMs: 50, refreshMs: 0, authFailDelayMs: 10, seed: 42 });
  control = new Agent({ connect: { ca: sim.certPem, checkServerIdentity: () => undefined } });
  pve = new ProxmoxClient({ baseUrl: sim.url, token: sim.token, fingerprint: sim.fingerprint, timeoutMs: 5000 });
  // Wishes are recorded in Postgres by the worker; here only the Proxmox side is under test.
  acts = createProxmoxActivities({ pve, pollMs: 20, desired: { record: () => Promise.resolve(true) } });
});

afterAll(async () => {
  await pve.close();
  await control.close();
  await sim.close();
});

beforeEach(async () => {
  await sim$('DELETE', '/faults');
  await sim$('POST', '/reset', {});
});

describe('describeGuest', () => {
  it('describes a plain VM', async () => {
    const d = await run(envFor(), acts.describeGuest, { node: 'pve', vmid: 100 });
    expect(d).toMatchObject({
      vmid: 100,
      node: 'pve',
      kind: 'qemu',
      name: 'web-01',
      status: 'running',
      template: false,
      haManaged: false,
    });
    expect(d.tags).toEqual(expect.arrayContaining(['prod', 'web']));
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
  });

  it('sees HA management and the lock', async () => {
    const env = envFor();
    expect(await run(env, acts.describeGuest, { node: 'pve', vmid: 102 })).toMatchObject({
      haManaged: true,
      haState: expect.any(String) as string,
    });
    expect(await run(env, acts.describeGuest, { node: 'home', vmid: 105 })).toMatchObject({
      lock: 'backup',
      status: 'stopped',
    });
  });

  it('NOT_FOUND (non-retryable) for a guest on another node or no guest at all', async () => {
    const env = envFor();
    await expect(run(env, acts.describeGuest, { node: 'home', vmid: 100 })).rejects.toMatchObject({
      name: 'ApplicationFailure',
      type: 'NOT_FOUND',
      nonRetryable: true,
    });
    await expect(run(env, acts.describeGuest, { node: 'pve', vmid: 4242 })).rejects.toMatchObject({
      type: 'NOT_FOUND',
    });
  });
});

describe('describeGuest on a least-privilege token', () => {
  let restricted: ProxmoxClient;
  let racts: ReturnType<typeof createProxmoxActivities>;
  beforeAll(() => {
    restricted = new ProxmoxClient({ baseUrl: sim.url, token: sim.restrictedToken, fingerprint: sim.fingerprint });
    racts = createProxmoxActivities({ pve: restricted, pollMs: 20, desired: { record: () => Promise.resolve(true) } });
  });
  afterAll(() => restricted.close());

  it('a refused HA read: hastate from /cluster/resources when there, else unknown and judged managed', async () => {
    await sim$('PUT', '/permissions', { acl: { '/vms': ['VM.Audit'] } });
    const ha = await run(envFor(), racts.describeGuest, { node: 'pve', vmid: 102 });
    expect(ha).toMatchObject({ haManaged: true, haState: 'started', haUnknown: { code: 'PERMISSION' } });
    expect(ha.haUnknown?.reason).toContain("HA state 'started' taken from /cluster/resources");
    const plain = await run(envFor(), racts.describeGuest, { node: 'pve', vmid: 100 });
    expect(plain.haManaged).toBe(true);
    expect(plain.haUnknown?.reason).toBe(
      'Proxmox refused the HA read (Permission check failed (/, Sys.Audit)); HA state unknown, judged as HA-managed',
    );
  });

  it('a guest hidden from the token is a PERMISSION refusal that says so, not NOT_FOUND', async () => {
    await sim$('PUT', '/permissions', { preset: 'none' });
    await expect(run(envFor(), racts.describeGuest, { node: 'pve', vmid: 100 })).rejects.toMatchObject({
      type: 'PERMISSION',
      message: expect.stringContaining('Permission check failed (/vms/100, VM.Audit)') as string,
    });
    await sim$('PUT', '/permissions', { preset: 'auditor' });
    await expect(run(envFor(), racts.describeGuest, { node: 'pve', vmid: 4242 })).rejects.toMatchObject({
      type: 'NOT_FOUND',
      message: 'guest 4242 does not exist on node pve',
    });
  });
});

describe('issuePowerAction: exactly once under retries', () => {
  it('a retry adopts the stop the first attempt already made', async () => {
    const notBeforeMs = Date.now();
    const input = { node: 'pve', vmid: 100, kind: 'qemu' as const, action: 'stop' as const, notBeforeMs };
    const first = await run(envFor({ attempt: 1 }), acts.issuePowerAction, input);
    expect(first.adopted).toBe(false);
    // The worker "died" before recording the result: Temporal runs attempt 2.
    const second = await run(envFor({ attempt: 2 }), acts.issuePowerAction, input);
    expect(second).toEqual({ upid: first.upid, adopted: true });
    const stops = await stopsOf(100);
    expect(stops).toHaveLength(1);
    expect(stops[0]?.upid).toBe(first.upid);
  });

  it('adopts a task whose reply was lost (issued, never returned to the workflow)', async () => {
    const notBeforeMs = Date.now();
    const lost = await pve.powerAction('pve', 100, 'qemu', 'stop');
    const retry = await run(envFor({ attempt: 2 }), acts.issuePowerAction, {
      node: 'pve',
      vmid: 100,
      kind: 'qemu',
      action: 'stop',
      notBeforeMs,
    });
    expect(retry).toEqual({ upid: lost, adopted: true });
    expect(await stopsOf(100)).toHaveLength(1);
  });

  it('adopts the hastop of an HA-managed guest', async () => {
    const notBeforeMs = Date.now();
    const input = { node: 'pve', vmid: 102, kind: 'qemu' as const, action: 'stop' as const, notBeforeMs };
    const first = await run(envFor({ attempt: 1 }), acts.issuePowerAction, input);
    const second = await run(envFor({ attempt: 2 }), acts.issuePowerAction, input);
    expect(first.upid).toContain(':hastop:');
    expect(second).toEqual({ upid: first.upid, adopted: true });
    expect(await stopsOf(102)).toHaveLength(1);
  });

  it('issues the call on a retry when the first attempt never reached PVE', async () => {
    const res = await run(envFor({ attempt: 3 }), acts.issuePowerAction, {
      node: 'pve',
      vmid: 100,
      kind: 'qemu',
      action: 'stop',
      notBeforeMs: Date.now(),
    });
    expect(res.adopted).toBe(false);
    expect(await stopsOf(100)).toHaveLength(1);
  });

  it('does not adopt an older task from before the action', async () => {
    const old = await pve.powerAction('pve', 100, 'qemu', 'stop');
    // An action scheduled well after that stop: the old task predates it and is not ours.
    const found = await findAdoptableTask(pve, {
      node: 'pve',
      vmid: 100,
      kind: 'qemu',
      action: 'stop',
      notBeforeMs: Date.now() + 3000,
    });
    expect(found).toBeUndefined();
    expect(old).toMatch(/^UPID:pve:/);
  });

  it('NO_QUORUM becomes a retryable ApplicationFailure and leaves no ledger entry', async () => {
    await sim$('POST', '/faults', { kind: 'lose-quorum' });
    await expect(
      run(envFor(), acts.issuePowerAction, {
        node: 'pve',
        vmid: 107,
        kind: 'qemu',
        action: 'start',
        notBeforeMs: Date.now(),
      }),
    ).rejects.toMatchObject({ name: 'ApplicationFailure', type: 'NO_QUORUM', nonRetryable: false });
    expect((await ledger()).filter((e) => e.vmid === 107)).toHaveLength(0);
  });
});

describe('waitForTask activity', () => {
  it('heartbeats every poll and returns ok:false with the log tail for a failed task', async () => {
    const upid = await pve.powerAction('home', 105, 'qemu', 'start');
    const env = envFor();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const outcome = await run(env, acts.waitForTask, { node: 'home', upid });
    expect(outcome).toMatchObject({ ok: false, exitstatus: 'VM is locked (backup)' });
    expect(outcome.logTail).toContain('TASK ERROR: VM is locked (backup)');
    expect(beats.length).toBeGreaterThanOrEqual(1);
    expect(beats.at(-1)).toMatchObject({ upid, status: 'stopped' });
  });

  it('honours cancellation', async () => {
    await sim$('PUT', '/config', { taskMs: 5000 });
    const upid = await pve.powerAction('pve', 107, 'qemu', 'start');
    const env = envFor();
    const pending = run(env, acts.waitForTask, { node: 'pve', upid, timeoutMs: 10_000 });
    setTimeout(() => env.cancel(), 100);
    await expect(pending).rejects.toMatchObject({ name: 'CancelledFailure' });
    await sim$('PUT', '/config', { taskMs: 50 });
  });

  it('a task that outlives timeoutMs is a retryable TIMEOUT', async () => {
    await sim$('PUT', '/config', { taskMs: 5000 });
    const upid = await pve.powerAction('pve', 107, 'qemu', 'start');
    await expect(run(envFor(), acts.waitForTask, { node: 'pve', upid, timeoutMs: 150 })).rejects.toMatchObject({
      type: 'TIMEOUT',
      nonRetryable: false,
    });
    await sim$('PUT', '/config', { taskMs: 50 });
  });
});

describe('verifyGuestState activity', () => {
  it('confirms an HA guest really stopped after its hastop task ended', async () => {
    const env = envFor();
    const { upid } = await run(env, acts.issuePowerAction, {
      node: 'pve',
      vmid: 102,
      kind: 'qemu',
      action: 'stop',
      notBeforeMs: Date.now(),
    });
    expect((await run(env, acts.waitForTask, { node: 'pve', upid })).ok).toBe(true);
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const res = await run(env, acts.verifyGuestState, {
      node: 'pve',
      vmid: 102,
      kind: 'qemu',
      expected: 'stopped',
      timeoutMs: 15_000,
    });
    expect(res).toMatchObject({ status: 'stopped', verified: true });
    expect(Number.isNaN(Date.parse(res.observedAt))).toBe(false);
    expect(beats.length).toBeGreaterThanOrEqual(1);
  });

  it('reports verified:false, not an error, when the guest never gets there', async () => {
    const res = await run(envFor(), acts.verifyGuestState, {
      node: 'pve',
      vmid: 107,
      kind: 'qemu',
      expected: 'running',
      timeoutMs: 100,
    });
    expect(res).toMatchObject({ status: 'stopped', verified: false });
  });
});
