import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowReactive, shallowRef } from 'vue';
import {
  type ClusterDiff,
  type ClusterGuest,
  type ClusterNode,
  type ClusterQuorum,
  type ClusterUnavailable,
  type ClusterState,
  type ClusterStorage,
} from '../lib/api-types';
import {
  byNumber,
  byString,
  guestKey,
  mergeAll,
  mergeChanges,
  nodeKey,
  storageKey,
  type MergeResult,
} from '../lib/cluster-merge';
import { guestSearchText } from '../lib/guest-filter';

/**
 * The cluster as last seen, keyed: nodes by name, guests by VMID, storage by node/storage.
 * The maps are shallowly reactive and hold frozen records, so a component that reads one key
 * (`guests.get(101)`) re-renders only when that entry is replaced, and a list that iterates the
 * keys only when an entry is added or removed.
 */
export const useClusterStore = defineStore('cluster', () => {
  const nodes = shallowReactive(new Map<string, ClusterNode>());
  const guests = shallowReactive(new Map<number, ClusterGuest>());
  const storage = shallowReactive(new Map<string, ClusterStorage>());
  const quorum = shallowRef<ClusterQuorum | null>(null);
  const updatedAt = ref<string | null>(null);
  /** Reads Proxmox refused to Jarvis's token: what the view is missing, and why (from the full state). */
  const unavailable = shallowRef<readonly ClusterUnavailable[]>([]);
  /** The server's own flag: its last Proxmox read failed and this is the last good state. */
  const serverStale = ref(false);
  /** When this browser last heard anything about the cluster (ms), for the staleness indicator. */
  const receivedAt = ref<number | null>(null);
  const loaded = computed(() => receivedAt.value !== null);

  // Search text per guest, outside reactivity; `searchVersion` moves only when some text changed,
  // so a search re-filters on renames and arrivals, not on every CPU tick.
  const searchIndex = markRaw(new Map<number, string>());
  const searchVersion = ref(0);

  const nodeNames = computed(() => [...nodes.keys()].sort(byString));
  const guestIds = computed(() => [...guests.keys()].sort(byNumber));
  const storageKeys = computed(() => [...storage.keys()].sort(byString));

  function reindex(result: MergeResult<number>): void {
    let moved = result.removed.length > 0;
    for (const vmid of result.removed) searchIndex.delete(vmid);
    for (const vmid of result.set) {
      const g = guests.get(vmid);
      if (!g) continue;
      const text = guestSearchText(g);
      if (searchIndex.get(vmid) !== text) {
        searchIndex.set(vmid, text);
        moved = true;
      }
    }
    if (moved) searchVersion.value++;
  }

  function sameQuorum(a: ClusterQuorum | null, b: ClusterQuorum): boolean {
    return (
      a !== null &&
      a.quorate === b.quorate &&
      a.nodes === b.nodes &&
      a.expected === b.expected &&
      a.unknown === b.unknown
    );
  }

  /** The full state (on connect, every 30 s, after a sync): merged by key, so only real changes re-render. */
  function applyFull(state: ClusterState, nowMs = Date.now()): void {
    mergeAll(nodes, state.nodes, nodeKey);
    reindex(mergeAll(guests, state.guests, guestKey));
    mergeAll(storage, state.storage, storageKey);
    if (!sameQuorum(quorum.value, state.quorum)) quorum.value = Object.freeze({ ...state.quorum });
    updatedAt.value = state.updatedAt;
    serverStale.value = state.stale;
    if (JSON.stringify(unavailable.value) !== JSON.stringify(state.unavailable ?? []))
      unavailable.value = Object.freeze([...(state.unavailable ?? [])]);
    receivedAt.value = nowMs;
  }

  /** A `cluster.diff`: only what changed since the server's previous emission. */
  function applyDiff(diff: ClusterDiff, nowMs = Date.now()): void {
    mergeChanges(nodes, diff.nodes, nodeKey);
    reindex(mergeChanges(guests, diff.guests, guestKey));
    mergeChanges(storage, diff.storage, storageKey);
    if (diff.quorum && !sameQuorum(quorum.value, diff.quorum)) quorum.value = Object.freeze({ ...diff.quorum });
    if (diff.unavailable) unavailable.value = Object.freeze([...diff.unavailable]);
    updatedAt.value = diff.updatedAt;
    serverStale.value = diff.stale;
    receivedAt.value = nowMs;
  }

  /** A guest's state as the browser learns it ahead of the next poll (e.g. right after an action). */
  function guest(vmid: number): ClusterGuest | undefined {
    return guests.get(vmid);
  }

  function reset(): void {
    nodes.clear();
    guests.clear();
    storage.clear();
    searchIndex.clear();
    searchVersion.value++;
    quorum.value = null;
    unavailable.value = [];
    updatedAt.value = null;
    serverStale.value = false;
    receivedAt.value = null;
  }

  return {
    unavailable,
    nodes,
    guests,
    storage,
    quorum,
    updatedAt,
    serverStale,
    receivedAt,
    loaded,
    nodeNames,
    guestIds,
    storageKeys,
    searchIndex,
    searchVersion,
    applyFull,
    applyDiff,
    guest,
    reset,
  };
});
