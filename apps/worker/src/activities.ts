import { type Client } from '@temporalio/client';
import {
  ChangeGuard,
  ClusterSnapshot,
  ClusterTaskWatch,
  clusterDesiredStates,
  createChatActivities,
  createDbActivities,
  createLlmActivities,
  createNotifyActivities,
  createPolicyActivities,
  createProxmoxActivities,
  createRemediationActivities,
  PermissionSelfCheck,
  settingsPermissionStore,
  type LlmSettings,
  type NotifyDeps,
  type PolicySource,
  type ProxmoxClient,
  type SshRunner,
} from '@jarvis/activities';
import {
  ApprovalsRepository,
  ArchiveQueueRepository,
  ArchiveRepository,
  AuditRepository,
  ChatRepository,
  DesiredStateRepository,
  IncidentsRepository,
  LlmCostsRepository,
  SettingsRepository,
} from '@jarvis/db';
import { type GuardianInput } from '@jarvis/workflows/api';
import { type Pool } from 'pg';
import { WORKFLOW_BUNDLE_PATH } from './bundle-path';
import { createGuardianActivities } from './guardian.activities';
import { createReplayActivities } from './replay.activities';

/** Every activity the worker registers, wired to real clients. The tool catalog's handlers must all be here. */
export function createJarvisActivities({
  pve,
  pool,
  bundlePath = WORKFLOW_BUNDLE_PATH,
  client,
  taskQueue,
  snapshot = new ClusterSnapshot({ client: pve, ttlMs: 1000 }),
  notify = {},
  ssh,
  guardianInput,
  llm = {},
  cluster = 'default',
  tasksEveryMs = 10_000,
  policy,
  permissionCheck = new PermissionSelfCheck({
    pve,
    store: settingsPermissionStore(new SettingsRepository(pool), cluster, 'worker'),
  }),
}: {
  pve: ProxmoxClient;
  /**
   * The token's self-check, stored for the API (/api/proxmox/permissions, /api/health): whether
   * other users' tasks are visible, and which tools the chat offers.
   */
  permissionCheck?: PermissionSelfCheck;
  /**
   * Jarvis's policy for this cluster (its store joined with this worker's configuration): what
   * workflows load, and what the last line of defence judges every change by.
   */
  policy: PolicySource;
  /** The cluster's name (JARVIS_CLUSTER): the desired states are kept per cluster. */
  cluster?: string;
  /** The least time between two reads of Proxmox's task list that no stop forced. */
  tasksEveryMs?: number;
  pool: Pool;
  bundlePath?: string;
  /** For the guardian's updates, starting remediations, and replay of not-yet-archived runs. */
  client?: Client;
  taskQueue?: string;
  /** The worker's shared cluster cache, read by the monitor. */
  snapshot?: ClusterSnapshot;
  notify?: NotifyDeps;
  /** The SSH pool, when configured: chat's ssh.run and service.status, and the service-restart runbook. */
  ssh?: SshRunner;
  guardianInput?: () => Promise<GuardianInput>;
  /** Chat models, prices and budget caps; without a key or URL the turn falls back to the offline parser. */
  llm?: LlmSettings;
}) {
  const chat = new ChatRepository(pool);
  const desired = clusterDesiredStates(new DesiredStateRepository(pool), cluster);
  const tasks = new ClusterTaskWatch({
    pve,
    store: desired,
    minIntervalMs: tasksEveryMs,
    permissionCheck,
  });
  const audit = new AuditRepository(pool);
  const guard = new ChangeGuard(policy, audit);
  return {
    ...createPolicyActivities({ source: policy }),
    ...createProxmoxActivities({ pve, desired, tasks, guard }),
    ...createChatActivities({
      pve,
      chat,
      desired,
      guard,
      ...(ssh ? { ssh } : {}),
      audit,
      approvals: new ApprovalsRepository(pool),
      permissions: () => permissionCheck.lastKnown(),
    }),
    ...createLlmActivities({
      settings: llm,
      costs: new LlmCostsRepository(pool),
      notify: (payload) => chat.notify(payload),
    }),
    ...createRemediationActivities({
      cluster: snapshot,
      incidents: new IncidentsRepository(pool),
      desired,
      tasks,
      guard,
      ...(ssh ? { ssh } : {}),
    }),
    ...createNotifyActivities(notify),
    ...createGuardianActivities({
      ...(client ? { client } : {}),
      ...(taskQueue ? { taskQueue } : {}),
      ...(guardianInput ? { guardianInput } : {}),
      taskVisibility: () => tasks.visibility(),
    }),
    ...createDbActivities({
      audit: new AuditRepository(pool),
      approvals: new ApprovalsRepository(pool),
      archiveQueue: new ArchiveQueueRepository(pool),
    }),
    ...createReplayActivities({ archive: new ArchiveRepository(pool), bundlePath, ...(client ? { client } : {}) }),
  };
}

export type JarvisActivities = ReturnType<typeof createJarvisActivities>;
