import { createPinia, setActivePinia } from 'pinia';
import { effect } from 'vue';
import { mergeAll, mergeChanges, sameRecord } from '../../apps/web/src/lib/cluster-merge';
import { useClusterStore } from '../../apps/web/src/stores/cluster';
import { clusterState, guest, node, storage } from './support/fixtures';

beforeEach(() => setActivePinia(createPinia()));

/** Counts how often a reactive read re-runs: a stand-in for a component's render, without mounting one. */
function renders(read: () => unknown): { count: () => number; stop: () => void } {
  let n = 0;
  const runner = effect(() => {
    read();
    n++;
  });
  return { count: () => n, stop: () => runner.effect.stop() };
}

describe('keyed merging', () => {
  it('compares records field by field, arrays and nested objects by value', () => {
    expect(sameRecord(guest(1, { tags: ['a'] }), guest(1, { tags: ['a'] }))).toBe(true);
    expect(sameRecord(guest(1, { tags: ['a'] }), guest(1, { tags: ['b'] }))).toBe(false);
    expect(
      sameRecord(node('a', { temperature: { packageC: 50, maxCoreC: 55 } }), node('a', { temperature: null })),
    ).toBe(false);
    expect(sameRecord(guest(1), { ...guest(1), lock: 'backup' })).toBe(false);
  });

  it('keeps the old object for an unchanged item and replaces only what changed', () => {
    const map = new Map<number, ReturnType<typeof guest>>();
    mergeAll(map, [guest(1), guest(2)], (g) => g.vmid);
    const one = map.get(1);
    const result = mergeAll(map, [guest(1), guest(2, { status: 'stopped' }), guest(3)], (g) => g.vmid);
    expect(result).toEqual({ set: [2, 3], removed: [] });
    expect(map.get(1)).toBe(one);
    expect(Object.isFrozen(map.get(2))).toBe(true);
    expect(mergeAll(map, [guest(3)], (g) => g.vmid)).toEqual({ set: [], removed: [1, 2] });
  });

  it('applies a diff, ignoring a "change" that changes nothing and removals of unknown keys', () => {
    const map = new Map([[1, guest(1)]]);
    expect(mergeChanges(map, { changed: [guest(1)], removed: [9] }, (g) => g.vmid)).toEqual({ set: [], removed: [] });
    expect(mergeChanges(map, { changed: [guest(1, { cpu: 0.9 })], removed: [] }, (g) => g.vmid).set).toEqual([1]);
    expect(mergeChanges(map, undefined, (g) => g.vmid)).toEqual({ set: [], removed: [] });
  });
});

