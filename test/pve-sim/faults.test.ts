import { envelope, plain, row, rows, SimHarness, type Row } from './sim-client';

interface ControlError {
  error: { code: string; message: string };
}

interface SimState {
  nodes: Row[];
  guests: Row[];
}

describe('pve-sim faults and control API', () => {
  let h: SimHarness;

  beforeAll(async () => {
    h = await SimHarness.start({ refreshMs: 60_000 });
  });

  beforeEach(async () => {
    expect((await h.control('POST', '/reset', {})).status).toBe(200);
  });

  afterAll(async () => {
    await h.close();
  });

  const current = async (node: string, vmid: number) =>
    row(await h.api('GET', `/nodes/${node}/qemu/${vmid}/status/current`));
  const until = async (pred: () => Promise<boolean>, what: string) => {
    const deadline = Date.now() + 5000;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('node-offline: proxied calls get 595 with an empty body; resources show the node offline and its guests unknown', async () => {
    expect((await h.control('POST', '/faults', { kind: 'node-offline', node: 'agent1' })).status).toBe(200);
    const res = await h.api('GET', '/nodes/agent1/qemu/103/status/current');
    expect(res.status).toBe(595);
    expect(res.reason).toBe('Errors during connection establishment, proxy handshake: No route to host');
    expect(res.text).toBe('');
    const resources = rows(await h.api('GET', '/cluster/resources'));
    const node = resources.find((e) => e.id === 'node/agent1');
    expect(node?.status).toBe('offline');
    expect(node).not.toHaveProperty('cpu');
    expect(node).not.toHaveProperty('uptime');
    expect(node?.maxmem).toEqual(expect.any(Number));
    const jarvis = resources.find((e) => e.vmid === 103);
    expect(jarvis?.status).toBe('unknown');
    expect(jarvis).not.toHaveProperty('cpu');
    // One node down still leaves 3 of 4 votes.
    expect(rows(await h.api('GET', '/cluster/status'))[0]?.quorate).toBe(1);
    // wakeonlan is not proxied, so it still answers; this node is unreachable, not powered off.
    expect(envelope(await h.api('POST', '/nodes/agent1/wakeonlan')).data).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
    expect((await h.control('POST', '/faults', { kind: 'node-online', node: 'agent1' })).status).toBe(200);
    expect((await h.api('GET', '/nodes/agent1/qemu/103/status/current')).status).toBe(200);
  });

  it('losing two nodes loses quorum: starts fail with 500, reads keep working', async () => {
    await h.control('POST', '/faults', { kind: 'node-offline', node: 'agent' });
    await h.control('POST', '/faults', { kind: 'node-offline', node: 'agent1' });
    expect(rows(await h.api('GET', '/cluster/status'))[0]?.quorate).toBe(0);
    const start = await h.api('POST', '/nodes/pve/qemu/107/status/start');
    expect(start.status).toBe(500);
    expect(start.reason).toBe('cluster not ready - no quorum?');
    expect((await h.api('GET', '/nodes/pve/qemu')).status).toBe(200);
    expect(plain(await h.control('GET', '/ledger'))).toEqual([]);
  });

  it('lose-quorum refuses starts with cluster not ready and leaves reads working', async () => {
    await h.control('POST', '/faults', { kind: 'lose-quorum' });
    const start = await h.api('POST', '/nodes/pve/qemu/107/status/start');
    expect(start.status).toBe(500);
    expect(start.json).toEqual({ data: null, message: 'cluster not ready - no quorum?\n' });
    const ha = rows(await h.api('GET', '/cluster/ha/status/current'));
    expect(ha[0]).toMatchObject({ id: 'quorum', quorate: 0, status: "No quorum on node 'home'!" });
    expect(plain(await h.control('GET', '/faults'))).toEqual([{ kind: 'lose-quorum' }]);
    expect((await h.control('DELETE', '/faults')).status).toBe(200);
    expect((await h.api('POST', '/nodes/pve/qemu/107/status/start')).status).toBe(200);
  });

  it('errors fault fails that fraction of calls with 500 simulated failure, repeatably for a seed', async () => {
    const run = async () => {
      await h.control('POST', '/reset', { seed: 7 });
      await h.control('POST', '/faults', { kind: 'errors', rate: 0.5 });
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await h.api('GET', '/version')).status);
      return statuses;
    };
    const first = await run();
    const failures = first.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(5);
    expect(failures).toBeLessThan(25);
    expect(await run()).toEqual(first);
    let failed = await h.api('GET', '/version');
    while (failed.status !== 500) failed = await h.api('GET', '/version');
    expect(failed.reason).toBe('simulated failure');
    expect(failed.json).toEqual({ data: null, message: 'simulated failure\n' });
  });

  it('crash-guest stops a running guest with no task; the HA guest is restarted by its LRM', async () => {
    await h.control('POST', '/faults', { kind: 'crash-guest', vmid: 100 });
    expect((await current('pve', 100)).status).toBe('stopped');
    await h.control('POST', '/faults', { kind: 'crash-guest', vmid: 102 });
    expect((await current('pve', 102)).status).toBe('stopped');
    await h.waitGuest('pve', 'qemu', 102, 'running');
    const conflict = await h.control('POST', '/faults', { kind: 'crash-guest', vmid: 107 });
    expect(conflict.status).toBe(409);
    expect(plain<ControlError>(conflict).error.code).toBe('GUEST_NOT_RUNNING');
  });

  it('fill-disk changes storage usage and clearing faults restores it', async () => {
    const before = row(await h.api('GET', '/nodes/home/storage/local-lvm/status'));
    await h.control('POST', '/faults', { kind: 'fill-disk', node: 'home', storage: 'local-lvm', percent: 98 });
    const full = row(await h.api('GET', '/nodes/home/storage/local-lvm/status'));
    expect(Number(full.used) / Number(full.total)).toBeCloseTo(0.98, 3);
    const resources = rows(await h.api('GET', '/cluster/resources?type=storage'));
    expect(resources.find((e) => e.id === 'storage/home/local-lvm')?.disk).toBe(full.used);
    await h.control('DELETE', '/faults');
    expect(row(await h.api('GET', '/nodes/home/storage/local-lvm/status')).used).toBe(before.used);
  });

  it('validates control bodies with 400 {error:{code,message}}', async () => {
    const bodies: unknown[] = [
      { kind: 'meteor' },
      { kind: 'errors', rate: 2 },
      { kind: 'crash-guest' },
      { kind: 'latency', ms: 5, extra: 1 },
      [1],
    ];
    for (const body of bodies) {
      const res = await h.control('POST', '/faults', body);
      expect(res.status).toBe(400);
      expect(plain<ControlError>(res).error).toEqual({ code: expect.any(String), message: expect.any(String) });
    }
    expect((await h.control('POST', '/faults', { kind: 'node-offline', node: 'nope' })).status).toBe(400);
    expect((await h.control('PUT', '/config', { taskMs: -1 })).status).toBe(400);
    expect((await h.control('POST', '/reset', { seed: 'x' })).status).toBe(400);
    expect((await h.control('GET', '/nothing')).status).toBe(404);
  });

  it('reset brings back the default scenario and clears ledger and faults', async () => {
    await h.control('POST', '/faults', { kind: 'node-offline', node: 'pve' });
    await h.control('POST', '/faults', { kind: 'latency', ms: 5 });
    await h.api('POST', '/nodes/home/lxc/108/status/stop');
    expect(plain(await h.control('GET', '/ledger'))).toHaveLength(1);
    expect((await h.control('POST', '/reset', {})).status).toBe(200);
    expect(plain(await h.control('GET', '/ledger'))).toEqual([]);
    expect(plain(await h.control('GET', '/faults'))).toEqual([]);
    const state = plain<SimState>(await h.control('GET', '/state'));
    expect(state.nodes.every((n) => n.online === true)).toBe(true);
    expect(state.guests.find((g) => g.vmid === 108)?.status).toBe('running');
    const vm100 = state.guests.find((g) => g.vmid === 100);
    expect(vm100).toMatchObject({ type: 'qemu', status: 'running', template: false, flapping: false });
    expect(vm100).not.toHaveProperty('ha');
    expect(vm100).not.toHaveProperty('lock');
  });

  it('the same seed gives the same cluster, a different seed a different one', async () => {
    const resourcesFor = async (seed: number) => {
      await h.control('POST', '/reset', { seed });
      return rows(await h.api('GET', '/cluster/resources'));
    };
    const a = await resourcesFor(1234);
    const other = await SimHarness.start({ seed: 1234, refreshMs: 60_000 });
    try {
      expect(rows(await other.api('GET', '/cluster/resources'))).toEqual(a);
    } finally {
      await other.close();
    }
    const c = await resourcesFor(99);
    expect(c).not.toEqual(a);
    expect(c.map((e) => e.id)).toEqual(a.map((e) => e.id));
  });

  it('a node reboot returns null, takes the node away, then brings it back with its onboot guests', async () => {
    await h.control('PUT', '/config', { taskMs: 30 });
    const res = await h.api('POST', '/nodes/agent/status', { body: { command: 'reboot' } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ data: null });
    await until(async () => (await h.api('GET', '/nodes/agent/status')).status === 595, 'agent to go down');
    await until(async () => (await h.api('GET', '/nodes/agent/status')).status === 200, 'agent to come back');
    await h.waitGuest('agent', 'lxc', 106, 'running');
    expect(plain<Row[]>(await h.control('GET', '/ledger'))[0]).toMatchObject({
      path: '/nodes/agent/status',
      action: 'reboot',
      node: 'agent',
    });
    await h.control('PUT', '/config', { taskMs: 40 });
  });

  it('flapping-guest crashes the guest again after every start', async () => {
    await h.control('POST', '/faults', { kind: 'flapping-guest', vmid: 104 });
    await h.waitGuest('agent1', 'lxc', 104, 'stopped');
    const upid = await h.upid('/nodes/agent1/lxc/104/status/start');
    expect((await h.waitTask('agent1', upid)).exitstatus).toBe('OK');
    await h.waitGuest('agent1', 'lxc', 104, 'stopped');
    expect(plain(await h.control('GET', '/faults'))).toEqual([{ kind: 'flapping-guest', vmid: 104 }]);
  });

  it('latency delays every PVE call but not the control API', async () => {
    await h.control('POST', '/faults', { kind: 'latency', ms: 200 });
    let t = Date.now();
    expect((await h.api('GET', '/version')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(190);
    t = Date.now();
    await h.control('GET', '/faults');
    expect(Date.now() - t).toBeLessThan(150);
  });

  it('a node shut down over the API stays down until woken on LAN', async () => {
    await h.control('PUT', '/config', { taskMs: 20 });
    expect((await h.api('POST', '/nodes/pve/status', { body: { command: 'shutdown' } })).json).toEqual({ data: null });
    await until(async () => (await h.api('GET', '/nodes/pve/status')).status === 595, 'pve to go down');
    const pve = plain<SimState>(await h.control('GET', '/state')).nodes.find((n) => n.name === 'pve');
    expect(pve).toMatchObject({ powered: false, online: false });
    expect(rows(await h.api('GET', '/cluster/resources?type=vm')).find((e) => e.vmid === 100)?.status).toBe('unknown');
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.api('GET', '/nodes/pve/status')).status).toBe(595);
    expect((await h.api('POST', '/nodes/pve/wakeonlan')).status).toBe(200);
    await h.waitGuest('pve', 'qemu', 100, 'running');
    await h.control('PUT', '/config', { taskMs: 40 });
  });

  it('PUT /config changes task duration and accepts null to restore realistic timing', async () => {
    expect(plain(await h.control('PUT', '/config', { taskMs: 5, refreshMs: 0 }))).toEqual({
      taskMs: 5,
      refreshMs: 0,
      sysAudit: true,
    });
    expect(plain(await h.control('PUT', '/config', { taskMs: null }))).toEqual({
      taskMs: null,
      refreshMs: 0,
      sysAudit: true,
    });
    expect((await h.control('PUT', '/config', { taskMs: 40, refreshMs: 60_000 })).status).toBe(200);
  });
});
