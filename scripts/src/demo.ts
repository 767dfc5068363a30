import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  AppRoleNotPermittedError,
  createPool,
  DesiredStateRepository,
  ensureAppRole,
  ensureDatabase,
  migrate,
} from '@jarvis/db';
import { forgetAttemptsUpdate, guardianIdFor } from '@jarvis/workflows/api';
import { DEFAULT_RESTRICTED_TOKEN, DEFAULT_SIM_TOKEN, generateSshKeyPair, type SimSshEndpoint } from '@jarvis/pve-sim';
import { startDevServer, waitForPort, type RunningDevServer } from './temporal-dev-server';
import { assertPortsFree } from './port-check';
import { prepareStateDir, readOrCreateSecret, STATE_DIR_MODE, tightenStateDir, writeSecretFile } from './demo-state';

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
/**
 * The dev server's Web UI and HTTP API cannot be made read-only: whoever reaches them can start
 * and signal workflows without Jarvis's checks. Off unless asked for.
 */
const TEMPORAL_UI =
  process.argv.includes('--temporal-ui') ||
  ['1', 'true', 'yes'].includes((process.env['JARVIS_TEMPORAL_UI'] ?? '').toLowerCase());

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
  writeSecretFile(file, JSON.stringify(secrets, null, 2));
  return secrets;
}

/** Jarvis's SSH key for the simulated nodes, made once and kept in .jarvis/ssh/. */
function loadSshKey(): { keyFile: string; publicKey: string } {
  const dir = join(STATE, 'ssh');
  mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  const keyFile = join(dir, 'id_ed25519');
  if (!existsSync(keyFile) || !existsSync(`${keyFile}.pub`)) {
    const pair = generateSshKeyPair('jarvis@demo');
    writeSecretFile(keyFile, pair.privateKey);
    writeSecretFile(`${keyFile}.pub`, `${pair.publicKey}\n`);
  }
  return { keyFile, publicKey: readFileSync(`${keyFile}.pub`, 'utf8').trim() };
}

