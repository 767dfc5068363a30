import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApprovalsRepository,
  ArchiveRepository,
  AuditRepository,
  createPool,
  ensureDatabase,
  migrate,
  MIGRATIONS_DIR,
  type ApprovalView,
} from '@jarvis/db';
import { type Pool } from 'pg';
import { dropTestDatabase } from '../support/global-setup';

/** The projections against the real Postgres: every write from an activity must be safe to repeat. */
describe('Postgres projections', () => {
  let pool: Pool;
  const wf = `vm-action:pve:100:stop:db-${Date.now()}`;

  beforeAll(() => {
    pool = createPool(process.env['JARVIS_TEST_DB']!);
  });
  afterAll(async () => {
    await pool.end();
  });

  it('records an audit step once, however often the activity is retried', async () => {
    const audit = new AuditRepository(pool);
    const step = {
      workflowId: wf,
      activityId: 'step-1',
      kind: 'requested',
      title: 'asked',
      at: new Date().toISOString(),
    };
    expect(await audit.recordMany([step, { ...step, activityId: 'step-2', kind: 'tier' }])).toBe(2);
    expect(await audit.recordMany([step, { ...step, activityId: 'step-2', kind: 'tier' }])).toBe(0);
    expect(await audit.record(step)).toBe(false);
    expect((await audit.forWorkflow(wf)).map((e) => e.kind)).toEqual(['requested', 'tier']);
  });

  it('moves an approval only forward in version: a late retry of an older snapshot changes nothing', async () => {
    const approvals = new ApprovalsRepository(pool);
    const base: ApprovalView = {
      id: `${wf}:approval`,
      workflowId: wf,
      version: 1,
      state: 'pending',
      tier: 'YELLOW',
      action: 'stop',
      target: { node: 'pve', vmid: 100, type: 'qemu' },
      resourceName: 'web-01',
      reason: null,
      requestedBy: { kind: 'operator', id: 'operator' },
      requestedAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
      fingerprint: 'f'.repeat(64),
      blastRadius: { guests: [100], nodes: ['pve'] },
      twoPerson: true,
      decisions: [],
    };
    expect(await approvals.upsert(base)).toBe(true);
    const decided = {
      ...base,
      version: 2,
      state: 'approved' as const,
      decisions: [{ by: 'second', verdict: 'approve' as const, at: new Date().toISOString() }],
    };
    expect(await approvals.upsert(decided)).toBe(true);
    expect(await approvals.upsert(base)).toBe(false);
    expect(await approvals.upsert(decided)).toBe(false);
    expect(await approvals.get(base.id)).toMatchObject({
      state: 'approved',
      version: 2,
      decisions: [{ by: 'second' }],
    });
    expect((await approvals.list({ state: 'decided' })).some((a) => a.id === base.id)).toBe(true);
    expect((await approvals.list({ state: 'pending' })).some((a) => a.id === base.id)).toBe(false);
  });

  it('archives a run once and filters the audit list', async () => {
    const archive = new ArchiveRepository(pool);
    const entry = {
      workflowId: wf,
      runId: 'run-1',
      kind: 'vmActionWorkflow',
      status: 'COMPLETED',
      outcome: 'done',
      node: 'pve',
      vmid: 100,
      action: 'stop',
      closedAt: new Date().toISOString(),
      history: { events: [1] },
    };
    expect(await archive.store(entry)).toBe(true);
    expect(await archive.store({ ...entry, history: { events: [1, 2] } })).toBe(false);
    expect((await archive.history(wf))?.history).toEqual({ events: [1] });
    expect(
      (await archive.list({ node: 'pve', vmid: 100, outcome: 'done' })).items.some((i) => i.workflowId === wf),
    ).toBe(true);
    expect((await archive.list({ node: 'home', vmid: 100 })).items.some((i) => i.workflowId === wf)).toBe(false);
  });
});

describe('the migration runner', () => {
  let pool: Pool;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    const u = new URL(process.env['JARVIS_TEST_DB']!);
    u.pathname = u.pathname.replace(/_(\d+)$/, 'mig_$1');
    url = u.toString();
    await ensureDatabase(url);
    pool = createPool(url);
    dir = mkdtempSync(join(tmpdir(), 'jarvis-migrations-'));
    writeFileSync(join(dir, '001_initial.sql'), readFileSync(join(MIGRATIONS_DIR, '001_initial.sql')));
  });
  afterAll(async () => {
    await pool.end();
    await dropTestDatabase(url);
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies each file once, in order, and refuses an applied file that changed', async () => {
    expect((await migrate(pool, dir)).applied).toEqual(['1_initial']);
    expect((await migrate(pool, dir)).applied).toEqual([]);
    writeFileSync(join(dir, '002_extra.sql'), 'CREATE TABLE extra (id int);');
    expect((await migrate(pool, dir)).applied).toEqual(['2_extra']);
    writeFileSync(join(dir, '002_extra.sql'), 'CREATE TABLE extra (id bigint);');
    await expect(migrate(pool, dir)).rejects.toThrow(/changed after it was applied/);
  });

  it('rolls back a failing file and keeps what came before', async () => {
    writeFileSync(join(dir, '002_extra.sql'), 'CREATE TABLE extra (id int);');
    writeFileSync(join(dir, '003_broken.sql'), 'CREATE TABLE half (id int); SELECT no_such_function();');
    await expect(migrate(pool, dir)).rejects.toThrow(/3_broken failed/);
    const { rows } = await pool.query(`SELECT to_regclass('half') AS t`);
    expect(rows[0].t).toBeNull();
  });

  it('runs safely from several processes at once (advisory lock)', async () => {
    rmSync(join(dir, '003_broken.sql'));
    writeFileSync(join(dir, '004_more.sql'), 'CREATE TABLE more (id int);');
    const results = await Promise.all([migrate(pool, dir), migrate(pool, dir), migrate(pool, dir)]);
    expect(results.flatMap((r) => r.applied)).toEqual(['4_more']);
  });
});
