import {
  type DesiredStateIntent,
  type DesiredStateObservation,
  type DesiredStateRepository,
  type DesiredStateView,
  type TaskVisibility,
} from '@jarvis/db';
import { desiredFromTaskType } from '@jarvis/policies';
import { type ProxmoxClient } from './proxmox.client';
import { PermissionSelfCheck, taskVisibilityOf, type PermissionSource } from './permission-check';
import { isTaskOk, type PveTaskListEntry } from './task-records';

/**
 * The desired-state projection of one cluster, as the activities use it (ARCHITECTURE.md,
 * "Desired state"): every power action records its wish here before its Proxmox call.
 */
export interface DesiredStateStore {
  record(intent: Omit<DesiredStateIntent, 'cluster'>): Promise<boolean>;
  /** Takes back a wish whose action Proxmox refused outright: the guest's state never changed. */
  withdraw(intent: Pick<DesiredStateIntent, 'vmid' | 'source' | 'setAt'>): Promise<void>;
  observe(observation: Omit<DesiredStateObservation, 'cluster'>): Promise<void>;
  list(): Promise<DesiredStateView[]>;
}

/** The store of one cluster over the Postgres projection. */
export function clusterDesiredStates(repo: DesiredStateRepository, cluster: string): DesiredStateStore {
  return {
    record: (intent) => repo.record({ ...intent, cluster }),
    withdraw: (intent) => repo.withdraw({ ...intent, cluster }),
    observe: (observation) => repo.observe({ ...observation, cluster }),
    list: () => repo.list(cluster),
  };
}

export interface ClusterTaskWatchOptions {
  readonly pve: Pick<ProxmoxClient, 'clusterTasks' | 'apiUser'> & PermissionSource;
  readonly store: Omit<DesiredStateStore, 'withdraw'>;
  /** The least time between two reads of /cluster/tasks that nothing forced. Default 10 s. */
  readonly minIntervalMs?: number;
  /**
   * The token's self-check, whose `tasks.others` capability says whether other users' tasks are
   * visible. Default: one of its own over `pve`, checked every `permissionsEveryMs`.
   */
  readonly permissionCheck?: PermissionSelfCheck;
  /** How often the token's privileges are checked again, when the watch has its own check. Default 5 min. */
  readonly permissionsEveryMs?: number;
  /** Told each time the visibility is (re)checked. */
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
  readonly #store: Omit<DesiredStateStore, 'withdraw'>;
  readonly #minIntervalMs: number;
  readonly #permissions: PermissionSelfCheck;
  readonly #onVisibility: ClusterTaskWatchOptions['onVisibility'];
  #lastReadAt = 0;
  #toldFor: string | undefined;
  #reads = 0;

  constructor(o: ClusterTaskWatchOptions) {
    this.#pve = o.pve;
    this.#store = o.store;
    this.#minIntervalMs = o.minIntervalMs ?? 10_000;
    this.#permissions =
      o.permissionCheck ??
      new PermissionSelfCheck({ pve: o.pve, ...(o.permissionsEveryMs ? { everyMs: o.permissionsEveryMs } : {}) });
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

  /**
   * Whether other users' tasks are visible to Jarvis: the `tasks.others` capability of the token's
   * self-check (Sys.Audit on `/` and on the nodes), checked now and then.
   */
  async visibility(signal?: AbortSignal): Promise<TaskVisibility> {
    const report = await this.#permissions.current(signal);
    const visibility = taskVisibilityOf(report);
    if (this.#toldFor !== report.checkedAt) {
      this.#toldFor = report.checkedAt;
      await this.#onVisibility?.(visibility);
    }
    return visibility;
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
