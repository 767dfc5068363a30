import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ProxmoxClient } from '@jarvis/activities';
import { createPool, ensureDatabase, migrate } from '@jarvis/db';
import { startSimulator, type RunningSimulator } from '@jarvis/pve-sim';
import { freePort, startDevServer, type RunningDevServer } from '@jarvis/scripts';
import { type Pool } from 'pg';

/** What every benchmark runs on: a fresh tuned dev server, an instant simulator and a database of its own. */
export interface BenchStack {
  readonly temporal: RunningDevServer;
  readonly sim: RunningSimulator;
  readonly dbUrl: string;
  readonly pool: Pool;
  readonly connection: NativeConnection;
  readonly clientConnection: Connection;
  readonly client: Client;
  readonly pve: ProxmoxClient;
  readonly taskQueue: string;
  /** Closes all of the above and drops the database; stop workers and APIs on it first. */
  close(): Promise<void>;
}

export async function startBenchStack(tag: string): Promise<BenchStack> {
  const temporal = await startDevServer({ port: await freePort(), headless: true, logLevel: 'error' });
  const sim = await startSimulator({ port: 0, taskMs: 0, refreshMs: 0, authFailDelayMs: 10 });
  const dbUrl = `postgres://postgres@127.0.0.1:5432/jarvis_bench_${Date.now().toString(36)}${tag}_${process.pid}`;
  await ensureDatabase(dbUrl);
  const pool = createPool(dbUrl);
  await migrate(pool);
  const connection = await NativeConnection.connect({ address: temporal.address });
  const clientConnection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection: clientConnection });
  const pve = new ProxmoxClient({ baseUrl: sim.url, token: sim.token, fingerprint: sim.fingerprint });
  const taskQueue = `bench-${tag}-${randomBytes(4).toString('hex')}`;
  return {
    temporal,
    sim,
    dbUrl,
    pool,
    connection,
    clientConnection,
    client,
    pve,
    taskQueue,
    async close() {
      await Promise.allSettled([connection.close(), clientConnection.close(), pve.close()]);
      await pool.end();
      await sim.close();
      await temporal.stop();
      await dropDatabase(dbUrl);
    },
  };
}

async function dropDatabase(url: string): Promise<void> {
  const { Client: PgClient } = await import('pg');
  const u = new URL(url);
  const name = u.pathname.slice(1);
  u.pathname = '/postgres';
  const admin = new PgClient({ connectionString: u.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.end();
}
