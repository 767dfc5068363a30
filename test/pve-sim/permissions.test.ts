import { AUDITOR_PRIVILEGES, DEFAULT_RESTRICTED_TOKEN } from '../../apps/pve-sim/src/index';
import { plain, row, rows, SimHarness, type WireResponse } from './sim-client';

/**
 * The restricted token: every call checked as PVE checks it (403 with PVE's status line and body),
 * lists filtered silently, /access/permissions answering its effective privileges; the main token
 * unchanged.
 */
describe('pve-sim restricted token', () => {
  let h: SimHarness;
  const as = (method: string, path: string, body?: Record<string, string>): Promise<WireResponse> =>
    h.api(method, path, { token: h.sim.restrictedToken, ...(body ? { body } : {}) });
  const preset = async (name: string): Promise<void> => {
    expect((await h.control('PUT', '/permissions', { preset: name })).status).toBe(200);
  };
  const vmids = async (path: string): Promise<number[]> =>
    rows(await as('GET', path))
      .filter((r) => r['type'] === 'qemu' || r['type'] === 'lxc' || path.includes('/qemu'))
      .map((r) => Number(r['vmid']));

  beforeAll(async () => {
    h = await SimHarness.start();
  });
  afterAll(async () => {
    await h.close();
  });
  afterEach(async () => {
    await h.control('POST', '/reset');
  });

  it('is a second token, defaulting to PVEAuditor on /', async () => {
    expect(h.sim.restrictedToken).toBe(DEFAULT_RESTRICTED_TOKEN);
    expect(h.sim.restrictedToken).not.toBe(h.sim.token);
    expect(plain(await h.control('GET', '/permissions'))).toEqual({ acl: { '/': [...AUDITOR_PRIVILEGES] } });
    const perms = row(await as('GET', '/access/permissions'));
    expect(perms['/']).toEqual(Object.fromEntries([...AUDITOR_PRIVILEGES].map((p) => [p, 1])));
    expect(perms['/vms']).toEqual(perms['/']);
  });

  it('refuses a power action with PVE 403 status line and body, and records nothing', async () => {
    const res = await as('POST', '/nodes/pve/qemu/100/status/stop');
    expect(res.status).toBe(403);
    expect(res.reason).toBe('Permission check failed (/vms/100, VM.PowerMgmt)');
    expect(res.json).toEqual({ data: null, message: 'Permission check failed (/vms/100, VM.PowerMgmt)\n' });
    expect(res.headers['connection']).toBe('close');
    expect(plain<unknown[]>(await h.control('GET', '/ledger'))).toEqual([]);
    // Checked before proxying and before parameters, as rest_handler does; wake-on-LAN and snapshots too.
    expect((await as('POST', '/nodes/pve/wakeonlan')).reason).toBe(
      'Permission check failed (/nodes/pve, Sys.PowerMgmt)',
    );
    expect((await as('POST', '/nodes/pve/qemu/100/snapshot', { snapname: 'x1' })).reason).toBe(
      'Permission check failed (/vms/100, VM.Snapshot)',
    );
    // The main token is not checked.
    expect((await h.api('POST', '/nodes/pve/qemu/100/status/stop')).status).toBe(200);
  });

  it('pool-power: sees and powers its pool only, no cluster status, no HA, other tasks hidden', async () => {
    await preset('pool-power');
    expect((await as('GET', '/cluster/status')).reason).toBe('Permission check failed (/, Sys.Audit)');
    expect((await as('GET', '/cluster/ha/resources')).status).toBe(403);
    expect((await as('GET', '/nodes/pve/status')).reason).toBe('Permission check failed (/nodes/pve, Sys.Audit)');
    const resources = rows(await as('GET', '/cluster/resources'));
    expect(resources.filter((r) => r['type'] === 'qemu' || r['type'] === 'lxc').map((r) => r['vmid'])).toEqual([
      107, 111,
    ]);
    expect(resources.find((r) => r['vmid'] === 111)).toMatchObject({ pool: 'lab', status: 'running' });
    expect(resources.filter((r) => r['type'] === 'pool')).toEqual([{ id: '/pool/lab', pool: 'lab', type: 'pool' }]);
    // Nodes stay listed, without their figures; storage needs Datastore.Audit.
    const nodes = resources.filter((r) => r['type'] === 'node');
    expect(nodes).toHaveLength(4);
    expect(nodes[0]).not.toHaveProperty('maxmem');
    expect(resources.some((r) => r['type'] === 'storage')).toBe(false);
    expect(await vmids('/nodes/pve/qemu')).toEqual([107, 111]);
    expect(rows(await as('GET', '/pools'))).toEqual([{ poolid: 'lab', comment: 'Lab machines' }]);
    // Own task readable; other users' tasks filtered out and refused.
    const upid = (await as('POST', '/nodes/pve/qemu/111/status/reboot')).json as { data: string };
    expect(upid.data).toMatch(/:qmreboot:111:jarvis@pve!restricted:$/);
    expect((await as('GET', `/nodes/pve/tasks/${encodeURIComponent(upid.data)}/status`)).status).toBe(200);
    const other = rows(await h.api('GET', '/nodes/home/tasks')).find((t) => t['user'] !== 'jarvis@pve');
    expect(other).toBeDefined();
    expect((await as('GET', `/nodes/home/tasks/${encodeURIComponent(String(other?.['upid']))}/status`)).reason).toBe(
      'Permission check failed (/nodes/home, Sys.Audit)',
    );
    expect(rows(await as('GET', '/nodes/home/tasks')).every((t) => t['user'] === 'jarvis@pve')).toBe(true);
    expect(rows(await as('GET', '/cluster/tasks')).every((t) => t['user'] === 'jarvis@pve')).toBe(true);
    // Outside the pool: a refusal, and the guest is invisible in lists.
    expect((await as('POST', '/nodes/pve/qemu/100/status/stop')).reason).toBe(
      'Permission check failed (/vms/100, VM.PowerMgmt)',
    );
    expect(row(await as('GET', '/access/permissions'))).toEqual({
      '/pool/lab': { 'Pool.Audit': 1, 'VM.Audit': 1, 'VM.PowerMgmt': 1, 'VM.Snapshot': 1 },
      '/vms/107': { 'Pool.Audit': 1, 'VM.Audit': 1, 'VM.PowerMgmt': 1, 'VM.Snapshot': 1 },
      '/vms/111': { 'Pool.Audit': 1, 'VM.Audit': 1, 'VM.PowerMgmt': 1, 'VM.Snapshot': 1 },
    });
  });

  it('full and none presets, a custom ACL, and its validation', async () => {
    await preset('full');
    expect(row(await as('GET', '/access/permissions'))['/']).toHaveProperty(['Sys.PowerMgmt'], 1);
    expect((await as('GET', '/cluster/status')).status).toBe(200);
    await preset('none');
    expect(row(await as('GET', '/access/permissions'))).toEqual({});
    expect(await vmids('/cluster/resources')).toEqual([]);
    expect((await as('GET', '/access/permissions?path=/vms/100')).json).toEqual({ data: { '/vms/100': {} } });
    expect(
      (await h.control('PUT', '/permissions', { acl: { '/vms/100': ['VM.Audit'], '/nodes': ['Sys.Audit'] } })).status,
    ).toBe(200);
    expect(await vmids('/cluster/resources')).toEqual([100]);
    expect((await as('GET', '/nodes/agent/status')).status).toBe(200);
    expect((await h.control('PUT', '/permissions', { acl: { '/': ['Sys.Everything'] } })).status).toBe(400);
    expect((await h.control('PUT', '/permissions', { preset: 'root' })).status).toBe(400);
    expect((await h.control('PUT', '/permissions', { preset: 'full', acl: {} })).status).toBe(400);
    // A reset restores the default preset.
    await h.control('POST', '/reset');
    expect(plain(await h.control('GET', '/permissions'))).toEqual({ acl: { '/': [...AUDITOR_PRIVILEGES] } });
  });

  it('starts with another preset when asked (SIM_PERMISSIONS), and refuses an unknown one', async () => {
    const other = await SimHarness.start({ permissions: 'pool-power' });
    try {
      expect(plain(await other.control('GET', '/permissions'))).toEqual({
        acl: { '/pool/lab': ['Pool.Audit', 'VM.Audit', 'VM.PowerMgmt', 'VM.Snapshot'] },
      });
    } finally {
      await other.close();
    }
    await expect(SimHarness.start({ permissions: 'root' as 'full' })).rejects.toThrow(/permissions must be one of/);
  });

  it('keeps the main token sysAudit switch as it was', async () => {
    await h.control('PUT', '/config', { sysAudit: false });
    expect(row(await h.api('GET', '/access/permissions'))['/']).not.toHaveProperty(['Sys.Audit']);
    expect((await h.api('GET', '/cluster/status')).status).toBe(200);
    await h.control('PUT', '/config', { sysAudit: true });
  });
});