/** known_hosts for this run's simulated nodes, and the SSH_* variables for the API and the worker. */
function sshEnv(keyFile: string, endpoints: readonly SimSshEndpoint[]): Record<string, string> {
  const knownHosts = join(STATE, 'ssh', 'known_hosts');
  writeSecretFile(knownHosts, `${endpoints.map((e) => e.hostKeyLine).join('\n')}\n`);
  return {
    SSH_KEY_FILE: keyFile,
    SSH_KNOWN_HOSTS: knownHosts,
    SSH_USER: 'root',
    SSH_NODES: JSON.stringify(Object.fromEntries(endpoints.map((e) => [e.node, `${e.host}:${e.port}`]))),
  };
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
  // Everything the demo and its children write (Temporal's sqlite files, the simulator's keys) is
  // the running user's alone; the state set-up tightens what an older run left behind.
  process.umask(0o077);
  prepareStateDir(STATE);
  await assertPortsFree([API_PORT, TEMPORAL_PORT, SIM_PORT, ...(TEMPORAL_UI ? [TEMPORAL_UI_PORT] : [])]);
  const secrets = loadSecrets();

  log(`starting Temporal (dev server, state in .jarvis/temporal.db${TEMPORAL_UI ? ', Web UI on' : ', headless'})`);
  if (TEMPORAL_UI)
    log(
      `WARNING: the Temporal Web UI on http://127.0.0.1:${TEMPORAL_UI_PORT}/ can start, signal and terminate workflows ` +
        "without Jarvis's checks (no login, no approvals, no audit). Anyone who can reach that port on this machine can use it.",
    );
  const temporalReady = startDevServer({
    port: TEMPORAL_PORT,
    ...(TEMPORAL_UI ? { uiPort: TEMPORAL_UI_PORT } : { headless: true }),
    umask: 0o077,
    dbFile: join(STATE, 'temporal.db'),
    // Its shutdown is noisy (pollers dropping); once we are stopping, that is expected.
    onOutput: (line) => {
      if (!stopping) console.log(`[temporal] ${line}`);
    },
  }).then((t) => (temporal = t));

  const usingSimulator = !process.env['PVE_URL'];
  // JARVIS_DEMO_PVE_TOKEN=restricted: Jarvis uses the simulator's least-privilege token (PVEAuditor
  // on / unless JARVIS_DEMO_PVE_PERMISSIONS names another preset: full, pool-power, none).
  const restricted = usingSimulator && (process.env['JARVIS_DEMO_PVE_TOKEN'] ?? '').toLowerCase() === 'restricted';
  const simToken = restricted ? DEFAULT_SIM_TOKEN : (process.env['PVE_TOKEN'] ?? DEFAULT_SIM_TOKEN);
  const jarvisToken = restricted ? DEFAULT_RESTRICTED_TOKEN : simToken;
  /**
   * How the demo's Jarvis reaches the simulated cluster: every node's own endpoint (the first node
   * first, as an install pointed at its nodes), trusting the cluster CA that signs them all, so
   * taking the node it talks to offline really takes that API away and Jarvis fails over. Listing
   * them all also covers a start while the first node is down (discovery needs one answer).
   * An older simulator without per-node endpoints: its one address and fingerprint.
   */
  const simTrust = (ready: {
    url: string;
    fingerprint: string;
    endpoints?: { url: string; fingerprint: string }[];
    caFile?: string;
  }): Record<string, string> => {
    const endpoints = ready.endpoints ?? [];
    if (endpoints.length === 0) return { PVE_URL: ready.url, PVE_FINGERPRINT: ready.fingerprint };
    const urls = endpoints.map((e) => e.url).join(',');
    return ready.caFile
      ? { PVE_URL: urls, PVE_CA_FILE: ready.caFile }
      : { PVE_URL: urls, PVE_FINGERPRINT: endpoints.map((e) => e.fingerprint).join(',') };
  };
  let pve: Record<string, string> = {};
  let sshEndpoints: SimSshEndpoint[] = [];
  if (usingSimulator) {
    log('starting the Proxmox VE simulator (4 nodes, 15 guests, an SSH server per node)');
    if (restricted)
      log(
        `Jarvis uses the simulator's restricted token (${process.env['JARVIS_DEMO_PVE_PERMISSIONS'] ?? 'auditor'}); change its privileges with PUT /_sim/permissions`,
      );
    const sshKey = loadSshKey();
    const simReady = new Promise<Record<string, string>>((resolveSim) => {
      run(
        'pve-sim',
        'apps/pve-sim/dist/main.js',
        {
          ...process.env,
          SIM_PORT: String(SIM_PORT),
          SIM_CERT_DIR: join(STATE, 'pve-sim'),
          SIM_TOKEN: simToken,
          ...(restricted && process.env['JARVIS_DEMO_PVE_PERMISSIONS']
            ? { SIM_PERMISSIONS: process.env['JARVIS_DEMO_PVE_PERMISSIONS'] }
            : {}),
          SIM_SSH_AUTHORIZED_KEY: sshKey.publicKey,
          SIM_SSH_HOST_KEY_DIR: join(STATE, 'pve-sim', 'ssh'),
        },
        (line) => {
          if (!line.startsWith('{')) return;
          try {
            const ready = JSON.parse(line) as {
              ready?: boolean;
              url: string;
              fingerprint: string;
              endpoints?: { node: string; url: string; fingerprint: string }[];
              caFile?: string;
              ssh?: SimSshEndpoint[];
            };
            if (ready.ready) {
              sshEndpoints = ready.ssh ?? [];
              resolveSim({
                ...simTrust(ready),
                PVE_TOKEN: jarvisToken,
                ...(sshEndpoints.length ? sshEnv(sshKey.keyFile, sshEndpoints) : {}),
              });
            }
          } catch {
            // Not the ready line.
          }
        },
      );
    });
    pve = await simReady;
  }

  const databaseUrl = await prepareDatabase(
    process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/jarvis',
    usingSimulator ? (process.env['JARVIS_CLUSTER'] ?? 'default') : undefined,
  );
  await temporalReady;
  // The sqlite files exist now (made under umask 077); an older state's are tightened here.
  tightenStateDir(STATE);

  // Chat works with no key at all (the offline command parser). JARVIS_DEMO_LLM_SIM=1 starts the fake
  // Anthropic and OpenAI-compatible servers instead, so streaming, tools and costs can be seen without a key.
  let llm: Record<string, string> = {};
  const llmSim = ['1', 'true', 'yes'].includes((process.env['JARVIS_DEMO_LLM_SIM'] ?? '').toLowerCase());
  if (llmSim && !process.env['ANTHROPIC_API_KEY']) {
    log('starting the fake LLM servers (JARVIS_DEMO_LLM_SIM)');
    llm = await new Promise<Record<string, string>>((resolveLlm) => {
      run('llm-sim', 'apps/llm-sim/dist/main.js', { ...process.env, LLM_SIM_PORT: '0' }, (line) => {
        if (!line.startsWith('{')) return;
        try {
          const ready = JSON.parse(line) as { ready?: boolean; url: string; openaiUrl: string };
          if (ready.ready)
            resolveLlm({
              ANTHROPIC_API_KEY: 'demo-fake-key',
              ANTHROPIC_BASE_URL: ready.url,
              LOCAL_LLM_URL: ready.openaiUrl,
              LOCAL_LLM_MODEL: 'jarvis-local-sim',
            });
        } catch {
          // Not the ready line.
        }
      });
    });
  }

  const username = process.env['JARVIS_USERNAME'] ?? 'operator';
  const password = process.env['JARVIS_PASSWORD'] ?? secrets.operatorPassword;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...pve,
    ...llm,
    ...(pve['PVE_TOKEN'] ? {} : { PVE_TOKEN: process.env['PVE_TOKEN'] }),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: process.env['TEMPORAL_ADDRESS'] ?? `127.0.0.1:${TEMPORAL_PORT}`,
    JARVIS_USERNAME: username,
    JARVIS_PASSWORD: password,
    JWT_SECRET: process.env['JWT_SECRET'] ?? secrets.jwtSecret,
    API_PORT: String(API_PORT),
    WEB_DIST: join(ROOT, 'apps/web/dist'),
    // The demo watches closely so a crash is seen and fixed while you look: a 2 s critical poll
    // and a 10 s stability window (production defaults: 10 s and 2 min). Any of them can be set.
    MONITOR_CRITICAL_MS: process.env['MONITOR_CRITICAL_MS'] ?? '2000',
    MONITOR_IMPORTANT_MS: process.env['MONITOR_IMPORTANT_MS'] ?? '10000',
    MONITOR_ROUTINE_MS: process.env['MONITOR_ROUTINE_MS'] ?? '60000',
    MONITOR_BACKGROUND_MS: process.env['MONITOR_BACKGROUND_MS'] ?? '300000',
    REMEDIATION_STABILITY_MS: process.env['REMEDIATION_STABILITY_MS'] ?? '10000',
    REMEDIATION_RECHECK_MS: process.env['REMEDIATION_RECHECK_MS'] ?? '5000',
    REMEDIATION_NODE_BOOT_MS: process.env['REMEDIATION_NODE_BOOT_MS'] ?? '120000',
  };
  // The API's Ed25519 signing key (it vouches for operators' decisions): kept in the state folder,
  // 0600, and given to the API alone. The worker verifies with the public half, from the policy store.
  const signingKey =
    process.env['JARVIS_SIGNING_KEY'] ??
    readOrCreateSecret(STATE, 'signing-key.pem', () =>
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
  const { JARVIS_SIGNING_KEY: _notForTheWorker, ...workerEnv } = env;
  run('worker', 'apps/worker/dist/main.js', workerEnv);
  run('api', 'apps/api/dist/main.js', { ...env, JARVIS_SIGNING_KEY: signingKey });
  await waitForPort(API_PORT, 60_000);
  // In the background: the worker starts the guardian in its own time, and the banner need not wait.
  if (usingSimulator)
    forgetPreviousClusterAttempts(env).catch((err: unknown) =>
      log(`the guardian's attempts could not be forgotten: ${(err as Error).message}`),
    );

  const given = Boolean(process.env['JARVIS_PASSWORD']);
  console.log(`
  ───────────────────────────────────────────────────────────────
   JARVIS is up.${usingSimulator ? ' Cluster: the built-in Proxmox simulator.' : ''}
   Dashboard      http://127.0.0.1:${API_PORT}/
   API + docs     http://127.0.0.1:${API_PORT}/api/docs
   Temporal UI    ${TEMPORAL_UI ? `http://127.0.0.1:${TEMPORAL_UI_PORT}/  (no login: it bypasses Jarvis's checks)` : 'off (npm run demo -- --temporal-ui, or JARVIS_TEMPORAL_UI=1)'}
   Chat           ${llm['ANTHROPIC_BASE_URL'] ? 'the fake LLM servers (JARVIS_DEMO_LLM_SIM)' : process.env['ANTHROPIC_API_KEY'] || process.env['LOCAL_LLM_URL'] ? 'your configured models' : 'the offline command parser (no ANTHROPIC_API_KEY / LOCAL_LLM_URL)'}
   Escalations    ${process.env['SMTP_URL'] && process.env['ALERT_EMAIL'] ? `mailed to ${process.env['ALERT_EMAIL']}` : 'logged by the worker (set SMTP_URL and ALERT_EMAIL to mail them)'}
${sshEndpoints[0] ? `   SSH to ${sshEndpoints[0].node.padEnd(8)}ssh -i ${join(STATE, 'ssh', 'id_ed25519')} -o UserKnownHostsFile=${join(STATE, 'ssh', 'known_hosts')} -p ${sshEndpoints[0].port} root@127.0.0.1\n` : ''}   Log in as      ${username} / ${given ? '(the JARVIS_PASSWORD you set)' : password}
   e.g. curl -s -X POST http://127.0.0.1:${API_PORT}/api/auth/login \\
          -H 'content-type: application/json' -d '{"username":"${username}","password":"…"}'
   Ctrl-C stops everything.
  ───────────────────────────────────────────────────────────────`);
}

main().catch((err: unknown) => {
  console.error(`[demo] ${(err as Error).message}`);
  void shutdown(1);
});

/**
 * The database `jarvis`, migrated as the admin (owner) connection, and Jarvis's own role for the
 * worker and the API: it reads and writes Jarvis's rows and nothing else (not superuser, not the
 * owner, no DDL). Its password is generated once and kept in .jarvis/ (0600). Returns the URL the
 * worker and the API connect with.
 */
async function prepareDatabase(adminUrl: string, freshCluster?: string): Promise<string> {
  await ensureDatabase(adminUrl);
  const pool = createPool(adminUrl);
  try {
    const { applied } = await migrate(pool);
    log(applied.length ? `database migrated: ${applied.join(', ')}` : 'database up to date');
    // The simulated cluster starts afresh: what the operator wished of its guests last time (a
    // stop the monitor never saw happen) would make a crash of the new guest look intended.
    if (freshCluster) {
      const forgotten = await new DesiredStateRepository(pool).forgetCluster(freshCluster);
      if (forgotten > 0)
        log(
          `the simulated cluster started afresh: forgot ${forgotten} desired guest state${forgotten === 1 ? '' : 's'} of the last one`,
        );
    }
  } finally {
    await pool.end();
  }
  const password = readOrCreateSecret(STATE, 'db-app-password', () => randomBytes(24).toString('base64url')).trim();
  try {
    const app = await ensureAppRole(adminUrl, { password });
    log(`the worker and the API connect to Postgres as "${app.role}" (rows of Jarvis's tables only)`);
    return app.url;
  } catch (err) {
    if (!(err instanceof AppRoleNotPermittedError)) throw err;
    log(`WARNING: ${err.message}; the worker and the API connect as DATABASE_URL's own user`);
    return adminUrl;
  }
}

/**
 * The simulated cluster starts afresh on every run while Temporal keeps the guardian: the attempts
 * it counted (3 per incident per hour) were against guests that no longer exist, and would hold
 * the first crashes of this run. Forget them, once the worker has the guardian running; say so.
 */
async function forgetPreviousClusterAttempts(env: NodeJS.ProcessEnv): Promise<void> {
  const connection = await Connection.connect({ address: env['TEMPORAL_ADDRESS'] ?? `127.0.0.1:${TEMPORAL_PORT}` });
  try {
    const client = new Client({ connection, namespace: env['TEMPORAL_NAMESPACE'] ?? 'default' });
    const guardian = client.workflow.getHandle(guardianIdFor(env['JARVIS_CLUSTER'] ?? 'default'));
    for (let i = 0; i < 60; i++) {
      try {
        const { forgotten } = await guardian.executeUpdate(forgetAttemptsUpdate, {
          args: [{ by: 'demo', reason: 'the simulated cluster started afresh' }],
        });
        if (forgotten > 0)
          log(
            `the simulated cluster started afresh: the guardian forgot ${forgotten} attempt${forgotten === 1 ? '' : 's'} counted against the last one`,
          );
        return;
      } catch {
        // Not started yet (the worker starts it), or an older guardian without the update: try again.
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    log('the guardian did not answer; attempts from the previous run still count toward its rate limit');
  } finally {
    await connection.close();
  }
}
