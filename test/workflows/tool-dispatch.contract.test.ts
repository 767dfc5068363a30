import { readFileSync } from 'node:fs';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { Agent, request } from 'undici';
import {
  KnownHosts,
  ProxmoxClient,
  SshPool,
  clusterDesiredStates,
  createChatActivities,
  createProxmoxActivities,
} from '@jarvis/activities';
import { ApprovalsRepository, AuditRepository, ChatRepository, DesiredStateRepository, createPool } from '@jarvis/db';
import {
  DEFAULT_PROTECTED,
  TOOL_CATALOG,
  defaultTierTable,
  evaluateAction,
  isToolResult,
  type ToolArgs,
  type ToolHandlers,
  type ToolName,
} from '@jarvis/policies';
import { startSimulator } from '@jarvis/pve-sim';
import { dispatchTool, type ToolDispatchDeps, type ToolSteps } from '@jarvis/workflows/api';
import { type Pool } from 'pg';
import { startSshHosts, type SshHosts } from '../support/sshd';

/**
 * The tool contract, end to end: every catalog tool is called through the one dispatcher, with
 * the worker's own handlers, against the Proxmox simulator and real sshd, and must answer with a
 * ToolResult. A handler of the wrong shape (the bug that hung "status of vm 101") fails here.
 */
const quiet = new DefaultLogger('ERROR');
type Sim = Awaited<ReturnType<typeof startSimulator>>;

let sim: Sim;
let control: Agent;
let pve: ProxmoxClient;
let hosts: SshHosts;
let ssh: SshPool;
let pool: Pool;
let deps: ToolDispatchDeps;

