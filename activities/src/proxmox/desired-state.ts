import {
  type DesiredStateIntent,
  type DesiredStateObservation,
  type DesiredStateRepository,
  type DesiredStateView,
  type TaskVisibility,
} from '@jarvis/db';
import { desiredFromTaskType } from '@jarvis/policies';
import { type ProxmoxClient } from './proxmox.client';
import { isTaskOk, type PveTaskListEntry } from './task-records';

/**
 * The desired-state projection of one cluster, as the activities use it (ARCHITECTURE.md,
 * "Desired state"): every power action records its wish here before its Proxmox call.
 */
export interface DesiredStateStore {
  record(intent: Omit<DesiredStateIntent, 'cluster'>): Promise<boolean>;
  observe(observation: Omit<DesiredStateObservation, 'cluster'>): Promise<void>;
  list(): Promise<DesiredStateView[]>;
}

/** The store of one cluster over the Postgres projection. */
export function clusterDesiredStates(repo: DesiredStateRepository, cluster: string): DesiredStateStore {
  return {
    record: (intent) => repo.record({ ...intent, cluster }),
    observe: (observation) => repo.observe({ ...observation, cluster }),
    list: () => repo.list(cluster),
  };
}

export interface ClusterTaskWatchOptions {
  readonly pve: Pick<ProxmoxClient, 'clusterTasks' | 'permissions' | 'apiUser'>;
  readonly store: DesiredStateStore;
  /** The least time between two reads of /cluster/tasks that nothing forced. Default 10 s. */
  readonly minIntervalMs?: number;
  /** How often the token's privileges are checked again. Default 5 min. */
  readonly permissionsEveryMs?: number;
  /** Told each time the visibility is (re)checked, e.g. to store it for the API. */
  readonly onVisibility?: (visibility: TaskVisibility) => Promise<void> | void;
}

/**
 * Power actions made outside Jarvis, from Proxmox's task list: one `GET /cluster/tasks` for the
 * whole cluster (never a request per node), at most every `minIntervalMs` unless the caller forces
 * it because a guest it saw running is now stopped. A power task by any identity other than
 * Jarvis's own token sets that guest's desired state, if it is newer than the recorded wish.
 */
export class ClusterTaskWatch {
  readonly #pve: ClusterTaskWatchOptions['pve'];
  readonly #store: DesiredStateStore;
  readonly #minIntervalMs: number;
  readonly #permissionsEveryMs: number;
  readonly #onVisibility: ClusterTaskWatchOptions['onVisibility'];
  #lastReadAt = 0;
  #visibility: TaskVisibility | undefined;
  #visibilityAt = 0;
  #reads = 0;

  constructor(o: ClusterTaskWatchOptions) {
    this.#pve = o.pve;
    this.#store = o.store;
    this.#minIntervalMs = o.minIntervalMs ?? 10_000;
    this.#permissionsEveryMs = o.permissionsEveryMs ?? 5 * 60_000;
    this.#onVisibility = o.onVisibility;
  }

  /** How many times /cluster/tasks was read: the upstream cost, for tests. */
  get reads(): number {
    return this.#reads;
  }

  /** Reads the task list when due (or forced) and records the wishes it shows; returns how many. */
  async sync(force: boolean, signal?: AbortSignal): Promise<number> {
    const now = Date.now();
    if (!force && now - this.#lastReadAt < this.#minIntervalMs) return 0;
    this.#lastReadAt = now;
    this.#reads++;
    const tasks = await this.#pve.clusterTasks(signal ? { signal } : undefined);
    let recorded = 0;
    // Oldest first, so that the newest task for a guest is the one that stays.
    for (const task of [...tasks].reverse()) {
      const intent = outsideIntent(task, this.#pve.apiUser);
      if (intent && (await this.#store.record(intent))) recorded++;
    }
    return recorded;
  }

  /** Whether other users' tasks are visible to Jarvis: Sys.Audit on `/`, checked now and then. */
  async visibility(signal?: AbortSignal): Promise<TaskVisibility> {
    const now = Date.now();
    if (this.#visibility && now - this.#visibilityAt < this.#permissionsEveryMs) return this.#visibility;
    this.#visibilityAt = now;
    let next: TaskVisibility;
    try {
      const perms = await this.#pve.permissions(signal ? { signal } : undefined);
      const held = perms['/']?.['Sys.Audit'] === true;
      next = held
        ? { othersVisible: true, reason: 'the API token has Sys.Audit on /', checkedAt: new Date(now).toISOString() }
        : {
            othersVisible: false,
            reason:
              "the API token lacks Sys.Audit on /: Proxmox hides other users' tasks from it, so a stop made in " +
              "Proxmox's own UI cannot be told from a crash; the crashed-VM runbook asks before it acts (L2)",
            checkedAt: new Date(now).toISOString(),
          };
    } catch (err) {
      next = {
        othersVisible: false,
        reason: `the API token's privileges could not be read (${(err as Error).message.slice(0, 200)}); the crashed-VM runbook asks before it acts (L2)`,
        checkedAt: new Date(now).toISOString(),
      };
    }
    this.#visibility = next;
    await this.#onVisibility?.(next);
    return next;
  }
}

/**
 * The wish a task from the cluster's task list expresses, or undefined: Jarvis's own tasks (its
 * wishes were recorded before they were issued), failed tasks (nothing changed) and tasks that are
 * not power actions say nothing.
 */
export function outsideIntent(
  task: PveTaskListEntry,
  apiUser: string,
): Omit<DesiredStateIntent, 'cluster'> | undefined {
  if (task.user === apiUser) return undefined;
  const desired = desiredFromTaskType(task.type);
  if (!desired) return undefined;
  if (task.status !== undefined && task.status !== 'RUNNING' && !isTaskOk(task.status)) return undefined;
  const vmid = Number(task.id);
  if (!/^\d{3,9}$/.test(task.id) || !Number.isSafeInteger(vmid)) return undefined;
  return {
    vmid,
    node: task.node,
    desired,
    source: `pve-task:${task.upid}`,
    setAt: new Date(task.starttime * 1000).toISOString(),
  };
}
