import { type Client } from '@temporalio/client';
import { type NativeConnection, Worker } from '@temporalio/worker';
import {
  ClusterSnapshot,
  PermissionSelfCheck,
  PolicySource,
  settingsPermissionStore,
  type ConfiguredPolicy,
  type LlmSettings,
  type NotifyDeps,
  type ProxmoxClient,
  type SshRunner,
} from '@jarvis/activities';
import { ArchiveQueueRepository, ArchiveRepository, SettingsRepository } from '@jarvis/db';
import { DEFAULT_PROTECTED } from '@jarvis/policies';
import { type Pool } from 'pg';
import { createJarvisActivities } from './activities';
import { WorkflowArchiver } from './archiver';
import { guardianInputFor, startAutonomy, type AutonomyOptions } from './autonomy';
import { WORKFLOW_BUNDLE_PATH } from './bundle-path';
import { autonomySingletons, replaceIncompatibleSingletons } from './singletons';

export interface JarvisWorkerOptions {
  readonly connection: NativeConnection;
  /** A client for the archiver (it reads closed runs' histories). */
  readonly client: Client;
  readonly namespace: string;
  readonly taskQueue: string;
  readonly pve: ProxmoxClient;
  readonly pool: Pool;
  readonly bundlePath?: string;
  readonly archiverPollMs?: number;
  readonly log?: (message: string) => void;
  /** Monitoring and remediation: with `start`, the monitor and the guardian are started at boot. */
  readonly autonomy?: AutonomyOptions & { readonly start?: boolean };
  readonly notify?: NotifyDeps;
  readonly ssh?: SshRunner;
  /** Chat models, prices and budget caps. */
  readonly llm?: LlmSettings;
  /**
   * What this worker is configured to protect, and its approval rule; written to the policy store
   * at start. Defaults to the autonomy options' (or Jarvis's default protected set and two-person rule).
   */
  readonly policy?: ConfiguredPolicy;
  /** The cluster whose policy this worker loads (default: the autonomy options' cluster, else `default`). */
  readonly cluster?: string;
}

export interface JarvisWorker {
  readonly worker: Worker;
  readonly archiver: WorkflowArchiver;
  /** Runs until shutdown; resolves once in-flight tasks have drained. */
  run(): Promise<void>;
  shutdown(): Promise<void>;
}

export async function createJarvisWorker(opts: JarvisWorkerOptions): Promise<JarvisWorker> {
  const cluster = opts.cluster ?? opts.autonomy?.config.cluster ?? 'default';
  const configured: ConfiguredPolicy = opts.policy ?? {
    protected: opts.autonomy?.protectedResources ?? DEFAULT_PROTECTED,
    twoPersonRule: opts.autonomy?.twoPersonRule ?? true,
  };
  const policy = new PolicySource(opts.pool, cluster, configured);
  // The store records what this worker protects, so each version says what it was judged with.
  // (The two-person rule is the API's to record: it knows the operators.)
  await policy.update(
    (doc) => ({ ...doc, protected: configured.protected }),
    'jarvis-worker',
    'protected resources from the worker configuration',
  );
  // The token's self-check: at start-up (a restarted worker never trusts an older token's rights),
  // then whenever the monitor looks and the last check is over 5 minutes old, and on a timer.
  const permissionCheck = new PermissionSelfCheck({
    pve: opts.pve,
    store: settingsPermissionStore(new SettingsRepository(opts.pool), cluster, 'worker'),
  });
  let loggedCheck: string | undefined;
  const selfCheck = (): void => {
    permissionCheck.current().then(
      (r) => {
        if (r.checkedAt === loggedCheck) return;
        loggedCheck = r.checkedAt;
        const short = r.capabilities.filter((c) => c.status !== 'available').map((c) => `${c.id} ${c.status}`);
        opts.log?.(
          `proxmox token ${r.tokenUser}: ${r.error ?? (short.length ? short.join(', ') : 'every capability available')}`,
        );
      },
      (err: unknown) => opts.log?.(`could not store the proxmox permission check: ${(err as Error).message}`),
    );
  };
  let selfCheckTimer: NodeJS.Timeout | undefined;
  const worker = await Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    workflowBundle: { codePath: opts.bundlePath ?? WORKFLOW_BUNDLE_PATH },
    activities: createJarvisActivities({
      policy,
      pve: opts.pve,
      pool: opts.pool,
      bundlePath: opts.bundlePath ?? WORKFLOW_BUNDLE_PATH,
      client: opts.client,
      taskQueue: opts.taskQueue,
      // One cache for every monitor poll and re-check in this worker; never longer than half a poll.
      snapshot: new ClusterSnapshot({
        client: opts.pve,
        ttlMs: Math.min(1000, Math.floor((opts.autonomy?.config.intervals.criticalMs ?? 2000) / 2)),
      }),
      notify: { ...(opts.log ? { log: opts.log } : {}), ...opts.notify },
      ...(opts.ssh ? { ssh: opts.ssh } : {}),
      ...(opts.llm ? { llm: opts.llm } : {}),
      ...(opts.autonomy ? { guardianInput: () => guardianInputFor(opts.pool, opts.autonomy!) } : {}),
      cluster,
      ...(opts.autonomy ? { tasksEveryMs: opts.autonomy.config.intervals.importantMs } : {}),
      permissionCheck,
    }),
    // Explicit, as the house style asks; the SDK's defaults measured best here (TEMPORAL_NOTES.md).
    maxCachedWorkflows: 500,
    shutdownGraceTime: '10s',
  });
  const archiver = new WorkflowArchiver({
    client: opts.client,
    queue: new ArchiveQueueRepository(opts.pool),
    archive: new ArchiveRepository(opts.pool),
    pollMs: opts.archiverPollMs ?? 1000,
    ...(opts.log ? { log: opts.log } : {}),
  });
  return {
    worker,
    archiver,
    async run() {
      archiver.start();
      selfCheck();
      selfCheckTimer = setInterval(selfCheck, 5 * 60_000);
      selfCheckTimer.unref();
      if (opts.autonomy?.start) {
        const autonomy = opts.autonomy;
        // A monitor or guardian left running by an older build is replaced first if this build
        // cannot replay it; then both are started unless they run.
        void replaceIncompatibleSingletons({
          client: opts.client,
          taskQueue: opts.taskQueue,
          bundlePath: opts.bundlePath ?? WORKFLOW_BUNDLE_PATH,
          singletons: autonomySingletons(opts.pool, opts.taskQueue, autonomy),
          ...(opts.log ? { log: opts.log } : {}),
        })
          .catch((err: unknown) => opts.log?.(`could not check the running monitor: ${(err as Error).message}`))
          .then(() => startAutonomy(opts.client, opts.pool, opts.taskQueue, autonomy))
          .then(
            ({ guardianId, monitorId }) => opts.log?.(`watching the cluster: ${monitorId}, ${guardianId}`),
            (err: unknown) => opts.log?.(`could not start the monitor: ${(err as Error).message}`),
          );
      }
      try {
        await worker.run();
      } finally {
        clearInterval(selfCheckTimer);
        await archiver.stop();
      }
    },
    async shutdown() {
      clearInterval(selfCheckTimer);
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await archiver.stop();
    },
  };
}
