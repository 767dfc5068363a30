import { inspect } from 'node:util';
import { ProxmoxClient } from '../../activities/src/proxmox/proxmox.client';
import { makeCa, makeNodeCert, startFakeCluster, type FakeCluster, type TestCa } from '../support/pve-endpoints';

/**
 * Endpoint failover against small HTTPS stand-ins for three nodes on their own loopback addresses:
 * a and b carry certificates signed by the cluster CA, c (also listed by /cluster/status) a
 * self-signed one that nothing trusts.
 */

const TOKEN = 'jarvis@pve!ops=11111111-2222-3333-4444-555555555555';
const SECRET = '11111111-2222-3333-4444-555555555555';
const NAMES = ['a', 'b', 'c'];
const IPS = ['127.0.0.61', '127.0.0.62', '127.0.0.63'];

let ca: TestCa;
let cluster: FakeCluster;
const clients: ProxmoxClient[] = [];
const events: string[] = [];

function client(overrides: Partial<ConstructorParameters<typeof ProxmoxClient>[0]> = {}): ProxmoxClient {
  const c = new ProxmoxClient({
    baseUrl: cluster.nodes[0]!.url,
    token: TOKEN,
    caPem: ca.certPem,
    timeoutMs: 2000,
    connectTimeoutMs: 500,
    healthCheckMs: 50,
    onEvent: (m) => events.push(m),
    ...overrides,
  });
  clients.push(c);
  return c;
}

const node = (name: string) => cluster.nodes.find((n) => n.name === name)!;
const stateOf = (c: ProxmoxClient, name: string) => c.endpoints().find((e) => e.node === name)?.state;

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  ca = await makeCa();
  const certs = await Promise.all([makeNodeCert(IPS[0]!, ca), makeNodeCert(IPS[1]!, ca), makeNodeCert(IPS[2]!)]);
  cluster = await startFakeCluster(NAMES, IPS, certs);
});

afterEach(async () => {
  // Each test's clients stop here, so no probe of theirs lands in the next test's records.
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await cluster.close();
});

beforeEach(async () => {
  for (const n of cluster.nodes) {
    n.mode = 'ok';
    n.seen.length = 0;
    await n.up();
  }
});

describe('discovery and trust', () => {
  it('learns the other nodes from /cluster/status; the CA decides which are used, and the untrusted one never sees a byte', async () => {
    const pve = client();
    await pve.discoverEndpoints();
    expect(pve.endpoints()).toEqual([
      expect.objectContaining({ node: 'a', url: node('a').url, state: 'active' }),
      expect.objectContaining({ node: 'b', url: node('b').url, state: 'healthy' }),
      expect.objectContaining({ node: 'c', url: node('c').url, state: 'untrusted' }),
    ]);
    expect(pve.endpoints()[2]!.lastError).toMatch(/TLS/);
    // c completed no request: the TLS check refused it before any request byte.
    expect(node('c').seen).toEqual([]);
    expect(node('c').tlsBytes()).toBe(0);

    // Even with a and b down, c is not tried.
    await node('a').down();
    await node('b').down();
    await expect(pve.version()).rejects.toMatchObject({ code: 'UPSTREAM', retryable: true });
    expect(node('c').seen).toEqual([]);
    await expect(pve.version({ endpointNode: 'c' })).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
    expect(node('c').seen).toEqual([]);
  });

  it('with pinned fingerprints, trusts only the endpoints whose certificate is listed', async () => {
    const pins = `${node('a').cert.fingerprint},${node('b').cert.fingerprint}`;
    const pve = client({ caPem: undefined, fingerprint: pins });
    await pve.discoverEndpoints();
    expect(pve.endpoints().map((e) => [e.node, e.state])).toEqual([
      ['a', 'active'],
      ['b', 'healthy'],
      ['c', 'untrusted'],
    ]);
    expect(node('c').seen).toEqual([]);
    expect(node('c').tlsBytes()).toBe(0);
    // The one-pin-per-endpoint list also works as an array.
    const pve2 = client({ caPem: undefined, fingerprint: [node('a').cert.fingerprint], discover: false });
    await expect(pve2.version()).resolves.toHaveProperty('version');
  });

  it('learns again soon when the first discovery found no endpoint answering', async () => {
    await node('a').down();
    const pve = client();
    await expect(pve.version()).rejects.toMatchObject({ code: 'UPSTREAM' });
    await expect(pve.discoverEndpoints()).rejects.toMatchObject({ code: 'UPSTREAM' });
    expect(pve.endpoints()).toHaveLength(1);
    await node('a').up();
    await until(() => pve.endpoints().length === 3);
    expect(pve.endpoints().map((e) => e.node)).toEqual(['a', 'b', 'c']);
  });

  it('names a configured endpoint after the node that answers as local, and does not duplicate it', async () => {
    const pve = client({ baseUrl: `${node('b').url},${node('a').url}` });
    await pve.discoverEndpoints();
    expect(pve.endpoints().map((e) => [e.node, e.url])).toEqual([
      ['b', node('b').url],
      ['a', node('a').url],
      ['c', node('c').url],
    ]);
  });
});

