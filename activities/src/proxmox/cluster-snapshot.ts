import { combineClusterState, resourcesOnlyClusterState, type ClusterState } from './normalize';
import { isProxmoxError, isRefusal, ProxmoxError } from './proxmox.errors';
import { type ProxmoxClient } from './proxmox.client';

/**
 * One shared, short-lived view of the cluster. However many dashboards, sockets and monitors
 * ask, PVE sees at most one /cluster/status + /cluster/resources pair per TTL: fresh answers are
 * served from memory, concurrent misses share one in-flight fetch, and a failed fetch is also
 * remembered for the TTL so a down upstream is not hammered. pveproxy has only 3 workers and the
 * data itself changes every 10 s, so a couple of seconds of caching loses nothing.
 */

export interface ClusterSnapshotOptions {
  client: Pick<ProxmoxClient, 'clusterStatus' | 'clusterResources'>;
  /** How long an answer (good or failed) is reused. Default 2000 ms. */
  ttlMs?: number;
  /** Injected clock (ms since epoch), for tests. */
  now?: () => number;
}

export interface ClusterSnapshotStats {
  /** Upstream fetches started (each is one status + one resources call). */
  fetches: number;
  /** Entries dropped as malformed by the last successful fetch. */
  dropped: number;
  /** The last fetch failure, while it is the latest outcome. */
  lastError?: { code: string; message: string; at: string };
}

export class ClusterSnapshot {
  readonly #client: ClusterSnapshotOptions['client'];
  readonly #ttlMs: number;
  readonly #now: () => number;
  #good?: ClusterState;
  #failure?: ProxmoxError;
  /** When the latest outcome (success or failure) arrived. */
  #settledAt = Number.NEGATIVE_INFINITY;
  #inflight?: Promise<ClusterState>;
  #stats: ClusterSnapshotStats = { fetches: 0, dropped: 0 };

  constructor(options: ClusterSnapshotOptions) {
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? 2000;
    this.#now = options.now ?? Date.now;
  }

  /** The current state; `stale: true` when it is the last good one and the latest fetch failed. */
  get(): Promise<ClusterState> {
    if (this.#now() - this.#settledAt < this.#ttlMs) {
      const cached = this.#fromCache();
      if (cached) return cached;
    }
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  get stats(): ClusterSnapshotStats {
    return { ...this.#stats };
  }

  /** Drops the cached answer so the next get() fetches (e.g. right after a power action). */
  invalidate(): void {
    this.#settledAt = Number.NEGATIVE_INFINITY;
  }

  #fromCache(): Promise<ClusterState> | undefined {
    if (this.#failure === undefined) return this.#good ? Promise.resolve(copy(this.#good, false)) : undefined;
    return this.#good ? Promise.resolve(copy(this.#good, true)) : Promise.reject(this.#failure);
  }

  async #fetch(): Promise<ClusterState> {
    this.#stats.fetches++;
    try {
      // /cluster/status needs Sys.Audit on /; /cluster/resources never refuses (PVE filters it).
      // A refused status read leaves quorum unknown but the rest of the cluster readable.
      const [status, resources] = await Promise.all([
        this.#client.clusterStatus().catch((err: unknown) => {
          if (isRefusal(err)) return err as ProxmoxError;
          throw err;
        }),
        this.#client.clusterResources(),
      ]);
      const now = new Date(this.#now());
      const state =
        status instanceof Error
          ? resourcesOnlyClusterState(resources, now, status)
          : combineClusterState(status, resources, now);
      this.#good = state;
      this.#failure = undefined;
      this.#settledAt = this.#now();
      this.#stats.dropped = (status instanceof Error ? 0 : status.dropped) + resources.dropped;
      delete this.#stats.lastError;
      return copy(state, false);
    } catch (err) {
      const message = (err as { message?: unknown } | null)?.message;
      const failure = isProxmoxError(err)
        ? err
        : new ProxmoxError('UPSTREAM', typeof message === 'string' ? message : 'cluster fetch failed', { cause: err });
      this.#failure = failure;
      this.#settledAt = this.#now();
      this.#stats.lastError = { code: failure.code, message: failure.message, at: new Date(this.#now()).toISOString() };
      if (this.#good) return copy(this.#good, true);
      throw failure;
    }
  }
}

// Callers get their own copy: a dashboard that mutates its answer must not change everyone's.
function copy(state: ClusterState, stale: boolean): ClusterState {
  return { ...structuredClone(state), stale };
}
