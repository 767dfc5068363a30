import { mkdtempSync, readdirSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditRepository,
  ChatRepository,
  createPool,
  ensureAppRole,
  ensureDatabase,
  migrate,
  MIGRATIONS_DIR,
  SettingsRepository,
} from '@jarvis/db';
import { Client, type Pool } from 'pg';
import { dropTestDatabase } from '../support/global-setup';

/**
 * The demo's database set-up against a fresh database: migrations as the admin, then Jarvis's own
 * role, which the worker and the API use. It reads and writes Jarvis's rows and can do nothing else.
 */
describe("Jarvis's own Postgres role", () => {
  const role = `jarvis_app_t${process.pid}`;
  const password = 'app-role-test-password-0123456789';
  let adminUrl: string;
  let appUrl: string;
  let admin: Pool;
  let app: Pool;

  const denied = async (sql: string): Promise<string> => {
    const err = await app.query(sql).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    if (!err) throw new Error(`the app role was allowed: ${sql}`);
    return `${err.code} ${err.message}`;
  };

  beforeAll(async () => {
    const u = new URL(process.env['JARVIS_TEST_DB']!);
    u.pathname = u.pathname.replace(/_(\d+)$/, 'role_$1');
    adminUrl = u.toString();
    // An older demo's database: there and migrated, with no app role yet.
    await ensureDatabase(adminUrl);
    admin = createPool(adminUrl);
    await migrate(admin);
    const before = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    expect(before.rowCount).toBe(0);
    const made = await ensureAppRole(adminUrl, { role, password });
    expect(made.role).toBe(role);
    appUrl = made.url;
    app = createPool(appUrl);
  });
  afterAll(async () => {
    await app?.end();
    await admin?.end();
    await dropTestDatabase(adminUrl);
    const c = new Client({ connectionString: adminUrl.replace(/\/[^/]+$/, '/postgres') });
    await c.connect();
    await c.query(`DROP ROLE IF EXISTS ${role}`);
    await c.end();
  });

  it('connects as its own role, not superuser, owning nothing', async () => {
    expect(new URL(appUrl).username).toBe(role);
    expect(new URL(appUrl).password).toBe(password);
    const { rows } = await app.query<{ user: string; su: string }>(
      `SELECT current_user AS user, current_setting('is_superuser') AS su`,
    );
    expect(rows[0]).toEqual({ user: role, su: 'off' });
    const attrs = await admin.query(
      'SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = $1',
      [role],
    );
    expect(attrs.rows[0]).toEqual({
      rolsuper: false,
      rolcreaterole: false,
      rolcreatedb: false,
      rolreplication: false,
      rolbypassrls: false,
      rolcanlogin: true,
    });
    const owned = await admin.query(
      `SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = $1`,
      [role],
    );
    expect(owned.rows).toEqual([]);
  });

  it("reads and writes Jarvis's tables through the repositories, and its migrate() finds nothing to do", async () => {
    const wf = `vm-action:pve:100:stop:role-${Date.now()}`;
    const audit = new AuditRepository(app);
    expect(
      await audit.record({
        workflowId: wf,
        activityId: '1',
        kind: 'started',
        title: 'stop 100',
        at: new Date().toISOString(),
      }),
    ).toBe(true);
    expect((await audit.forWorkflow(wf)).map((e) => e.kind)).toEqual(['started']);

    const settings = new SettingsRepository(app);
    await settings.set('role-test', { on: true }, 'operator');
    await settings.set('role-test', { on: false }, 'operator');
    expect(await settings.get('role-test')).toEqual({ on: false });

    const chat = new ChatRepository(app);
    const session = `s-role-${Date.now()}`;
    await chat.createSession(session, 'operator');
    await chat.addUserMessage(session, 'hello', (turn) => `chat-turn:${session}:${turn}`); // a bigserial: sequence use
    expect((await chat.messages(session)).map((m) => m.text)).toEqual(['hello']);
    expect((await app.query('DELETE FROM chat_sessions WHERE id = $1', [session])).rowCount).toBe(1);

    // What the worker and the API call at boot: up to date, without any DDL.
    expect(await migrate(app)).toEqual({ applied: [] });
  });

  it('can change no schema and gain no rights', async () => {
    expect(await denied('DROP TABLE audit_events')).toMatch(/^42501 must be owner/);
    expect(await denied('CREATE TABLE mine (id int)')).toMatch(/^42501 permission denied for schema public/);
    expect(await denied('CREATE TEMP TABLE mine (id int)')).toMatch(/^42501 permission denied/);
    expect(await denied('CREATE SCHEMA mine')).toMatch(/^42501 permission denied/);
    expect(await denied('ALTER TABLE audit_events ADD COLUMN x int')).toMatch(/^42501 must be owner/);
    expect(await denied('TRUNCATE audit_events')).toMatch(/^42501 permission denied/);
    expect(await denied(`ALTER ROLE ${role} SUPERUSER`)).toMatch(/^42501 must be superuser/);
    expect(await denied(`ALTER ROLE ${role} CREATEROLE`)).toMatch(/^42501 /);
    expect(await denied('CREATE ROLE mallory LOGIN')).toMatch(/^42501 permission denied to create role/);
    // It cannot hand its rights on (Postgres only warns, and grants nothing).
    await app.query('GRANT SELECT ON audit_events TO PUBLIC');
    const leaked = await admin.query(`SELECT has_table_privilege('public', 'audit_events', 'SELECT') AS p`);
    expect(leaked.rows[0]).toEqual({ p: false });
    // The migration ledger is read-only to it: it cannot mark a migration applied or forget one.
    expect(await denied(`INSERT INTO schema_migrations (version, name, checksum) VALUES (999, 'x', 'x')`)).toMatch(
      /^42501 permission denied/,
    );
    expect(await denied('DELETE FROM schema_migrations')).toMatch(/^42501 permission denied/);
  });

  it('a pending migration is refused to it (DDL is the owner’s); once the owner applies it, the new table is covered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jarvis-role-migrations-'));
    try {
      for (const f of readdirSync(MIGRATIONS_DIR)) copyFileSync(join(MIGRATIONS_DIR, f), join(dir, f));
      writeFileSync(join(dir, '999_later.sql'), 'CREATE TABLE later_things (id bigserial PRIMARY KEY, v text);');
      await expect(migrate(app, dir)).rejects.toThrow(/999_later failed: permission denied for schema public/);
      // Applied by the owner, the new table is the app role's to use at once (default privileges).
      expect((await migrate(admin, dir)).applied).toEqual(['999_later']);
      await app.query(`INSERT INTO later_things (v) VALUES ('a'), ('b')`);
      expect((await app.query('UPDATE later_things SET v = v || v')).rowCount).toBe(2);
      expect((await app.query('SELECT v FROM later_things ORDER BY id')).rows).toEqual([{ v: 'aa' }, { v: 'bb' }]);
      expect(await denied('DROP TABLE later_things')).toMatch(/^42501 must be owner/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('set-up again is idempotent and narrows a role someone widened', async () => {
    await admin.query(`ALTER ROLE ${role} CREATEDB CREATEROLE`);
    await admin.query(`GRANT CREATE ON SCHEMA public TO ${role}`);
    const again = await ensureAppRole(adminUrl, { role, password });
    expect(again.url).toBe(appUrl);
    const attrs = await admin.query('SELECT rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = $1', [role]);
    expect(attrs.rows[0]).toEqual({ rolcreatedb: false, rolcreaterole: false });
    expect(await denied('CREATE TABLE mine (id int)')).toMatch(/^42501 permission denied for schema public/);
  });
});
