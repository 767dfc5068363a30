import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { createPool, ensureDatabase, migrate } from '@jarvis/db';
import { DEFAULT_SIM_TOKEN } from '@jarvis/pve-sim';
import { startDevServer, waitForPort, type RunningDevServer } from './temporal-dev-server';
import { assertPortsFree } from './port-check';

/**
 * `npm run demo`: Jarvis on embedded defaults. A real Temporal dev server (persistent), the
 * Proxmox simulator, the local Postgres, the worker and the API, all children of this process
 * and in its process group, so Ctrl-C or one SIGTERM to the group stops everything.
 */
const ROOT = resolve(__dirname, '..', '..');
const STATE = process.env['JARVIS_STATE_DIR'] ?? join(ROOT, '.jarvis');
const API_PORT = Number(process.env['API_PORT'] ?? 3000);
const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;
const SIM_PORT = 8006;

const children: ChildProcess[] = [];
let temporal: RunningDevServer | undefined;
let stopping = false;

function log(message: string): void {
  console.log(`[demo] ${message}`);
}

interface Secrets {
  jwtSecret: string;
  operatorPassword: string;
}

function loadSecrets(): Secrets {
  const file = join(STATE, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Secrets;
  const secrets: Secrets = {
    jwtSecret: randomBytes(48).toString('base64url'),
    operatorPassword: randomBytes(12).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

function run(name: string, script: string, env: NodeJS.ProcessEnv, onLine?: (line: string) => void): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, script)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on('line', (line) => {
      onLine?.(line);
      console.log(`[${name}] ${line}`);
    });
  }
  child.once('exit', (code, signal) => {
    if (!stopping) {
      log(`${name} exited (${signal ?? code}); stopping everything`);
      void shutdown(1);
    }
  });
  return child;
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log('stopping');
  for (const child of children.reverse()) child.kill('SIGTERM');
  await Promise.race([
    Promise.all(
      children.map((c) =>
        c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)),
      ),
    ),
    new Promise((r) => setTimeout(r, 8_000)),
  ]);
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await temporal?.stop();
  process.exit(code);
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  mkdirSync(STATE, { recursive: true });
  await assertPortsFree([API_PORT, TEMPORAL_PORT, TEMPORAL_UI_PORT, SIM_PORT]);
  const secrets = loadSecrets();

  log('starting Temporal (dev server, state in .jarvis/temporal.db)');
  const temporalReady = startDevServer({
    port: TEMPORAL_PORT,
    uiPort: TEMPORAL_UI_PORT,
    dbFile: join(STATE, 'temporal.db'),
    // Its shutdown is noisy (pollers dropping); once we are stopping, that is expected.
    onOutput: (line) => {
      if (!stopping) console.log(`[temporal] ${line}`);
    },
  }).then((t) => (temporal = t));

  const usingSimulator = !process.env['PVE_URL'];
  let pve: Record<string, string> = {};
  if (usingSimulator) {
    log('starting the Proxmox VE simulator (4 nodes, 15 guests)');
    const simReady = new Promise<Record<string, string>>((resolveSim) => {
      run(
        'pve-sim',
        'apps/pve-sim/dist/main.js',
        {
          ...process.env,
          SIM_PORT: String(SIM_PORT),
          SIM_CERT_DIR: join(STATE, 'pve-sim'),
          SIM_TOKEN: process.env['PVE_TOKEN'] ?? DEFAULT_SIM_TOKEN,
        },
        (line) => {
          if (!line.startsWith('{')) return;
          try {
            const ready = JSON.parse(line) as { ready?: boolean; url: string; fingerprint: string };
            if (ready.ready)
              resolveSim({
                PVE_URL: ready.url,
                PVE_FINGERPRINT: ready.fingerprint,
                PVE_TOKEN: process.env['PVE_TOKEN'] ?? DEFAULT_SIM_TOKEN,
              });
          } catch {
            // Not the ready line.
          }
        },
      );
    });
    pve = await simReady;
  }

  const databaseUrl = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/jarvis';
  await ensureDatabase(databaseUrl);
  const pool = createPool(databaseUrl);
  const { applied } = await migrate(pool);
  await pool.end();
  log(applied.length ? `database migrated: ${applied.join(', ')}` : 'database up to date');
  await temporalReady;

  const username = process.env['JARVIS_USERNAME'] ?? 'operator';
  const password = process.env['JARVIS_PASSWORD'] ?? secrets.operatorPassword;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...pve,
    ...(pve['PVE_TOKEN'] ? {} : { PVE_TOKEN: process.env['PVE_TOKEN'] }),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: process.env['TEMPORAL_ADDRESS'] ?? `127.0.0.1:${TEMPORAL_PORT}`,
    JARVIS_USERNAME: username,
    JARVIS_PASSWORD: password,
    JWT_SECRET: process.env['JWT_SECRET'] ?? secrets.jwtSecret,
    API_PORT: String(API_PORT),
    WEB_DIST: join(ROOT, 'apps/web/dist'),
  };
  run('worker', 'apps/worker/dist/main.js', env);
  run('api', 'apps/api/dist/main.js', env);
  await waitForPort(API_PORT, 60_000);

  const given = Boolean(process.env['JARVIS_PASSWORD']);
  console.log(`
  ───────────────────────────────────────────────────────────────
   JARVIS is up.${usingSimulator ? ' Cluster: the built-in Proxmox simulator.' : ''}
   Dashboard      http://127.0.0.1:${API_PORT}/
   API + docs     http://127.0.0.1:${API_PORT}/api/docs
   Temporal UI    http://127.0.0.1:${TEMPORAL_UI_PORT}/
   Log in as      ${username} / ${given ? '(the JARVIS_PASSWORD you set)' : password}
   e.g. curl -s -X POST http://127.0.0.1:${API_PORT}/api/auth/login \\
          -H 'content-type: application/json' -d '{"username":"${username}","password":"…"}'
   Ctrl-C stops everything.
  ───────────────────────────────────────────────────────────────`);
}

main().catch((err: unknown) => {
  console.error(`[demo] ${(err as Error).message}`);
  void shutdown(1);
});
