import { type Pool } from 'pg';
import { type SettingsRepository } from './settings.repository';

/** Kept in step with `DesiredState` in @jarvis/policies (this package has no dependency on it). */
export type DesiredStateValue = 'running' | 'stopped';

/**
 * The settings key of a `TaskVisibility` as workers before the permission self-check stored it.
 * Read only when no permission check is stored (see `readTaskVisibility` in @jarvis/activities).
 */
export const taskVisibilitySetting = (cluster: string): string => `task_visibility:${cluster}`;

/** Whether Jarvis can tell a stop made in Proxmox's own UI from a crash. */
export interface TaskVisibility {
  /** True when PVE shows Jarvis other users' tasks (Sys.Audit on `/`); false when it filters them. */
  readonly othersVisible: boolean;
  readonly reason: string;
  readonly checkedAt: string;
}

/** A visibility check as older workers stored it; null when there is none or it is malformed. */
export async function readLegacyTaskVisibility(
  settings: Pick<SettingsRepository, 'get'>,
  cluster: string,
): Promise<TaskVisibility | null> {
  const raw = await settings.get<Record<string, unknown>>(taskVisibilitySetting(cluster));
  if (typeof raw?.['othersVisible'] !== 'boolean' || typeof raw['reason'] !== 'string') return null;
  return {
    othersVisible: raw['othersVisible'],
    reason: raw['reason'],
    checkedAt: typeof raw['checkedAt'] === 'string' ? raw['checkedAt'] : '',
  };
}

/** A wish to record: who asked (`source`) and when (`setAt`, ISO). */
export interface DesiredStateIntent {
  readonly cluster: string;
  readonly vmid: number;
  readonly node: string;
  readonly desired: DesiredStateValue;
  /** A Jarvis workflow ID, `pve-task:<UPID>` for another Proxmox user, or `ha`. */
  readonly source: string;
  readonly setAt: string;
}

/** A guest's desired state as it stands: a used-up `stopped` wish reads as `running`. */
export interface DesiredStateView {
  readonly vmid: number;
  readonly node: string;
  readonly desired: DesiredStateValue;
  /** What set the wish; for a used-up stop, still the stop's source. */
  readonly source: string;
  /** When this view took effect (ISO): the wish, or the look that used it up. */
  readonly setAt: string;
  readonly usedUp: boolean;
  /** For a `running` view that followed a `stopped` wish: until when the stop was wished (ISO). */
  readonly stoppedUntil?: string;
}

/** What one look at the cluster showed, for using up `stopped` wishes. */
export interface DesiredStateObservation {
  readonly cluster: string;
  /** When the look was taken (ISO); a look older than a wish says nothing about it. */
  readonly observedAt: string;
  readonly running: readonly number[];
  readonly stopped: readonly number[];
  /**
   * A `stopped` wish whose guest is still running this long after it was set, without ever having
   * been seen stopped, is used up too: the stop failed, or the cluster was reset under it.
   */
  readonly staleAfterMs: number;
}

/**
 * The `guest_desired_state` projection (ARCHITECTURE.md, "Desired state"), per cluster. Writes are
 * ordered by `set_at`: an older wish (a Proxmox task read late) never replaces a newer one, and
 * repeating a write is harmless.
 */
export class DesiredStateRepository {
  constructor(private readonly pool: Pool) {}

  /** Records a wish unless a newer one is already there. True when it was written. */
  async record(i: DesiredStateIntent): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO guest_desired_state (cluster, vmid, node, desired, source, set_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, now())
       ON CONFLICT (cluster, vmid) DO UPDATE SET node = EXCLUDED.node, desired = EXCLUDED.desired,
              source = EXCLUDED.source, set_at = EXCLUDED.set_at, seen_stopped_at = NULL, used_up_at = NULL,
              stopped_until = CASE WHEN guest_desired_state.desired = 'stopped'
                                   THEN COALESCE(guest_desired_state.used_up_at, EXCLUDED.set_at)
                                   ELSE guest_desired_state.stopped_until END,
              updated_at = now()
        WHERE guest_desired_state.set_at < EXCLUDED.set_at
           OR (guest_desired_state.set_at = EXCLUDED.set_at AND guest_desired_state.source <> EXCLUDED.source)`,
      [i.cluster, i.vmid, i.node, i.desired, i.source, i.setAt],
    );
    return Boolean(rowCount);
  }

  /**
   * Takes back the wish one action recorded (the same source and time) when Proxmox refused the
   * action outright: nothing changed, so no wish stands (a stop refused must not make a later
   * crash of the still-running guest look intended). A newer wish is left alone.
   */
  async withdraw(i: Pick<DesiredStateIntent, 'cluster' | 'vmid' | 'source' | 'setAt'>): Promise<void> {
    await this.pool.query(
      `DELETE FROM guest_desired_state WHERE cluster = $1 AND vmid = $2 AND source = $3 AND set_at = $4`,
      [i.cluster, i.vmid, i.source, i.setAt],
    );
  }

  /**
   * Uses up `stopped` wishes: first a look after the wish that shows the guest stopped, then a
   * later look that shows it running again, for whatever reason (an operator's start outside
   * Jarvis, a simulator reset). A stop the guest then makes on its own is a crash again.
   */
  async observe(o: DesiredStateObservation): Promise<void> {
    await this.pool.query(
      `UPDATE guest_desired_state SET seen_stopped_at = $2, updated_at = now()
        WHERE cluster = $1 AND desired = 'stopped' AND used_up_at IS NULL AND seen_stopped_at IS NULL
          AND set_at <= $2 AND vmid = ANY($3::int[])`,
      [o.cluster, o.observedAt, [...o.stopped]],
    );
    await this.pool.query(
      `UPDATE guest_desired_state SET used_up_at = $2, updated_at = now()
        WHERE cluster = $1 AND desired = 'stopped' AND used_up_at IS NULL AND vmid = ANY($3::int[])
          AND ((seen_stopped_at IS NOT NULL AND seen_stopped_at < $2)
               OR set_at < $2::timestamptz - make_interval(secs => $4::double precision / 1000))`,
      [o.cluster, o.observedAt, [...o.running], o.staleAfterMs],
    );
  }

  /**
   * Forgets every wish of this cluster: for a cluster that started afresh (the demo's simulator),
   * whose guests the wishes were made about no longer exist. Returns how many were forgotten.
   */
  async forgetCluster(cluster: string): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM guest_desired_state WHERE cluster = $1', [cluster]);
    return rowCount ?? 0;
  }

  /** Every guest's desired state in this cluster, by VMID. */
  async list(cluster: string): Promise<DesiredStateView[]> {
    const { rows } = await this.pool.query<{
      vmid: number;
      node: string;
      desired: DesiredStateValue;
      source: string;
      set_at: Date;
      used_up_at: Date | null;
      stopped_until: Date | null;
    }>(
      `SELECT vmid, node, desired, source, set_at, used_up_at, stopped_until FROM guest_desired_state
        WHERE cluster = $1 ORDER BY vmid LIMIT 100000`,
      [cluster],
    );
    return rows.map((r) => {
      const stoppedUntil = r.used_up_at ?? (r.desired === 'running' ? r.stopped_until : null);
      return {
        vmid: r.vmid,
        node: r.node,
        desired: r.used_up_at ? 'running' : r.desired,
        source: r.source,
        setAt: (r.used_up_at ?? r.set_at).toISOString(),
        usedUp: r.used_up_at !== null,
        ...(stoppedUntil ? { stoppedUntil: stoppedUntil.toISOString() } : {}),
      };
    });
  }
}
