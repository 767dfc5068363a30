import {
  type ClusterGuest,
  type ClusterNode,
  type ClusterQuorum,
  type ClusterState,
  type ClusterStorage,
  type ClusterUnavailable,
} from '@jarvis/activities';

export interface KeyedChanges<T, K> {
  readonly changed: T[];
  readonly removed: K[];
}

export interface ClusterDiff {
  readonly updatedAt: string;
  readonly stale: boolean;
  /** Present only when quorum changed. */
  readonly quorum?: ClusterQuorum;
  /** Present only when what Proxmox refuses the token changed (`[]`: nothing refused any more). */
  readonly unavailable?: ClusterUnavailable[];
  readonly nodes: KeyedChanges<ClusterNode, string>;
  readonly guests: KeyedChanges<ClusterGuest, number>;
  readonly storage: KeyedChanges<ClusterStorage, string>;
}

export const storageKey = (s: Pick<ClusterStorage, 'node' | 'storage'>): string => `${s.node}/${s.storage}`;

function keyed<T, K>(before: readonly T[], after: readonly T[], key: (item: T) => K): KeyedChanges<T, K> {
  const old = new Map(before.map((item) => [key(item), JSON.stringify(item)]));
  const seen = new Set<K>();
  const changed: T[] = [];
  for (const item of after) {
    const k = key(item);
    seen.add(k);
    if (old.get(k) !== JSON.stringify(item)) changed.push(item);
  }
  return { changed, removed: [...old.keys()].filter((k) => !seen.has(k)) };
}

/**
 * What a client holding `before` needs to reach `after`, or undefined when nothing but the
 * timestamp moved. Pure, so the socket only emits when something an operator can see changed.
 */
export function diffCluster(before: ClusterState, after: ClusterState): ClusterDiff | undefined {
  const nodes = keyed(before.nodes, after.nodes, (n) => n.name);
  const guests = keyed(before.guests, after.guests, (g) => g.vmid);
  const storage = keyed(before.storage, after.storage, storageKey);
  const quorumChanged = JSON.stringify(before.quorum) !== JSON.stringify(after.quorum);
  const unavailableChanged = JSON.stringify(before.unavailable ?? []) !== JSON.stringify(after.unavailable ?? []);
  const empty = (c: KeyedChanges<unknown, unknown>): boolean => c.changed.length === 0 && c.removed.length === 0;
  if (
    !quorumChanged &&
    !unavailableChanged &&
    before.stale === after.stale &&
    empty(nodes) &&
    empty(guests) &&
    empty(storage)
  )
    return undefined;
  return {
    updatedAt: after.updatedAt,
    stale: after.stale,
    ...(quorumChanged ? { quorum: after.quorum } : {}),
    ...(unavailableChanged ? { unavailable: after.unavailable ?? [] } : {}),
    nodes,
    guests,
    storage,
  };
}
