import { Client as PgClient } from 'pg';
import { freePort, startDevServer, type RunningDevServer } from '@jarvis/scripts';
import { createPool, ensureDatabase, migrate } from '@jarvis/db';

declare global {
  var __jarvisTemporal: RunningDevServer | undefined;
}

/**
 * One real Temporal dev server (the pinned CLI, tuned as in TEMPORAL_NOTES.md) and one fresh,
 * migrated Postgres database for the whole run. Test files share them and isolate themselves
 * by task queue and workflow ID.
 */
export default async function globalSetup(): Promise<void> {
  const port = await freePort();
  const server = await startDevServer({ port, headless: true, logLevel: 'error' });
  globalThis.__jarvisTemporal = server;
  process.env['JARVIS_TEST_TEMPORAL_ADDRESS'] = server.address;

  const base = new URL(process.env['JARVIS_TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  await dropStaleTestDatabases(base.toString());
  base.pathname = `/jarvis_test_${Date.now().toString(36)}_${process.pid}`;
  const databaseUrl = base.toString();
  await ensureDatabase(databaseUrl);
  const pool = createPool(databaseUrl);
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  process.env['JARVIS_TEST_DB'] = databaseUrl;
}

/**
 * Databases left by runs that were killed before their teardown. Each name ends with the PID of
 * the run that made it; only those whose process is gone are dropped, so a run in progress
 * elsewhere on this machine keeps its database even between two of its test files.
 */
async function dropStaleTestDatabases(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const admin = new PgClient({ connectionString: url.toString() });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname ~ '^jarvis_(test|bench)_[a-z0-9]+_[0-9]+$'`,
    );
    for (const { datname } of rows) {
      const pid = Number(/_(\d+)$/.exec(datname)?.[1]);
      if (processAlive(pid)) continue;
      await admin.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
    }
  } finally {
    await admin.end();
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function dropTestDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  url.pathname = '/postgres';
  const admin = new PgClient({ connectionString: url.toString() });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
