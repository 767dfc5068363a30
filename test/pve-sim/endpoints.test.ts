import { X509Certificate } from 'node:crypto';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { startSimulator, type SimEndpoint } from '../../apps/pve-sim/src/index';
import { call, envelope, plain, rows, SimHarness, type CallOptions, type Row, type WireResponse } from './sim-client';

/** The certificate a node's endpoint presents, verified against the cluster CA and the endpoint's IP. */
function presented(url: string, ca: string): Promise<X509Certificate> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca }, () => {
      resolve(new X509Certificate(socket.getPeerCertificate().raw));
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe('pve-sim per-node endpoints', () => {
  let h: SimHarness;
  let byNode: Record<string, SimEndpoint>;
  const at = (node: string, method: string, path: string, opts?: CallOptions): Promise<WireResponse> =>
    call(h.sim, method, `${byNode[node]?.url ?? 'https://unknown.invalid'}${path}`, opts);

  beforeAll(async () => {
    h = await SimHarness.start();
    byNode = Object.fromEntries(h.sim.endpoints.map((e) => [e.node, e]));
  });

  afterAll(async () => {
    await h.close();
  });

  afterEach(async () => {
    await h.control('POST', '/reset', {});
  });

  it('serves each node on its own loopback address and the main port, with its own CA-signed certificate', async () => {
    expect(h.sim.endpoints.map((e) => e.node)).toEqual(['home', 'pve', 'agent1', 'agent']);
    expect(h.sim.endpoints.map((e) => e.url)).toEqual(
      [11, 12, 13, 14].map((last) => `https://127.0.0.${last}:${h.sim.port}/api2/json`),
    );
    expect(h.sim.caPem).toBe(h.sim.certPem);
    const ca = new X509Certificate(h.sim.caPem);
    const fingerprints = new Set<string>();
    for (const e of h.sim.endpoints) {
      const cert = await presented(e.url, h.sim.caPem);
      expect(cert.fingerprint256).toBe(e.fingerprint);
      expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).toBe(true);
      expect(cert.checkHost(e.node)).toBe(e.node);
      fingerprints.add(e.fingerprint);
    }
    expect(fingerprints.size).toBe(4);
    // The main address is the first node: the same certificate as its own endpoint.
    expect(byNode['home']?.fingerprint).toBe(h.sim.fingerprint);
    const listed = rows(await at('agent1', 'GET', '/nodes'));
    for (const n of listed) expect(n.ssl_fingerprint).toBe(byNode[String(n.node)]?.fingerprint);
  });

  it('lists each node ip in /cluster/status and answers as the node it arrived at', async () => {
    for (const e of h.sim.endpoints) {
      const nodes = rows(await at(e.node, 'GET', '/cluster/status')).filter((r) => r.type === 'node');
      for (const n of nodes)
        expect(`https://${String(n.ip)}:${h.sim.port}/api2/json`).toBe(byNode[String(n.name)]?.url);
      expect(nodes.filter((n) => n.local === 1).map((n) => n.name)).toEqual([e.node]);
    }
    const main = rows(await h.api('GET', '/cluster/status')).filter((r) => r.local === 1);
    expect(main.map((n) => n.name)).toEqual(['home']);
    // The control API answers on the main address only.
    expect(
      (await call(h.sim, 'GET', `${new URL(byNode['pve']?.url ?? '').origin}/_sim/ledger`, { token: null })).status,
    ).toBe(404);
  });

  it('an offline node refuses connections, drops open ones, and comes back on node-online', async () => {
    const agent = new HttpsAgent({ keepAlive: true, ca: h.sim.caPem });
    try {
      // A kept-alive connection to pve's endpoint, open when the node goes away.
      // Wrapped in an object: resolving with a bare promise would wait for it.
      const { closed } = await new Promise<{ closed: Promise<void> }>((resolve, reject) => {
        const req = httpsRequest(`${byNode['pve']?.url}/version`, {
          agent,
          headers: { Authorization: `PVEAPIToken=${h.sim.token}` },
        });
        req.on('response', (res) => {
          res.resume();
          const socket = req.socket;
          res.on('end', () => resolve({ closed: new Promise((done) => socket?.once('close', () => done())) }));
        });
        req.on('error', reject);
        req.end();
      });
      await h.control('POST', '/faults', { kind: 'node-offline', node: 'pve' });
      await closed;
    } finally {
      agent.destroy();
    }
    await expect(at('pve', 'GET', '/version')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // A call in flight when the node goes away is cut off, and dies with the node: never carried out.
    await h.control('POST', '/faults', { kind: 'node-online', node: 'pve' });
    await h.control('POST', '/faults', { kind: 'latency', ms: 200 });
    const inFlight = at('pve', 'POST', '/nodes/agent1/lxc/104/status/stop');
    await new Promise((r) => setTimeout(r, 50));
    await h.control('POST', '/faults', { kind: 'node-offline', node: 'pve' });
    await expect(inFlight).rejects.toMatchObject({ code: 'ECONNRESET' });
    await new Promise((r) => setTimeout(r, 300));
    expect(plain(await h.control('GET', '/ledger'))).toEqual([]);
    await h.control('POST', '/faults', { kind: 'latency', ms: 0 });
    // The other endpoints and the main address answer; calls proxied to pve get 595 there, as today.
    expect((await at('agent1', 'GET', '/nodes/pve/qemu')).status).toBe(595);
    expect((await h.api('GET', '/nodes/pve/qemu')).status).toBe(595);
    const status = rows(await at('home', 'GET', '/cluster/status')).find((r) => r.name === 'pve');
    expect(status?.online).toBe(0);
    const listening = plain<Row[]>(await h.control('GET', '/endpoints')).map((e) => [e.node, e.listening]);
    expect(listening).toEqual([
      ['home', true],
      ['pve', false],
      ['agent1', true],
      ['agent', true],
    ]);
    await h.control('POST', '/faults', { kind: 'node-online', node: 'pve' });
    expect((await at('pve', 'GET', '/version')).status).toBe(200);
    // Clearing every fault reopens it too.
    await h.control('POST', '/faults', { kind: 'node-offline', node: 'pve' });
    await expect(at('pve', 'GET', '/version')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await h.control('DELETE', '/faults');
    expect((await at('pve', 'GET', '/version')).status).toBe(200);
  });

  it('wake-on-LAN: a node cannot wake itself, another node wakes it and its endpoint reopens', async () => {
    const self = await at('pve', 'POST', '/nodes/pve/wakeonlan');
    expect(self.status).toBe(500);
    expect(self.reason).toBe("'pve' is local node, cannot wake my self!");
    await h.control('POST', '/faults', { kind: 'node-offline', node: 'home' });
    await expect(at('home', 'GET', '/version')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // The main address stays up (the control API lives there) and still speaks as home.
    expect((await h.api('POST', '/nodes/home/wakeonlan')).reason).toBe("'home' is local node, cannot wake my self!");
    expect(envelope(await at('pve', 'POST', '/nodes/home/wakeonlan')).data).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
    const deadline = Date.now() + 5000;
    let back: WireResponse | undefined;
    while (!back && Date.now() < deadline) {
      back = await at('home', 'GET', '/version').catch(() => undefined);
      if (!back) await new Promise((r) => setTimeout(r, 25));
    }
    expect(back?.status).toBe(200);
  });

  it('shares one cluster: a stop through one endpoint shows through another, and the ledger names the endpoint', async () => {
    const upid = envelope(await at('agent1', 'POST', '/nodes/pve/qemu/100/status/stop')).data as string;
    expect(upid).toMatch(/^UPID:pve:/);
    const deadline = Date.now() + 5000;
    let status: unknown;
    while (status !== 'stopped' && Date.now() < deadline) {
      const res = await at('agent', 'GET', '/nodes/pve/qemu/100/status/current');
      status = (envelope(res).data as Row).status;
      if (status !== 'stopped') await new Promise((r) => setTimeout(r, 20));
    }
    expect(status).toBe('stopped');
    await h.api('POST', '/nodes/pve/qemu/100/status/start');
    const ledger = plain<Row[]>(await h.control('GET', '/ledger'));
    expect(ledger.map((e) => [e.action, e.via, e.endpoint])).toEqual([
      ['stop', 'agent1', byNode['agent1']?.url],
      ['start', 'home', h.sim.url],
    ]);
  });
});

describe('pve-sim node addresses', () => {
  it('takes the base of node addresses as an option and fails clearly when a node address is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.77.12', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(
        startSimulator({ port, host: '127.0.77.1', nodeAddressBase: '127.0.77.10', authFailDelayMs: 10 }),
      ).rejects.toThrow(`cannot listen on 127.0.77.12:${port} for node 'pve': address already in use`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const sim = await startSimulator({ port, host: '127.0.77.1', nodeAddressBase: '127.0.77.10', authFailDelayMs: 10 });
    try {
      expect(sim.endpoints.map((e) => e.url)).toEqual(
        [11, 12, 13, 14].map((last) => `https://127.0.77.${last}:${port}/api2/json`),
      );
      expect((await call(sim, 'GET', `${sim.endpoints[3]?.url}/version`)).status).toBe(200);
    } finally {
      await sim.close();
    }
    await expect(startSimulator({ port: 0, host: '127.0.0.12' })).rejects.toThrow(/node 'pve''s address/);
    await expect(startSimulator({ port: 0, nodeAddressBase: '192.0.2.10' })).rejects.toThrow(/127\.0\.0\.0\/8/);
  });
});
