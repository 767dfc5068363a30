import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, makeTelemetryFilterString, NativeConnection, Runtime } from '@temporalio/worker';
import { KnownHosts, type PolicySource, ProxmoxClient, SshPool, type SshRunner } from '@jarvis/activities';
import { type DecisionSigner } from '@jarvis/api';
import { createPool } from '@jarvis/db';
import {
  generateSshKeyPair,
  startSimSshServers,
  startSimulator,
  type RunningSimulator,
  type SimulatorOptions,
} from '@jarvis/pve-sim';
import { createJarvisWorker, type AutonomyOptions, type JarvisWorker } from '@jarvis/worker';
import { type LlmSettings, type NotifyDeps } from '@jarvis/activities';
import { type Pool } from 'pg';
import { createTrust } from './vouch';

export const ROOT = join(__dirname, '..', '..');
export const OPERATOR = { username: 'operator', password: 'operator-Secret-1' };
export const SECOND = { username: 'second', password: 'second-Secret-2' };

export interface TestStack {
  readonly sim: RunningSimulator;
  readonly temporalAddress: string;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly databaseUrl: string;
  readonly pool: Pool;
  readonly client: Client;
  readonly pve: ProxmoxClient;
  /** A complete environment for `loadConfig`, pointing at this stack. */
  readonly env: Record<string, string>;
  /** This stack's cluster name (unique per stack): its monitor and guardian IDs derive from it. */
  readonly cluster: string;
  /** With `ssh: true`: Jarvis's SSH pool to the simulator's per-node SSH servers, handed to the worker. */
  readonly ssh?: SshRunner;
  /**
   * The API's signing key for this stack (also JARVIS_SIGNING_KEY in `env`): tests sign decisions
   * and requests with it as the API does. Its public half is in this stack's policy store.
   */
  readonly signer: DecisionSigner;
  /** This stack's cluster policy in Jarvis's versioned store (what workflows load). */
  readonly policy: PolicySource;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  /** The worker as its own OS process (`apps/worker/dist/main.js`), for crash tests. */
  spawnWorkerProcess(): ChildProcess;
  close(): Promise<void>;
}

let runtimeInstalled = false;

/** Quiet the SDK and its core for tests: errors only (an outage test would otherwise flood the output). */
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), console: {} } },
    });
  } catch {
    // Already installed by another file in this process.
  }
}