describe('the cluster store', () => {
  it('holds the full state keyed and sorted', () => {
    const cluster = useClusterStore();
    cluster.applyFull(clusterState(), 1000);
    expect(cluster.nodeNames).toEqual(['home', 'pve']);
    expect(cluster.guestIds).toEqual([100, 101, 102]);
    expect(cluster.storageKeys).toEqual(['home/local', 'pve/local']);
    expect(cluster.quorum).toEqual({ quorate: true, nodes: 2, expected: 2 });
    expect(cluster.receivedAt).toBe(1000);
    expect(cluster.loaded).toBe(true);
  });

  it('re-renders only the card whose own guest or node changed', () => {
    const cluster = useClusterStore();
    cluster.applyFull(clusterState());
    const card100 = renders(() => cluster.guests.get(100));
    const card101 = renders(() => cluster.guests.get(101));
    const nodeCard = renders(() => cluster.nodes.get('home'));
    const list = renders(() => cluster.guestIds);

    cluster.applyDiff({
      updatedAt: 'later',
      stale: false,
      nodes: { changed: [], removed: [] },
      guests: { changed: [guest(100, { status: 'stopped' })], removed: [] },
      storage: { changed: [], removed: [] },
    });
    expect([card100.count(), card101.count(), nodeCard.count(), list.count()]).toEqual([2, 1, 1, 1]);
    expect(cluster.guests.get(100)?.status).toBe('stopped');

    // The periodic full state with nothing new re-renders nothing.
    cluster.applyFull(clusterState({ guests: [guest(100, { status: 'stopped' }), ...clusterState().guests.slice(1)] }));
    expect([card100.count(), card101.count(), nodeCard.count(), list.count()]).toEqual([2, 1, 1, 1]);

    // A node change reaches that node's card only; a new guest reaches the list, not the other cards.
    cluster.applyDiff({
      updatedAt: 'later2',
      stale: false,
      nodes: { changed: [node('home', { cpu: 0.8 })], removed: [] },
      guests: { changed: [guest(103)], removed: [] },
      storage: { changed: [], removed: [] },
    });
    expect([card100.count(), card101.count(), nodeCard.count(), list.count()]).toEqual([2, 1, 2, 2]);
    expect(cluster.guestIds).toEqual([100, 101, 102, 103]);
    for (const r of [card100, card101, nodeCard, list]) r.stop();
  });

  it('drops removed items and takes quorum and staleness from a diff', () => {
    const cluster = useClusterStore();
    cluster.applyFull(clusterState());
    cluster.applyDiff(
      {
        updatedAt: 'later',
        stale: true,
        quorum: { quorate: false, nodes: 1, expected: 2 },
        nodes: { changed: [], removed: ['home'] },
        guests: { changed: [], removed: [101] },
        storage: { changed: [storage('pve', 'local', 0.97)], removed: ['home/local'] },
      },
      5000,
    );
    expect(cluster.nodeNames).toEqual(['pve']);
    expect(cluster.guestIds).toEqual([100, 102]);
    expect(cluster.storage.get('pve/local')?.usedFraction).toBe(0.97);
    expect(cluster.storageKeys).toEqual(['pve/local']);
    expect(cluster.quorum?.quorate).toBe(false);
    expect(cluster.serverStale).toBe(true);
    expect(cluster.receivedAt).toBe(5000);
  });

  it('moves the search index only when searchable text changes, not on a CPU tick', () => {
    const cluster = useClusterStore();
    cluster.applyFull(clusterState());
    const v0 = cluster.searchVersion;
    expect(cluster.searchIndex.get(101)).toContain('dns');
    cluster.applyDiff({
      updatedAt: 'x',
      stale: false,
      nodes: { changed: [], removed: [] },
      guests: { changed: [guest(100, { cpu: 0.7 })], removed: [] },
      storage: { changed: [], removed: [] },
    });
    expect(cluster.searchVersion).toBe(v0);
    cluster.applyDiff({
      updatedAt: 'y',
      stale: false,
      nodes: { changed: [], removed: [] },
      guests: { changed: [guest(100, { status: 'stopped' })], removed: [] },
      storage: { changed: [], removed: [] },
    });
    expect(cluster.searchVersion).toBe(v0 + 1);
    expect(cluster.searchIndex.get(100)).toContain('stopped');
  });

  it('forgets everything on reset (logout)', () => {
    const cluster = useClusterStore();
    cluster.applyFull(clusterState());
    cluster.reset();
    expect([cluster.nodes.size, cluster.guests.size, cluster.storage.size, cluster.loaded]).toEqual([0, 0, 0, false]);
    expect(cluster.searchIndex.size).toBe(0);
  });

  it('keeps 2,000 guests and merges a full state of them quickly', () => {
    const cluster = useClusterStore();
    const many = Array.from({ length: 2000 }, (_, i) => guest(100 + i));
    cluster.applyFull(clusterState({ guests: many }));
    const t0 = performance.now();
    cluster.applyFull(clusterState({ guests: many.map((g, i) => (i === 7 ? { ...g, status: 'stopped' } : g)) }));
    expect(performance.now() - t0).toBeLessThan(100);
    expect(cluster.guestIds).toHaveLength(2000);
    expect(cluster.guests.get(107)?.status).toBe('stopped');
  });
});

describe('a partial view', () => {
  it('keeps what Proxmox refused and an unknown quorum from the full state, and clears them when readable again', () => {
    const cluster = useClusterStore();
    const refused = {
      read: '/cluster/status',
      code: 'PERMISSION',
      reason: 'Permission check failed (/, Sys.Audit)',
      unknown: 'quorum and cluster membership',
    };
    cluster.applyFull(
      clusterState({ quorum: { quorate: false, nodes: 3, expected: 4, unknown: true }, unavailable: [refused] }),
    );
    expect(cluster.unavailable).toEqual([refused]);
    expect(cluster.quorum?.unknown).toBe(true);
    cluster.applyFull(clusterState());
    expect(cluster.unavailable).toEqual([]);
    expect(cluster.quorum?.unknown).toBeUndefined();
  });
});
