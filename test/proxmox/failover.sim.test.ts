import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { startSimulator, type RunningSimulator } from '@jarvis/pve-sim';
import { createProxmoxActivities } from '../../activities/src/proxmox/proxmox.activities';
import { ProxmoxClient } from '../../activities/src/proxmox/proxmox.client';
import { simControl, type SimControl } from './sim-control';

/**
 * Failover against the simulator's per-node endpoints: the client is pointed at the first node's
 * own endpoint (as an install pointed at one node), trusts the cluster CA, learns the others from
 * /cluster/status, and keeps answering when that node (or all but one) goes offline.
 */

let sim: RunningSimulator;
let control: SimControl;
const clients: ProxmoxClient[] = [];

const sim$ = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown) =>
  control.call(method, path, body);
const ledger = () => control.ledger();
const offline = (node: string) => sim$('POST', '/faults', { kind: 'node-offline', node });

function client(overrides: Partial<ConstructorParameters<typeof ProxmoxClient>[0]> = {}): ProxmoxClient {
  const c = new ProxmoxClient({
    baseUrl: sim.endpoints[0]!.url,
    token: sim.token,
    caPem: sim.caPem,
    timeoutMs: 3000,
    healthCheckMs: 100,
    ...overrides,
  });
  clients.push(c);
  return c;
}
const stateOf = (c: ProxmoxClient, node: string) => c.endpoints().find((e) => e.node === node)?.state;

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
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

describe('endpoint failover on the simulator', () => {
  it('the node Jarvis talks to goes offline: requests move to another node within a second, and come back', async () => {
    const pve = client();
    await pve.discoverEndpoints();
    expect(pve.endpoints().map((e) => [e.node, e.state])).toEqual([
      ['home', 'active'],
      ['agent', 'healthy'],
      ['agent1', 'healthy'],
      ['pve', 'healthy'],
    ]);

    await offline('home');
    const started = performance.now();
    const status = await pve.clusterStatus();
    const failoverMs = performance.now() - started;
    expect(failoverMs).toBeLessThan(1000);
    expect(status.members.find((m) => m.name === 'home')?.online).toBe(false);
    expect(stateOf(pve, 'home')).toBe('down');
    expect(pve.baseUrl).not.toBe(sim.endpoints[0]!.url);

    // A stop goes out once, through the endpoint now in use.
    const before = (await ledger()).length;
    await expect(pve.powerAction('pve', 100, 'qemu', 'stop')).resolves.toMatch(/^UPID:pve:/);
    const stops = (await ledger()).slice(before).filter((e) => e.vmid === 100 && e.action === 'stop');
    expect(stops).toHaveLength(1);
    expect(stops[0]!.via).not.toBe('home');

    // Wake-on-LAN through a survivor's own endpoint; not through the dead node's.
    await expect(pve.wakeOnLan('home', { endpointNode: 'pve' })).resolves.toMatch(/^[0-9A-F:]{17}$/i);
    await expect(pve.wakeOnLan('home', { endpointNode: 'home' })).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });

    await sim$('POST', '/faults', { kind: 'node-online', node: 'home' });
    await until(() => stateOf(pve, 'home') === 'healthy');
  });

  it('every endpoint but one down: still answers', async () => {
    const pve = client();
    await pve.discoverEndpoints();
    for (const node of ['home', 'pve', 'agent1']) await offline(node);
    await expect(pve.version()).resolves.toHaveProperty('version');
    await expect(pve.clusterStatus()).resolves.toMatchObject({ quorum: { quorate: false } });
    // The standby endpoints are probed now and then: the list shows them down without a failover.
    await until(() => pve.endpoints().filter((e) => e.state === 'down').length === 3);
    expect(pve.endpoints().map((e) => [e.node, e.state])).toEqual([
      ['home', 'down'],
      ['agent', 'active'],
      ['agent1', 'down'],
      ['pve', 'down'],
    ]);
  });

  it('a discovered endpoint that is not trusted is never used, even when the trusted one is down', async () => {
    const pve = client({ caPem: undefined, fingerprint: sim.endpoints[0]!.fingerprint });
    await pve.discoverEndpoints();
    expect(pve.endpoints().map((e) => e.state)).toEqual(['active', 'untrusted', 'untrusted', 'untrusted']);
    await offline('home');
    const before = (await ledger()).length;
    await expect(pve.powerAction('pve', 100, 'qemu', 'stop')).rejects.toMatchObject({ code: 'UPSTREAM' });
    expect((await ledger()).slice(before)).toEqual([]);
  });

  it('a stop whose answer is lost as its endpoint dies is done exactly once: the retry, through another node, adopts or issues it', async () => {
    const pve = client();
    await pve.discoverEndpoints();
    const acts = createProxmoxActivities({ pve, pollMs: 20, desired: { record: () => Promise.resolve(true) } });
    const envFor = (attempt: number) =>
      new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') });
    type Input = Parameters<typeof acts.issuePowerAction>[0];
    const issue = (attempt: number, input: Input) =>
      envFor(attempt).run<[Input], { upid: string; adopted: boolean }, typeof acts.issuePowerAction>(
        acts.issuePowerAction,
        input,
      );
    const input: Input = { node: 'pve', vmid: 100, kind: 'qemu', action: 'stop', notBeforeMs: Date.now() };
    const before = (await ledger()).length;

    // The stop is on its way through home's endpoint when home dies: sent, no answer.
    await sim$('POST', '/faults', { kind: 'latency', ms: 300 });
    const first = issue(1, input);
    await new Promise((r) => setTimeout(r, 100));
    await offline('home');
    await expect(first).rejects.toMatchObject({ nonRetryable: false });
    await new Promise((r) => setTimeout(r, 400)); // whatever the simulator does with it is done
    await sim$('POST', '/faults', { kind: 'latency', ms: 0 });

    const second = await issue(2, input);
    const stops = (await ledger()).slice(before).filter((e) => e.vmid === 100 && e.action === 'stop');
    expect(stops).toHaveLength(1);
    expect(second.upid).toBe(stops[0]!.upid);
    expect(pve.endpoints().find((e) => e.state === 'active')?.node).not.toBe('home');
  });
});
