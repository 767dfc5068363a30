import { envelope, plain, row, rows, SimHarness, UPID_DECODE, type Row } from './sim-client';

describe('pve-sim power actions and tasks', () => {
  let h: SimHarness;

  beforeAll(async () => {
    // Long enough that a client can see a task running, short enough for a test.
    h = await SimHarness.start({ taskMs: 250 });
  });

  beforeEach(async () => {
    expect((await h.control('POST', '/reset', {})).status).toBe(200);
  });

  afterAll(async () => {
    await h.close();
  });

  const log = async (node: string, upid: string, query = '') =>
    envelope(await h.api('GET', `/nodes/${node}/tasks/${encodeURIComponent(upid)}/log${query}`)) as {
      data: Row[];
      total: number;
    };

  it('stops a VM through a real-format UPID: running, then stopped with OK, log ending TASK OK, one ledger entry', async () => {
    const upid = await h.upid('/nodes/pve/qemu/100/status/stop');
    const m = UPID_DECODE.exec(upid);
    expect(m).not.toBeNull();
    expect(m?.[1]).toBe('pve');
    expect(m?.[6]).toBe('qmstop');
    expect(m?.[7]).toBe('100');
    expect(m?.[8]).toBe('root@pam!jarvis');
    expect(parseInt(m?.[5] ?? '0', 16)).toBeGreaterThan(Date.now() / 1000 - 60);

    const first = await h.taskStatus('pve', upid);
    expect(first).toMatchObject({
      status: 'running',
      type: 'qmstop',
      id: '100',
      user: 'root@pam',
      tokenid: 'jarvis',
      node: 'pve',
      upid,
    });
    expect(first).not.toHaveProperty('exitstatus');
    expect(first).not.toHaveProperty('endtime');

    const done = await h.waitTask('pve', upid);
    expect(done.exitstatus).toBe('OK');
    expect(done).not.toHaveProperty('endtime');

    const lines = await log('pve', upid, '?start=0&limit=50');
    expect(lines.total).toBe(lines.data.length);
    expect(lines.data[0]?.n).toBe(1);
    expect(lines.data.at(-1)?.t).toBe('TASK OK');

    expect(row(await h.api('GET', '/nodes/pve/qemu/100/status/current'))).toMatchObject({
      status: 'stopped',
      uptime: 0,
    });

    const ledger = plain<Row[]>(await h.control('GET', '/ledger'));
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      seq: 1,
      method: 'POST',
      path: '/nodes/pve/qemu/100/status/stop',
      node: 'pve',
      vmid: 100,
      action: 'stop',
      upid,
    });
    expect(new Date(String(ledger[0]?.at)).getTime()).toBe(ledger[0]?.atMs);
  });

  it('refuses an LXC start on a running CT synchronously, with the message as reason phrase, and leaves no ledger entry', async () => {
    const res = await h.api('POST', '/nodes/home/lxc/101/status/start');
    expect(res.status).toBe(500);
    expect(res.reason).toBe('CT 101 already running');
    expect(res.json).toEqual({ data: null, message: 'CT 101 already running\n' });
    expect(plain(await h.control('GET', '/ledger'))).toEqual([]);
  });

  it('accepts a start of the backup-locked VM but fails the task with VM is locked (backup)', async () => {
    const upid = await h.upid('/nodes/home/qemu/105/status/start');
    expect((await h.waitTask('home', upid)).exitstatus).toBe('VM is locked (backup)');
    expect((await log('home', upid)).data.at(-1)?.t).toBe('TASK ERROR: VM is locked (backup)');
    expect(row(await h.api('GET', '/nodes/home/qemu/105/status/current'))).toMatchObject({
      status: 'stopped',
      lock: 'backup',
    });
    expect(plain<Row[]>(await h.control('GET', '/ledger'))[0]).toMatchObject({ vmid: 105, action: 'start', upid });
  });

  it('fails a QEMU start of a running VM inside the task, not synchronously', async () => {
    const upid = await h.upid('/nodes/pve/qemu/100/status/start');
    expect((await h.waitTask('pve', upid)).exitstatus).toBe('VM 100 already running');
  });

  it('redirects a stop of the HA guest to an hastop task that ends OK before the VM actually stops', async () => {
    const upid = await h.upid('/nodes/pve/qemu/102/status/stop');
    expect(upid).toMatch(/:hastop:102:root@pam!jarvis:$/);
    expect((await h.waitTask('pve', upid)).exitstatus).toBe('OK');
    // The hastop task is already over and the VM still runs: the LRM acts seconds later.
    const still = row(await h.api('GET', '/nodes/pve/qemu/102/status/current'));
    expect(still.status).toBe('running');
    expect(still.ha).toMatchObject({ managed: 1, state: 'stopped' });
    await h.waitGuest('pve', 'qemu', 102, 'stopped');
    const tasks = rows(await h.api('GET', '/nodes/pve/tasks?vmid=102&typefilter=qmstop'));
    expect(tasks[0]).toMatchObject({ type: 'qmstop', id: '102', user: 'root@pam', status: 'OK' });
    const ha = rows(await h.api('GET', '/cluster/ha/status/current'));
    expect(ha.find((e) => e.id === 'service:vm:102')).toMatchObject({ request_state: 'stopped', crm_state: 'stopped' });
  });

  it('lists tasks with vmid, typefilter, since and source filters, endtime only on finished ones', async () => {
    const since = Math.floor(Date.now() / 1000);
    const upid = await h.upid('/nodes/pve/qemu/111/status/shutdown');
    const active = rows(await h.api('GET', '/nodes/pve/tasks?source=active&vmid=111'));
    expect(active).toHaveLength(1);
    expect(active[0]).toMatchObject({ upid, status: 'RUNNING', type: 'qmshutdown' });
    expect(active[0]).not.toHaveProperty('endtime');
    await h.waitTask('pve', upid);
    const archive = envelope(await h.api('GET', `/nodes/pve/tasks?since=${since}&typefilter=qmshutdown`)) as {
      data: Row[];
      total: number;
    };
    expect(archive.data).toHaveLength(1);
    expect(archive.total).toBe(1);
    expect(archive.data[0]).toMatchObject({
      upid,
      node: 'pve',
      id: '111',
      user: 'root@pam',
      tokenid: 'jarvis',
      status: 'OK',
    });
    expect(typeof archive.data[0]?.endtime).toBe('number');
    expect(rows(await h.api('GET', `/nodes/pve/tasks?since=${since}&vmid=100`))).toEqual([]);
    const history = rows(await h.api('GET', '/nodes/home/tasks?typefilter=vzdump&errors=1'));
    expect(history.map((t) => t.status)).toContain('unexpected status');
  });

  it('serializes actions on one guest through its config lock', async () => {
    const a = await h.upid('/nodes/agent1/qemu/110/status/suspend');
    const b = await h.upid('/nodes/agent1/qemu/110/status/resume');
    expect((await h.taskStatus('agent1', b)).status).toBe('running');
    await h.waitTask('agent1', a);
    expect(row(await h.api('GET', '/nodes/agent1/qemu/110/status/current'))).toMatchObject({
      status: 'running',
      qmpstatus: 'paused',
    });
    expect((await h.waitTask('agent1', b)).exitstatus).toBe('OK');
    expect(row(await h.api('GET', '/nodes/agent1/qemu/110/status/current')).qmpstatus).toBe('running');
  });

  it('creates a snapshot through a qmsnapshot task and lists current last', async () => {
    const upid = await h.upid('/nodes/pve/qemu/100/snapshot', {
      body: { snapname: 'jarvis-test', description: 'from a test' },
    });
    expect(upid).toMatch(/:qmsnapshot:100:/);
    expect((await h.waitTask('pve', upid)).exitstatus).toBe('OK');
    const list = rows(await h.api('GET', '/nodes/pve/qemu/100/snapshot'));
    expect(list.at(-1)).toMatchObject({
      name: 'current',
      parent: 'jarvis-test',
      running: 1,
      description: 'You are here!',
    });
    expect(list.find((s) => s.name === 'jarvis-test')).toMatchObject({ parent: 'after-upgrade', vmstate: 0 });
  });
});
