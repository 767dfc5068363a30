import { plain, row, rows, SimHarness, UPID_DECODE, type Row } from './sim-client';

/**
 * Power actions made outside Jarvis (POST /_sim/actions, as if from Proxmox's UI), the cluster-wide
 * task list and the token's privileges, on the wire as PVE answers them.
 */
describe('pve-sim: actions by other Proxmox users, /cluster/tasks and /access/permissions', () => {
  let h: SimHarness;

  beforeAll(async () => {
    h = await SimHarness.start({ taskMs: 60 });
  });
  beforeEach(async () => {
    expect((await h.control('POST', '/reset', {})).status).toBe(200);
    expect((await h.control('PUT', '/config', { sysAudit: true })).status).toBe(200);
  });
  afterAll(async () => {
    await h.close();
  });

  const clusterTasks = async (): Promise<Row[]> => rows(await h.api('GET', '/cluster/tasks'));

  it('a stop as root@pam is a real task with that user in its UPID, in both task lists and the ledger', async () => {
    const res = await h.control('POST', '/actions', { vmid: 100, action: 'stop' });
    expect(res.status).toBe(200);
    const { upid, user } = plain<{ upid: string; user: string }>(res);
    expect(user).toBe('root@pam');
    const m = UPID_DECODE.exec(upid);
    expect(m?.[1]).toBe('pve');
    expect(m?.[6]).toBe('qmstop');
    expect(m?.[7]).toBe('100');
    expect(m?.[8]).toBe('root@pam');

    const done = await h.waitTask('pve', upid);
    expect(done).toMatchObject({ exitstatus: 'OK', user: 'root@pam' });
    expect(done).not.toHaveProperty('tokenid');
    await h.waitGuest('pve', 'qemu', 100, 'stopped');

    const nodeList = rows(await h.api('GET', '/nodes/pve/tasks?vmid=100&typefilter=qmstop'));
    expect(nodeList.map((t) => t['upid'])).toContain(upid);

    const entry = (await clusterTasks()).find((t) => t['upid'] === upid);
    expect(entry).toMatchObject({
      node: 'pve',
      type: 'qmstop',
      id: '100',
      user: 'root@pam',
      status: 'OK',
      saved: '1',
    });
    for (const key of ['pid', 'pstart', 'starttime', 'endtime']) expect(typeof entry?.[key]).toBe('number');

    const ledger = plain<Array<Record<string, unknown>>>(await h.control('GET', '/ledger'));
    expect(ledger.filter((e) => e['vmid'] === 100)).toEqual([
      expect.objectContaining({ action: 'stop', upid, user: 'root@pam', node: 'pve' }),
    ]);
  });

  it('names another user when asked, splits a token user as PVE does, and refuses bad input', async () => {
    const { upid } = plain<{ upid: string }>(
      await h.control('POST', '/actions', { vmid: 101, action: 'shutdown', user: 'alice@pve!ui' }),
    );
    expect(UPID_DECODE.exec(upid)?.[8]).toBe('alice@pve!ui');
    expect((await clusterTasks()).find((t) => t['upid'] === upid)).toMatchObject({
      type: 'vzshutdown',
      user: 'alice@pve',
      tokenid: 'ui',
    });

    const bad = [
      [{ vmid: 100, action: 'destroy' }, 400],
      [{ vmid: 100, action: 'stop', user: 'root' }, 400],
      [{ vmid: 100, action: 'stop', user: 'a@pam;rm -rf /' }, 400],
      [{ vmid: 100, action: 'stop', extra: 1 }, 400],
      [{ vmid: 4242, action: 'stop' }, 404],
      // CT 109 is not running: PVE refuses before any task exists.
      [{ vmid: 109, action: 'stop' }, 409],
    ] as const;
    for (const [body, status] of bad) expect((await h.control('POST', '/actions', body)).status).toBe(status);
  });

  it('/cluster/tasks holds every node in one answer, newest first, running tasks without endtime or status', async () => {
    const token = await h.upid('/nodes/agent1/qemu/110/status/stop');
    const other = plain<{ upid: string }>(await h.control('POST', '/actions', { vmid: 104, action: 'stop' })).upid;
    const all = await clusterTasks();
    const nodes = new Set(all.map((t) => t['node']));
    expect(nodes.size).toBeGreaterThan(1);
    const starts = all.map((t) => t['starttime'] as number);
    expect(starts).toEqual([...starts].sort((a, b) => b - a));
    const running = all.find((t) => t['upid'] === token);
    expect(running).toMatchObject({ user: 'root@pam', tokenid: 'jarvis', saved: '0' });
    expect(running).not.toHaveProperty('endtime');
    expect(running).not.toHaveProperty('status');
    expect(all.some((t) => t['upid'] === other)).toBe(true);
  });

  it('without Sys.Audit on /, other users’ tasks are left out silently and /access/permissions says why', async () => {
    expect(row(await h.api('GET', '/access/permissions'))).toMatchObject({ '/': { 'Sys.Audit': 1 } });
    const mine = await h.upid('/nodes/agent1/qemu/110/status/stop');
    const theirs = plain<{ upid: string }>(await h.control('POST', '/actions', { vmid: 100, action: 'stop' })).upid;

    expect(plain(await h.control('PUT', '/config', { sysAudit: false }))).toMatchObject({ sysAudit: false });
    const perms = row(await h.api('GET', '/access/permissions'));
    expect(perms['/']).toMatchObject({ 'VM.PowerMgmt': 1 });
    expect(perms['/']).not.toHaveProperty('Sys.Audit');
    const visible = (await clusterTasks()).map((t) => t['upid']);
    expect(visible).toContain(mine);
    expect(visible).not.toContain(theirs);
    expect((await h.control('PUT', '/config', { sysAudit: 'no' })).status).toBe(400);
  });
});