export async function startStack(
  opts: {
    worker?: boolean;
    sim?: SimulatorOptions;
    env?: Record<string, string>;
    /** Monitoring and remediation for the in-process worker (started at boot unless `start: false`). */
    autonomy?: AutonomyOptions & { start?: boolean };
    notify?: NotifyDeps;
    /** The in-process worker's log lines. */
    log?: (message: string) => void;
    /** Chat models for the in-process worker (the fake LLM servers in tests). */
    llm?: LlmSettings;
    /** Start the simulator's SSH servers and give the in-process worker an SSH pool to them. */
    ssh?: boolean;
    /**
     * Jarvis (worker, `env` for the API) uses the simulator's restricted token, whose privileges
     * `/_sim/permissions` sets (PVEAuditor on / by default), instead of the root-equivalent one.
     */
    restricted?: boolean;
    /**
     * Talk to the simulator's per-node endpoints (the first node first) trusting its cluster CA,
     * as an install pointed at its nodes does: taking a node offline takes its API away and Jarvis
     * fails over. Default: the main address (never goes down) with its pinned fingerprint.
     */
    nodeEndpoints?: boolean;
  } = {},
): Promise<TestStack> {
  const temporalAddress = process.env['JARVIS_TEST_TEMPORAL_ADDRESS'];
  const databaseUrl = process.env['JARVIS_TEST_DB'];
  if (!temporalAddress || !databaseUrl) throw new Error('the jest global setup did not run (no Temporal or database)');
  installRuntime();

  const sim = await startSimulator({ port: 0, taskMs: 100, refreshMs: 100, authFailDelayMs: 20, ...opts.sim });
  const taskQueue = `test-${randomBytes(6).toString('hex')}`;
  const cluster = opts.autonomy?.config.cluster ?? taskQueue;
  const namespace = 'default';
  const pool = createPool(databaseUrl);
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace });
  const pveToken = opts.restricted ? sim.restrictedToken : sim.token;
  // PVE_CA_FILE is a file: the CA goes to a private temp dir removed on close.
  const caDir = opts.nodeEndpoints ? mkdtempSync(join(tmpdir(), 'jarvis-pve-ca-')) : undefined;
  if (caDir) writeFileSync(join(caDir, 'pve-root-ca.pem'), sim.caPem, { mode: 0o600 });
  const pveUrls = opts.nodeEndpoints ? sim.endpoints.map((e) => e.url) : [sim.url];
  const pve = new ProxmoxClient(
    opts.nodeEndpoints
      ? { baseUrl: pveUrls, token: pveToken, caPem: sim.caPem }
      : { baseUrl: sim.url, token: pveToken, fingerprint: sim.fingerprint },
  );
  const { signer, policy, signingKey } = await createTrust(pool, cluster);
  let ssh: SshPool | undefined;
  if (opts.ssh) {
    const key = generateSshKeyPair();
    const servers = await startSimSshServers(sim, { authorizedKeys: key.publicKey });
    ssh = new SshPool({
      targets: servers.endpoints.map((e) => ({ node: e.node, host: e.host, port: e.port, username: 'root' })),
      privateKey: key.privateKey,
      knownHosts: KnownHosts.parse(servers.endpoints.map((e) => e.hostKeyLine).join('\n')),
      reconnect: { initialMs: 100, maxMs: 400 },
      readyTimeoutMs: 3_000,
    });
  }

  const env: Record<string, string> = {
    PVE_URL: pveUrls.join(','),
    PVE_TOKEN: pveToken,
    ...(caDir ? { PVE_CA_FILE: join(caDir, 'pve-root-ca.pem') } : { PVE_FINGERPRINT: sim.fingerprint }),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TASK_QUEUE: taskQueue,
    JARVIS_USERNAME: OPERATOR.username,
    JARVIS_PASSWORD: OPERATOR.password,
    JARVIS_USERS: JSON.stringify([SECOND]),
    JWT_SECRET: randomBytes(32).toString('hex'),
    JARVIS_SIGNING_KEY: signingKey,
    APPROVAL_TTL_MS: '60000',
    APPROVAL_ESCALATE_MS: '30000',
    // Other suites stop and crash guests on purpose: nothing watches unless a test asks for it.
    JARVIS_CLUSTER: cluster,
    MONITOR_AUTOSTART: '0',
    ...opts.env,
  };

  let worker: JarvisWorker | undefined;
  let nativeConnection: NativeConnection | undefined;
  let running: Promise<void> | undefined;
  const children = new Set<ChildProcess>();

  const stack: TestStack = {
    sim,
    temporalAddress,
    namespace,
    taskQueue,
    databaseUrl,
    pool,
    client,
    pve,
    env,
    cluster,
    signer,
    policy,
    ...(ssh ? { ssh } : {}),
    async startWorker() {
      if (worker) return;
      nativeConnection ??= await NativeConnection.connect({ address: temporalAddress });
      worker = await createJarvisWorker({
        connection: nativeConnection,
        client,
        namespace,
        taskQueue,
        pve,
        pool,
        cluster,
        archiverPollMs: 200,
        ...(opts.autonomy ? { autonomy: { start: true, ...opts.autonomy } } : {}),
        ...(opts.notify ? { notify: opts.notify } : {}),
        ...(opts.log ? { log: opts.log } : {}),
        ...(opts.llm ? { llm: opts.llm } : {}),
        ...(ssh ? { ssh } : {}),
      });
      running = worker.run();
    },
    async stopWorker() {
      if (!worker) return;
      await worker.shutdown();
      await running;
      worker = undefined;
    },
    spawnWorkerProcess() {
      const child = spawn(process.execPath, [join(ROOT, 'apps/worker/dist/main.js')], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    async close() {
      for (const child of children) child.kill('SIGKILL');
      await stack.stopWorker();
      await nativeConnection?.close();
      await connection.close();
      await pve.close();
      await pool.end();
      await ssh?.close();
      await sim.close();
      if (caDir) rmSync(caDir, { recursive: true, force: true });
    },
  };
  if (opts.worker !== false) await stack.startWorker();
  return stack;
}