describe('failover', () => {
  it('moves to the next endpoint at once when the active one refuses connections, and back after a health check', async () => {
    const pve = client();
    await pve.discoverEndpoints();
    await expect(pve.version()).resolves.toHaveProperty('version');
    await node('a').down();
    const started = performance.now();
    await expect(pve.clusterStatus()).resolves.toMatchObject({ quorum: { quorate: true } });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(stateOf(pve, 'a')).toBe('down');
    expect(stateOf(pve, 'b')).toBe('active');
    expect(pve.baseUrl).toBe(node('b').url);
    expect(pve.endpoints()[0]!.lastError).toMatch(/ECONNREFUSED|cannot reach/);

    await node('a').up();
    await until(() => stateOf(pve, 'a') === 'healthy');
    // It is used again (b stays active while it works; a is next in line).
    await node('b').down();
    await expect(pve.version()).resolves.toHaveProperty('version');
    expect(stateOf(pve, 'a')).toBe('active');
    expect(events.join('\n')).toMatch(/is back/);
  });

  it('moves on when the active endpoint accepts but does not answer a GET in time', async () => {
    const pve = client({ timeoutMs: 300 });
    await pve.discoverEndpoints();
    node('a').mode = 'hang';
    await expect(pve.nodeStatus('a')).resolves.toHaveProperty('uptime');
    expect(stateOf(pve, 'a')).toBe('down');
    expect(node('b').seen.map((r) => r.url)).toContain('/api2/json/nodes/a/status');
  });

  it('never re-sends a POST whose fate is unknown, but sends one that never left to the next endpoint', async () => {
    const pve = client({ timeoutMs: 300 });
    await pve.discoverEndpoints();
    node('a').mode = 'hang';
    await expect(pve.powerAction('a', 100, 'qemu', 'stop')).rejects.toMatchObject({ code: 'TIMEOUT', retryable: true });
    expect(node('a').seen.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(node('b').seen.filter((r) => r.method === 'POST')).toHaveLength(0);

    // Now a refuses connections and is marked down: the POST goes to b, once.
    node('a').mode = 'ok';
    await node('a').down();
    await expect(pve.powerAction('b', 101, 'qemu', 'stop')).resolves.toMatch(/^UPID:b:/);
    expect(node('b').seen.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a connection reset after the request left: a GET goes elsewhere, a POST is not re-sent', async () => {
    const pve = client();
    await pve.discoverEndpoints();
    node('a').mode = 'reset';
    await expect(pve.powerAction('a', 100, 'qemu', 'stop')).rejects.toMatchObject({
      code: 'UPSTREAM',
      retryable: true,
    });
    expect(node('b').seen.filter((r) => r.method === 'POST')).toHaveLength(0);
    expect(stateOf(pve, 'a')).toBe('down');
    // a is marked down: the next requests, a POST too, go to b at once.
    await expect(pve.powerAction('a', 100, 'qemu', 'stop')).resolves.toMatch(/^UPID:b:/);
    expect(node('a').seen.filter((r) => r.method === 'POST')).toHaveLength(1);
    node('a').mode = 'ok';
    await until(() => stateOf(pve, 'a') === 'healthy');
    node('a').mode = 'reset';
    await node('b').down();
    await expect(pve.version()).rejects.toMatchObject({ code: 'UPSTREAM' });
    node('a').mode = 'ok';
  });

  it('the caller cancelling is not a failover: the reason comes back as is, nothing is marked', async () => {
    const pve = client({ healthCheckMs: 60_000 });
    await pve.discoverEndpoints();
    node('b').seen.length = 0;
    node('a').mode = 'hang';
    const controller = new AbortController();
    const reason = new Error('cancelled by the workflow');
    setTimeout(() => controller.abort(reason), 100);
    await expect(pve.version({ signal: controller.signal })).rejects.toBe(reason);
    expect(stateOf(pve, 'a')).toBe('active');
    expect(node('b').seen).toEqual([]);
  });

  it('tells a 595 from the endpoint itself (fail over) from a 595 for a node it proxies to (NODE_UNREACHABLE)', async () => {
    const pve = client();
    await pve.discoverEndpoints();
    node('a').mode = 'fail595';
    // /nodes/b/… through a: a proxies to b and cannot reach it: the caller hears NODE_UNREACHABLE, a stays in use.
    await expect(pve.nodeStatus('b')).rejects.toMatchObject({ code: 'NODE_UNREACHABLE', status: 595 });
    expect(stateOf(pve, 'a')).toBe('active');
    expect(node('b').seen.filter((r) => r.url.includes('/nodes/'))).toEqual([]);
    // /cluster/… through a: a's own API is broken: the request goes to b.
    await expect(pve.clusterStatus()).resolves.toMatchObject({ quorum: { quorate: true } });
    expect(stateOf(pve, 'a')).toBe('down');
    expect(stateOf(pve, 'b')).toBe('active');
  });

  it('keeps working with every endpoint but one down, and reports when none works', async () => {
    const pve = client({ baseUrl: [node('a').url, node('b').url] });
    await node('a').down();
    await expect(pve.version()).resolves.toHaveProperty('version');
    await node('b').down();
    const err = (await pve.version().catch((e: unknown) => e)) as Error & { code: string };
    expect(err).toMatchObject({ code: 'UPSTREAM', retryable: true });
    expect(err.message).toMatch(/other PVE endpoint failed too/);
  });
});

describe('endpointNode', () => {
  it("sends the request to that node's own endpoint, or fails NODE_UNREACHABLE", async () => {
    const pve = client();
    await expect(pve.wakeOnLan('a', { endpointNode: 'b' })).rejects.toMatchObject({ code: 'MALFORMED' });
    expect(node('b').seen.map((r) => `${r.method} ${r.url}`)).toContain('POST /api2/json/nodes/a/wakeonlan');
    expect(node('a').seen.filter((r) => r.url.includes('wakeonlan'))).toEqual([]);
    await expect(pve.version({ endpointNode: 'nope' })).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
    await node('b').down();
    await expect(pve.version({ endpointNode: 'b' })).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
    await expect(pve.version({ endpointNode: 'b' })).rejects.toMatchObject({
      code: 'NODE_UNREACHABLE',
      message: expect.stringMatching(/is down/) as string,
    });
    // A pinned request moves nothing: a stays active.
    expect(stateOf(pve, 'a')).toBe('active');
  });
});

describe('secrecy', () => {
  it('keeps the token out of endpoints(), events, errors and the serialised client', async () => {
    const pve = client();
    await pve.discoverEndpoints();
    await node('a').down();
    await node('b').down();
    const err = await pve.version().catch((e: unknown) => e);
    for (const text of [
      JSON.stringify(pve.endpoints()),
      events.join('\n'),
      JSON.stringify(err),
      inspect(err, { depth: 5 }),
      String(pve),
      JSON.stringify(pve),
    ]) {
      expect(text).not.toContain(SECRET);
    }
    expect(events.join('\n')).toMatch(/is down/);
  });
});
