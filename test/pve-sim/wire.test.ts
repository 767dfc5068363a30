import { X509Certificate } from 'node:crypto';
import { connect as tlsConnect } from 'node:tls';
import { Agent, request } from 'undici';
import { envelope, paramErrors, row, rows, SimHarness, UPID_DECODE } from './sim-client';

const MAC = /^([0-9A-F]{2}:){5}[0-9A-F]{2}$/;

/** The SHA-256 of the certificate a TLS server presents, after verifying it against the CA. */
function presentedFingerprint(url: string, ca: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: hostname, port: Number(port), ca }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe('pve-sim wire protocol', () => {
  let h: SimHarness;

  beforeAll(async () => {
    h = await SimHarness.start({ authFailDelayMs: 150 });
  });

  afterAll(async () => {
    await h.close();
  });

  it('serves the {data} envelope with pve-http-server headers, trusting only the simulator cert', async () => {
    const agent = new Agent({ connect: { ca: h.sim.certPem } });
    try {
      const res = await request(`${h.sim.url}/version`, {
        dispatcher: agent,
        headers: { authorization: `PVEAPIToken=${h.sim.token}` },
      });
      const body = await res.body.json();
      expect(res.statusCode).toBe(200);
      expect(body).toEqual({ data: { version: '8.4.14', release: '8.4', repoid: 'b502d23c55afcba1' } });
      expect(res.headers['server']).toBe('pve-api-daemon/3.0');
      expect(res.headers['cache-control']).toBe('max-age=0');
      expect(res.headers['pragma']).toBe('no-cache');
      expect(res.headers['content-type']).toBe('application/json;charset=UTF-8');
      expect(res.headers['expires']).toBe(res.headers['date']);
    } finally {
      await agent.close();
    }
  });

  it('reports the certificate fingerprint the way /nodes does for the local node', async () => {
    // The main address presents the first node's certificate, signed by the cluster CA (certPem).
    expect(await presentedFingerprint(h.sim.url, h.sim.certPem)).toBe(h.sim.fingerprint);
    expect(new X509Certificate(h.sim.certPem).ca).toBe(true);
    expect(h.sim.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const home = rows(await h.api('GET', '/nodes')).find((n) => n.node === 'home');
    expect(home?.ssl_fingerprint).toBe(h.sim.fingerprint);
  });

  it('gzips bodies of 1024 bytes and more when the client accepts it', async () => {
    const zipped = await h.api('GET', '/cluster/resources', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    const small = await h.api('GET', '/version', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('answers a bad token with 401, no body, after the auth delay', async () => {
    const started = Date.now();
    const res = await h.api('GET', '/version', { token: 'root@pam!jarvis=00000000-0000-0000-0000-000000000000' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(401);
    expect(res.reason).toBe('authentication failure');
    expect(res.text).toBe('');
    expect(res.headers['connection']).toBe('close');
    const none = await h.api('GET', '/version', { token: null });
    expect(none.status).toBe(401);
    expect(none.reason).toBe('No ticket');
    expect(none.text).toBe('');
  });

  it('accepts the space form and a URI-escaped token', async () => {
    expect((await h.api('GET', '/version', { authHeader: `PVEAPIToken ${h.sim.token}` })).status).toBe(200);
    expect(
      (await h.api('GET', '/version', { authHeader: `PVEAPIToken=${encodeURIComponent(h.sim.token)}` })).status,
    ).toBe(200);
  });

  it('puts the error in the reason phrase and an 8.3+ message body, with Connection: close', async () => {
    const res = await h.api('GET', '/nodes/pve/qemu/103/status/current');
    expect(res.status).toBe(500);
    expect(res.reason).toBe("Configuration file 'nodes/pve/qemu-server/103.conf' does not exist");
    expect(res.json).toEqual({
      data: null,
      message: "Configuration file 'nodes/pve/qemu-server/103.conf' does not exist\n",
    });
    expect(res.headers['connection']).toBe('close');
    const right = await h.api('GET', '/nodes/agent1/qemu/103/status/current');
    expect(right.status).toBe(200);
    expect(row(right)).toMatchObject({
      vmid: 103,
      name: 'jarvis',
      status: 'running',
      qmpstatus: 'running',
      ha: { managed: 0 },
    });
  });

  it('answers unknown paths with 501 and HEAD with 501', async () => {
    const res = await h.api('GET', '/x');
    expect(res.status).toBe(501);
    expect(res.reason).toBe("Method 'GET /x' not implemented");
    expect((await h.api('HEAD', '/version')).status).toBe(501);
  });

  it("rejects boolean parameters that are not exactly '1' or '0'", async () => {
    const res = await h.api('POST', '/nodes/pve/qemu/100/status/shutdown', { body: { forceStop: 'true' } });
    expect(res.status).toBe(400);
    expect(res.reason).toBe('Parameter verification failed.');
    expect(paramErrors(res)).toEqual({ forceStop: "type check ('boolean') failed - got 'true'" });
    const unknown = await h.api('GET', '/cluster/resources?type=vms');
    expect(unknown.status).toBe(400);
    expect(paramErrors(unknown).type).toMatch(/does not have a value in the enumeration/);
  });

  it('filters /cluster/resources by type; type=vm yields qemu and lxc entries only', async () => {
    const vms = rows(await h.api('GET', '/cluster/resources?type=vm'));
    expect(new Set(vms.map((e) => e.type))).toEqual(new Set(['qemu', 'lxc']));
    const first = vms.find((e) => e.status === 'running');
    expect(first).toMatchObject({ vmid: 100, type: 'qemu', template: 0 });
    expect(first).not.toHaveProperty('lock');
    expect(first).not.toHaveProperty('hastate');
    expect(vms.find((e) => e.vmid === 103)).toMatchObject({
      node: 'agent1',
      name: 'jarvis',
      status: 'running',
      tags: 'jarvis',
    });
    expect(vms.find((e) => e.vmid === 105)).toMatchObject({ status: 'stopped', lock: 'backup' });
    expect(vms.find((e) => e.vmid === 102)).toMatchObject({ hastate: 'started' });
    const nodes = rows(await h.api('GET', '/cluster/resources?type=node'));
    expect(nodes.every((e) => e.type === 'node')).toBe(true);
    expect(nodes).toHaveLength(4);
    const storage = rows(await h.api('GET', '/cluster/resources?type=storage'));
    expect(storage.every((e) => e.type === 'storage' && (e.shared === 0 || e.shared === 1))).toBe(true);
  });

  it('lists the cluster entry first, four loopback nodes and quorum as 0/1', async () => {
    const [cluster, ...nodes] = rows(await h.api('GET', '/cluster/status'));
    expect(cluster).toEqual({ type: 'cluster', id: 'cluster', name: 'homelab', nodes: 4, quorate: 1, version: 4 });
    expect(nodes.map((n) => n.name).sort()).toEqual(['agent', 'agent1', 'home', 'pve']);
    for (const n of nodes) expect(n.ip).toMatch(/^127\.0\.0\.\d+$/);
  });

  it('keeps per-endpoint quirks: string LXC vmids on the 8.0 node, template only when 1, string loadavg', async () => {
    const legacy = rows(await h.api('GET', '/nodes/agent/lxc'));
    expect(legacy.map((e) => typeof e.vmid)).toContain('string');
    expect(rows(await h.api('GET', '/nodes/home/lxc')).every((e) => typeof e.vmid === 'number')).toBe(true);
    const qemu = rows(await h.api('GET', '/nodes/pve/qemu'));
    expect(qemu.find((e) => e.vmid === 9000)?.template).toBe(1);
    expect(qemu.find((e) => e.vmid === 100)).not.toHaveProperty('template');
    const status = row(await h.api('GET', '/nodes/home/status'));
    expect(status.loadavg).toEqual([expect.any(String), expect.any(String), expect.any(String)]);
    expect(status.pveversion).toBe('pve-manager/8.4.14/b502d23c55afcba1');
  });

  it('returns 70 RRD rows, requires timeframe and drops keys for stopped guests', async () => {
    const missing = await h.api('GET', '/nodes/pve/rrddata');
    expect(missing.status).toBe(400);
    expect(paramErrors(missing)).toEqual({ timeframe: 'property is missing and it is not optional' });
    const data = rows(await h.api('GET', '/nodes/pve/qemu/107/rrddata?timeframe=hour'));
    expect(data).toHaveLength(70);
    const full = data.filter((r) => Object.keys(r).length > 1);
    expect(full.length).toBeGreaterThan(50);
    for (const r of full) expect(Object.keys(r).sort()).toEqual(['disk', 'maxcpu', 'maxdisk', 'maxmem', 'time']);
  });

  it('validates task UPIDs: malformed → 400 errors.upid, unknown → no such task', async () => {
    const bad = await h.api('GET', '/nodes/pve/tasks/nonsense/status');
    expect(bad.status).toBe(400);
    expect(paramErrors(bad)).toEqual({ upid: 'unable to parse worker upid' });
    const ghost = 'UPID:pve:00001234:00005678:6A000000:qmstart:100:root@pam!jarvis:';
    expect(ghost).toMatch(UPID_DECODE);
    const unknown = await h.api('GET', `/nodes/pve/tasks/${encodeURIComponent(ghost)}/status`);
    expect(unknown.status).toBe(400);
    expect(paramErrors(unknown)).toEqual({ upid: 'no such task' });
  });

  it('serves node storage lists and refuses an unknown storage with errors.storage', async () => {
    const list = rows(await h.api('GET', '/nodes/home/storage'));
    expect(list.map((s) => s.storage).sort()).toEqual(['local', 'local-lvm', 'nas']);
    for (const s of list) {
      expect(s.used_fraction).toBeCloseTo(Number(s.used) / Number(s.total), 10);
      expect([0, 1]).toContain(s.active);
    }
    expect(rows(await h.api('GET', '/nodes/home/storage?content=rootdir')).map((s) => s.storage)).toEqual([
      'local-lvm',
    ]);
    const one = row(await h.api('GET', '/nodes/home/storage/local/status'));
    expect(one).not.toHaveProperty('storage');
    expect(one).not.toHaveProperty('used_fraction');
    const missing = await h.api('GET', '/nodes/home/storage/ghost/status');
    expect(missing.status).toBe(400);
    expect(paramErrors(missing)).toEqual({ storage: 'No such storage.' });
  });

  it('takes JSON bodies, where true passes the boolean check', async () => {
    const upid = await h.upid('/nodes/pve/qemu/100/snapshot', {
      body: JSON.stringify({ snapname: 'json-body', vmstate: true }),
    });
    expect(upid).toMatch(/:qmsnapshot:100:root@pam!jarvis:$/);
    const bad = await h.api('POST', '/nodes/pve/qemu/100/snapshot', {
      body: JSON.stringify({ snapname: 'x', vmstate: 'yes' }),
    });
    expect(bad.status).toBe(400);
    expect(paramErrors(bad).vmstate).toBe("type check ('boolean') failed - got 'yes'");
  });

  it('refuses skiplock from a token and unknown parameters, as PVE does', async () => {
    const res = await h.api('POST', '/nodes/pve/qemu/100/status/stop', { body: { skiplock: '1' } });
    expect(res.status).toBe(400);
    expect(paramErrors(res)).toEqual({ skiplock: 'Only root may use this option.' });
    const extra = await h.api('POST', '/nodes/pve/qemu/100/status/stop', { body: { force: '1' } });
    expect(extra.status).toBe(400);
    expect(paramErrors(extra).force).toMatch(/not defined in schema/);
  });

  it('answers wakeonlan with the MAC, or the three documented errors', async () => {
    expect(envelope(await h.api('POST', '/nodes/pve/wakeonlan')).data).toMatch(MAC);
    const self = await h.api('POST', '/nodes/home/wakeonlan');
    expect(self.status).toBe(500);
    expect(self.reason).toBe("'home' is local node, cannot wake my self!");
    expect((await h.api('POST', '/nodes/ghost/wakeonlan')).reason).toBe("no such cluster node 'ghost'");
    expect((await h.api('POST', '/nodes/agent/wakeonlan')).reason).toBe(
      "No wake on LAN MAC address defined for 'agent'!",
    );
  });

  it('lists the HA resource with its digest', async () => {
    const res = rows(await h.api('GET', '/cluster/ha/resources'));
    expect(res).toHaveLength(1);
    expect(res[0]).toMatchObject({ sid: 'vm:102', type: 'vm', state: 'started', max_restart: 1, max_relocate: 1 });
    expect(res[0]?.digest).toMatch(/^[0-9a-f]{40}$/);
    expect(rows(await h.api('GET', '/cluster/ha/resources?type=ct'))).toEqual([]);
  });
});
