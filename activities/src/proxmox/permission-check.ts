import {
  readLegacyTaskVisibility,
  readPermissionCheck,
  writePermissionCheck,
  type SettingsRepository,
  type StoredPermissionCheck,
  type TaskVisibility,
} from '@jarvis/db';
import { assessCapabilities, describeMissing, type PermissionReport } from '@jarvis/policies';
import { type CallOptions } from './proxmox.client';

/** What the self-check needs of a Proxmox client: `GET /access/permissions`, and who it is. */
export interface PermissionSource {
  readonly apiUser: string;
  permissions(opts?: CallOptions): Promise<unknown>;
}

/** Where the last check is kept: one row per cluster in the settings table, or memory in tests. */
export interface PermissionCheckStore {
  read(): Promise<StoredPermissionCheck | null>;
  write(check: StoredPermissionCheck): Promise<void>;
}

export function settingsPermissionStore(
  settings: Pick<SettingsRepository, 'get' | 'set'>,
  cluster: string,
  by: string,
): PermissionCheckStore {
  return {
    read: () => readPermissionCheck(settings, cluster),
    write: (check) => writePermissionCheck(settings, cluster, check, by),
  };
}

/** The capability table's verdict on a stored check: judged when read, so it follows the table. */
export function permissionReportOf(check: StoredPermissionCheck): PermissionReport {
  return {
    checkedAt: check.checkedAt,
    tokenUser: check.tokenUser,
    // A check that failed holds no privileges: every capability is unavailable.
    capabilities: assessCapabilities(check.error === undefined ? check.privileges : {}),
    ...(check.error !== undefined ? { error: check.error } : {}),
  };
}

const HELD_AT_L2 = 'the crashed-VM runbook asks before it acts (L2)';

/**
 * Whether Jarvis sees other users' tasks, as the `tasks.others` capability says: one source of
 * truth for the crashed-VM runbook's cap, /api/guardrails and /api/health.
 */
export function taskVisibilityOf(report: PermissionReport): TaskVisibility {
  const checkedAt = report.checkedAt;
  const tasks = report.capabilities.find((c) => c.id === 'tasks.others');
  if (report.error !== undefined)
    return {
      othersVisible: false,
      reason: `the API token's privileges could not be read (${report.error.slice(0, 200)}); ${HELD_AT_L2}`,
      checkedAt,
    };
  if (tasks?.status === 'available')
    return { othersVisible: true, reason: 'the API token has Sys.Audit on / and on every node', checkedAt };
  const missing = tasks ? describeMissing(tasks.missing) : 'Sys.Audit on /';
  return {
    othersVisible: false,
    reason:
      `the API token lacks ${missing}: Proxmox hides other users' tasks from it, so a stop made in ` +
      `Proxmox's own UI cannot be told from a crash; ${HELD_AT_L2}`,
    checkedAt,
  };
}

/** The last stored report of a cluster, or null before the first check. */
export async function readPermissionReport(
  settings: Pick<SettingsRepository, 'get'>,
  cluster: string,
): Promise<PermissionReport | null> {
  const check = await readPermissionCheck(settings, cluster);
  return check ? permissionReportOf(check) : null;
}

/**
 * Whether other users' tasks are visible, from the stored permission check; a worker from before
 * the self-check stored only its visibility, which is read when no check is stored.
 */
export async function readTaskVisibility(
  settings: Pick<SettingsRepository, 'get'>,
  cluster: string,
): Promise<TaskVisibility | null> {
  const report = await readPermissionReport(settings, cluster);
  return report ? taskVisibilityOf(report) : readLegacyTaskVisibility(settings, cluster);
}

/** A clock ahead by more than this makes a stored check look fresh for ever: such a check is stale. */
const FUTURE_SKEW_MS = 60_000;
/** A check that could not read the privileges is tried again sooner: Proxmox may just have been away. */
const FAILED_CHECK_TRUSTED_MS = 30_000;

/** Waits for a shared promise, or for this caller's signal, whichever comes first. */
function abortable<T>(shared: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return shared;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export interface PermissionSelfCheckOptions {
  readonly pve: PermissionSource;
  /** Default: memory only. */
  readonly store?: PermissionCheckStore;
  /** How long a check is trusted before the next one. Default 5 min. */
  readonly everyMs?: number;
}

/**
 * The token's self-check: `GET /access/permissions`, kept in the store. Each process checks once
 * on its first ask (a restarted worker never trusts what an older token could do), then trusts
 * the newest check, its own or another's (the dashboard's "check again"), for `everyMs`.
 * Concurrent asks share one call.
 */
export class PermissionSelfCheck {
  readonly #pve: PermissionSource;
  readonly #store: PermissionCheckStore;
  readonly #everyMs: number;
  #last: StoredPermissionCheck | undefined;
  #inFlight: Promise<PermissionReport> | undefined;

  constructor(o: PermissionSelfCheckOptions) {
    this.#pve = o.pve;
    let memory: StoredPermissionCheck | null = null;
    this.#store = o.store ?? {
      read: () => Promise.resolve(memory),
      write: (check) => {
        memory = check;
        return Promise.resolve();
      },
    };
    this.#everyMs = o.everyMs ?? 5 * 60_000;
  }

  /** The newest check if it is recent enough, else a new one. */
  async current(signal?: AbortSignal): Promise<PermissionReport> {
    if (this.#inFlight) return abortable(this.#inFlight, signal);
    if (this.#last === undefined) return this.checkNow(signal);
    const stored = await this.#store.read().catch(() => null);
    const newest = [stored, this.#last]
      .filter((c): c is StoredPermissionCheck => c !== null)
      .reduce((a, b) => (Date.parse(b.checkedAt) > Date.parse(a.checkedAt) ? b : a));
    const age = Date.now() - Date.parse(newest.checkedAt);
    const trusted = newest.error === undefined ? this.#everyMs : Math.min(this.#everyMs, FAILED_CHECK_TRUSTED_MS);
    if (age >= -FUTURE_SKEW_MS && age < trusted) return permissionReportOf(newest);
    return this.checkNow(signal);
  }

  /** The newest check this process knows of (its own or the store's), without calling Proxmox. */
  async lastKnown(): Promise<PermissionReport | null> {
    const stored = await this.#store.read().catch(() => null);
    const newest = [stored, this.#last ?? null]
      .filter((c): c is StoredPermissionCheck => c !== null)
      .sort((a, b) => Date.parse(b.checkedAt) - Date.parse(a.checkedAt))[0];
    return newest ? permissionReportOf(newest) : null;
  }

  /**
   * Checks now, stores the check and returns its report. A refused or failed read is a report too.
   * Callers share one check; a caller's signal ends its own wait, not the check others wait for.
   */
  checkNow(signal?: AbortSignal): Promise<PermissionReport> {
    this.#inFlight ??= this.#check().finally(() => {
      this.#inFlight = undefined;
    });
    return abortable(this.#inFlight, signal);
  }

  async #check(): Promise<PermissionReport> {
    const checkedAt = new Date().toISOString();
    const tokenUser = this.#pve.apiUser;
    let check: StoredPermissionCheck;
    try {
      // No caller's signal: the client's own timeout bounds the call.
      const privileges = await this.#pve.permissions();
      check = { checkedAt, tokenUser, privileges };
    } catch (err) {
      check = { checkedAt, tokenUser, privileges: {}, error: String((err as Error)?.message ?? err).slice(0, 300) };
    }
    this.#last = check;
    await this.#store.write(check);
    return permissionReportOf(check);
  }
}
