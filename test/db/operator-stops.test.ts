import { AuditRepository, createPool, IncidentsRepository } from '@jarvis/db';
import { type Pool } from 'pg';

/**
 * Which operator stops explain a guest seen stopped: those asked for in the window, minus those
 * that had already played out before the monitor last saw the guest running (an earlier run's
 * stop, for instance, must not hide a crash now).
 */
describe('operator stops that can explain a stop', () => {
  let pool: Pool;
  let audit: AuditRepository;
  let incidents: IncidentsRepository;
  const base = Date.parse('2030-01-01T00:00:00Z') + Math.floor(Math.random() * 1e9);
  const at = (s: number): string => new Date(base + s * 1000).toISOString();
  const tag = Math.random().toString(36).slice(2, 8);

  beforeAll(async () => {
    pool = createPool(process.env['JARVIS_TEST_DB']!);
    audit = new AuditRepository(pool);
    incidents = new IncidentsRepository(pool);
    const stop = (vmid: number, action: string, requested: number, settled?: [string, number]) =>
      audit.recordMany([
        {
          workflowId: `vm-action:pve:${vmid}:${action}:${tag}`,
          activityId: 'requested',
          kind: 'requested',
          title: `stop ${vmid}`,
          at: at(requested),
        },
        ...(settled
          ? [
              {
                workflowId: `vm-action:pve:${vmid}:${action}:${tag}`,
                activityId: settled[0],
                kind: settled[0],
                title: settled[0],
                at: at(settled[1]),
              },
            ]
          : []),
      ]);
    await stop(801, 'stop', 0, ['verified', 5]); // played out before the monitor's last look (t=10)
    await stop(802, 'shutdown', 8, ['verified', 12]); // still running at t=10: it explains
    await stop(803, 'stop', 9); // not finished yet: it explains
    await stop(804, 'start', 9); // not a stopping action
    await stop(805, 'reboot', 2, ['rejected', 3]); // refused before t=10
  });
  afterAll(async () => {
    await pool.query(`DELETE FROM audit_events WHERE workflow_id LIKE $1`, [`vm-action:%:${tag}`]);
    await pool.end();
  });

  const vmids = (rows: { vmid: number }[]) =>
    rows
      .map((r) => r.vmid)
      .filter((v) => v >= 801 && v <= 805)
      .sort();

  it('without a last look, counts every stopping request in the window', async () => {
    expect(vmids(await incidents.operatorStops(at(-1)))).toEqual([801, 802, 803, 805]);
  });

  it('leaves out what had already reached its end before the last look', async () => {
    expect(vmids(await incidents.operatorStops(at(-1), at(10)))).toEqual([802, 803]);
  });

  it('still honours the window start', async () => {
    expect(vmids(await incidents.operatorStops(at(8.5), at(10)))).toEqual([803]);
  });
});