async function simControl(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void> {
  const res = await request(`${sim.controlUrl}${path}`, {
    method,
    dispatcher: control,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`control ${method} ${path}: ${res.statusCode} ${text}`);
}

/** Every function of `object`, run as an activity would be (its own Context), as the worker runs it. */
function asActivities<T extends object>(object: T): T {
  return Object.fromEntries(
    Object.entries(object).map(([name, fn]) => [
      name,
      typeof fn === 'function'
        ? (arg: unknown) =>
            new MockActivityEnvironment(undefined, { logger: quiet }).run(fn as (a: unknown) => Promise<unknown>, arg)
        : fn,
    ]),
  ) as T;
}

beforeAll(async () => {
  sim = await startSimulator({ port: 0, taskMs: 50, refreshMs: 0, authFailDelayMs: 10, seed: 7 });
  control = new Agent({ connect: { ca: sim.certPem, checkServerIdentity: () => undefined } });
  pve = new ProxmoxClient({ baseUrl: sim.url, token: sim.token, fingerprint: sim.fingerprint, timeoutMs: 5000 });
  hosts = await startSshHosts(['pve']);
  ssh = new SshPool({
    targets: hosts.targets,
    privateKey: readFileSync(hosts.privateKeyPath),
    knownHosts: KnownHosts.load(hosts.knownHostsPath),
  });
  pool = createPool(process.env['JARVIS_TEST_DB']!);
  // The real projection: power tools record the guest's desired state before their Proxmox call.
  const desired = clusterDesiredStates(new DesiredStateRepository(pool), 'contract');
  const chat = createChatActivities({
    pve,
    ssh,
    desired,
    chat: new ChatRepository(pool),
    audit: new AuditRepository(pool),
    approvals: new ApprovalsRepository(pool),
  });
  const proxmox = createProxmoxActivities({ pve, pollMs: 20, desired });
  // The worker registers exactly these objects; the compiler checks that the chat's satisfy the contract.
  const handlers: ToolHandlers = asActivities(chat);
  const steps: ToolSteps = asActivities(proxmox);
  deps = { handlers, steps, now: () => Date.now(), taskTimeoutMs: 20_000 };
}, 60_000);

afterAll(async () => {
  await ssh?.close();
  await hosts?.close();
  await pool?.end();
  await pve?.close();
  await control?.close();
  await sim?.close();
});

beforeEach(async () => {
  await simControl('DELETE', '/faults');
  await simControl('POST', '/reset', {});
});

const policy = { tiers: defaultTierTable(), protected: DEFAULT_PROTECTED };

interface Case<N extends ToolName> {
  readonly args: ToolArgs[N];
  /** Sets the cluster up for the call (a paused guest to resume, an offline node to wake). */
  readonly arrange?: () => Promise<{ readonly ok: boolean }>;
  /** What the first line must say. */
  readonly says: RegExp;
}

// A Record over every tool name: a tool added to the catalog without a case here does not compile.
const CASES: { readonly [N in ToolName]: Case<N> } = {
  'guest.describe': { args: { node: 'home', vmid: 101 }, says: /^guest 101 lxc "dns" on "home" is running/ },
  'cluster.status': { args: {}, says: /./ },
  'node.status': { args: { node: 'pve' }, says: /^node "pve" up/ },
  'guest.list': { args: { node: 'pve' }, says: /^guest 100 qemu "web-01" running/ },
  'storage.list': { args: { node: 'pve' }, says: /^storage "/ },
  'task.recent': { args: { node: 'pve', limit: 5 }, says: /./ },
  'metrics.history': { args: { node: 'pve', timeframe: 'hour' }, says: /^node "pve" over the last hour/ },
  'approval.list': { args: { state: 'pending' }, says: /approval|no pending approvals/ },
  'ssh.run': { args: { node: 'pve', command: 'hostname' }, says: /^\$ hostname \(exit 0\)/ },
  'service.status': { args: { node: 'pve', service: 'pveproxy' }, says: /^"pveproxy" on "pve": active/ },
  'node.reboot': { args: { node: 'home' }, says: /^node "home": reboot requested/ },
  'node.shutdown': { args: { node: 'home' }, says: /^node "home": shutdown requested/ },
  'guest.start': { args: { node: 'pve', vmid: 107, kind: 'qemu' }, says: /^guest 107 on pve is running \(verified\)/ },
  'guest.stop': { args: { node: 'pve', vmid: 100, kind: 'qemu' }, says: /^guest 100 on pve is stopped \(verified\)/ },
  'guest.shutdown': {
    args: { node: 'pve', vmid: 100, kind: 'qemu' },
    says: /^guest 100 on pve is stopped \(verified\)/,
  },
  'guest.reboot': { args: { node: 'pve', vmid: 100, kind: 'qemu' }, says: /^guest 100 on pve is running \(verified\)/ },
  'guest.suspend': { args: { node: 'pve', vmid: 100, kind: 'qemu' }, says: /^guest 100 on pve is paused \(verified\)/ },
  'guest.resume': {
    args: { node: 'pve', vmid: 100, kind: 'qemu' },
    arrange: () => dispatchTool('guest.suspend', { node: 'pve', vmid: 100, kind: 'qemu' }, deps),
    says: /^guest 100 on pve is running \(verified\)/,
  },
  // Sent by the node serving the API (home, the simulator's first), as PVE does; a node never wakes itself.
  'node.wake': {
    args: { node: 'pve' },
    arrange: () => simControl('POST', '/faults', { kind: 'node-offline', node: 'pve' }).then(() => ({ ok: true })),
    says: /^wake-on-LAN packet sent to "pve"/,
  },
  'service.restart': { args: { node: 'pve', service: 'pveproxy' }, says: /^"pveproxy" on "pve": restarted/ },
  'guest.snapshot': {
    args: { node: 'pve', vmid: 100, name: 'contract1' },
    says: /^snapshot contract1 of guest 100 taken/,
  },
  'guest.rollback': {
    args: { node: 'pve', vmid: 100, snapshot: 'contract1' },
    arrange: () => dispatchTool('guest.snapshot', { node: 'pve', vmid: 100, name: 'contract1' }, deps),
    says: /^guest 100 rolled back to snapshot contract1/,
  },
};

describe('every catalog tool through the dispatcher', () => {
  it('has a case for every catalog tool, and no other', () => {
    expect(Object.keys(CASES).sort()).toEqual(TOOL_CATALOG.map((t) => t.name).sort());
  });

  it.each(TOOL_CATALOG.map((t) => [t.name, t.kind] as const))('%s (%s) answers with a ToolResult', async (name) => {
    const c = CASES[name] as Case<ToolName>;
    // The sample is a call the policy lets through (schema, allowlist): what a model could ask for.
    expect(evaluateAction({ tool: name, args: c.args }, {}, policy).kind).not.toBe('deny');
    if (c.arrange) expect(await c.arrange()).toMatchObject({ ok: true });
    const result = await dispatchTool(name, c.args as Record<string, unknown>, deps);
    expect(isToolResult(result)).toBe(true);
    expect(result).toMatchObject({ ok: true });
    expect(result.lines[0]).toMatch(c.says);
  });
});

describe('SSH-backed tools through the dispatcher', () => {
  it('an approved YELLOW ssh.run runs: judged at request time, never refused after its approval', async () => {
    const args = { node: 'pve', command: 'systemctl restart pveproxy' };
    expect(evaluateAction({ tool: 'ssh.run', args }, {}, policy)).toMatchObject({ tier: 'YELLOW' });
    const result = await dispatchTool('ssh.run', args, deps);
    expect(result).toMatchObject({ ok: true });
    expect(result.lines[0]).toBe('$ systemctl restart pveproxy (exit 0)');
  });

  it('a command off the allowlist is refused by the handler too: the last line of defence holds', async () => {
    const result = await dispatchTool('ssh.run', { node: 'pve', command: 'systemctl restart nginx' }, deps);
    expect(result).toMatchObject({ ok: false });
    expect(result.lines[0]).toContain('nginx is not on the restart allowlist');
  });
});

describe('the dispatcher never lets a tool hang a caller', () => {
  const broken = (answer: () => Promise<unknown>): ToolDispatchDeps => ({
    ...deps,
    handlers: { ...deps.handlers, guestDescribe: answer as ToolHandlers['guestDescribe'] },
  });

  it.each([
    ['a GuestDescription instead of a ToolResult', () => Promise.resolve({ vmid: 101, status: 'running' })],
    ['lines that are not strings', () => Promise.resolve({ ok: true, lines: [1, 2] })],
    ['undefined', () => Promise.resolve(undefined)],
  ])('an answer of the wrong shape (%s) is a failed tool', async (_what, answer) => {
    const result = await dispatchTool('guest.describe', { node: 'home', vmid: 101 }, broken(answer));
    expect(result).toEqual({
      ok: false,
      lines: ['guest.describe returned an unexpected result; nothing is known of its outcome'],
    });
  });

  it('a handler that throws is a failed tool naming the cause', async () => {
    const result = await dispatchTool(
      'guest.describe',
      { node: 'home', vmid: 101 },
      broken(() => Promise.reject(new Error('upstream went away'))),
    );
    expect(result).toEqual({ ok: false, lines: ['guest.describe failed: upstream went away'] });
  });

  it('a real failure from the cluster is a failed tool, not an exception', async () => {
    const result = await dispatchTool('guest.describe', { node: 'pve', vmid: 101 }, deps);
    expect(result.ok).toBe(false);
    expect(result.lines[0]).toContain('guest 101 is on node home, not pve');
  });

  it('an unknown tool is a failed tool', async () => {
    expect(await dispatchTool('guest.destroy', { node: 'pve', vmid: 100 }, deps)).toMatchObject({ ok: false });
  });
});
