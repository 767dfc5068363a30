import { DesiredStateRepository } from '@jarvis/db';
import { createPool } from '@jarvis/db';
import { type Pool } from 'pg';

/** The guests' desired states on the real Postgres: ordered writes, and `stopped` wishes used up. */
describe('DesiredStateRepository', () => {
  let pool: Pool;
  let repo: DesiredStateRepository;
  // One cluster per test: the database is shared by the suites.
  let cluster: string;
  let seq = 0;
  const T0 = Date.parse('2026-01-01T10:00:00Z');
  const at = (s: number): string => new Date(T0 + s * 1000).toISOString();
  const view = async (vmid: number) => (await repo.list(cluster)).find((v) => v.vmid === vmid);
  const look = (s: number, running: number[], stopped: number[], staleAfterMs = 600_000) =>
    repo.observe({ cluster, observedAt: at(s), running, stopped, staleAfterMs });
  const wish = (vmid: number, desired: 'running' | 'stopped', s: number, source = 'vm-action:pve:100:stop:x') =>
    repo.record({ cluster, vmid, node: 'pve', desired, source, setAt: at(s) });

  beforeAll(() => {
    pool = createPool(process.env['JARVIS_TEST_DB']!);
    repo = new DesiredStateRepository(pool);
  });
  beforeEach(() => {
    cluster = `desired-${Date.now().toString(36)}-${++seq}`;
  });
  afterAll(async () => {
    await pool.end();
  });

  it('keeps the newest wish: an older one read late never replaces it, a repeat writes nothing', async () => {
    expect(await wish(100, 'stopped', 10)).toBe(true);
    expect(await wish(100, 'stopped', 10)).toBe(false);
    expect(await wish(100, 'running', 5, 'pve-task:UPID:old')).toBe(false);
    expect(await view(100)).toMatchObject({ desired: 'stopped', source: 'vm-action:pve:100:stop:x', setAt: at(10) });
    expect(await wish(100, 'running', 20, 'pve-task:UPID:new')).toBe(true);
    expect(await view(100)).toMatchObject({ desired: 'running', source: 'pve-task:UPID:new', usedUp: false });
    // Clusters do not see each other's guests.
    expect(await repo.list(`${cluster}-other`)).toEqual([]);
  });

  it('forgets every wish of a cluster that started afresh, and only of that cluster', async () => {
    const other = `${cluster}-other`;
    await wish(100, 'stopped', 10);
    await wish(101, 'running', 10);
    await repo.record({ cluster: other, vmid: 100, node: 'pve', desired: 'stopped', source: 'x', setAt: at(10) });
    expect(await repo.forgetCluster(cluster)).toBe(2);
    expect(await repo.list(cluster)).toEqual([]);
    expect(await repo.list(other)).toHaveLength(1);
    expect(await repo.forgetCluster(cluster)).toBe(0);
  });

  it('a stop wish is used up once the guest, seen stopped after it, is seen running again', async () => {
    await wish(101, 'stopped', 10);
    // A look older than the wish, and a look during the stop (still running), use nothing up.
    await look(5, [101], []);
    await look(12, [101], []);
    expect(await view(101)).toMatchObject({ desired: 'stopped', usedUp: false });
    await look(14, [], [101]);
    expect(await view(101)).toMatchObject({ desired: 'stopped', usedUp: false });
    await look(30, [101], []);
    expect(await view(101)).toMatchObject({ desired: 'running', usedUp: true, setAt: at(30), stoppedUntil: at(30) });
  });

  it('a stop wish never seen stopped is used up when the guest still runs long after (a reset cluster)', async () => {
    await wish(102, 'stopped', 10);
    await look(20, [102], [], 60_000);
    expect(await view(102)).toMatchObject({ desired: 'stopped' });
    await look(71, [102], [], 60_000);
    expect(await view(102)).toMatchObject({ desired: 'running', usedUp: true });
  });

  it('a start that replaces a stop remembers until when the stop was wished', async () => {
    await wish(103, 'stopped', 10);
    await wish(103, 'running', 15);
    expect(await view(103)).toMatchObject({ desired: 'running', setAt: at(15), stoppedUntil: at(15) });
    // A later running wish keeps that time; a new stop forgets it.
    await wish(103, 'running', 25, 'vm-action:again');
    expect(await view(103)).toMatchObject({ stoppedUntil: at(15) });
    await wish(103, 'stopped', 30);
    expect(await view(103)).not.toHaveProperty('stoppedUntil');
  });
});
