import { type ClusterGuest, type ClusterNode, type ClusterStorage, type KeyedChanges } from './api-types';

export const nodeKey = (n: Pick<ClusterNode, 'name'>): string => n.name;
export const guestKey = (g: Pick<ClusterGuest, 'vmid'>): number => g.vmid;
export const storageKey = (s: Pick<ClusterStorage, 'node' | 'storage'>): string => `${s.node}/${s.storage}`;

/** Field-by-field equality of two flat records (arrays and one level of objects compared by value). */
export function sameRecord(a: object, b: object): boolean {
  if (a === b) return true;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const keys = Object.keys(ra);
  if (keys.length !== Object.keys(rb).length) return false;
  for (const k of keys) {
    const x = ra[k];
    const y = rb[k];
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (JSON.stringify(x) !== JSON.stringify(y)) return false;
  }
  return true;
}

export interface MergeResult<K> {
  readonly set: K[];
  readonly removed: K[];
}

/**
 * Brings `target` to exactly `items`, touching only entries whose value differs: an unchanged
 * item keeps its old object, so whatever rendered it has nothing to re-render.
 */
export function mergeAll<T extends object, K>(
  target: Map<K, T>,
  items: readonly T[],
  key: (item: T) => K,
): MergeResult<K> {
  const seen = new Set<K>();
  const set: K[] = [];
  for (const item of items) {
    const k = key(item);
    seen.add(k);
    const old = target.get(k);
    if (old === undefined || !sameRecord(old, item)) {
      target.set(k, Object.freeze({ ...item }));
      set.push(k);
    }
  }
  const removed: K[] = [];
  for (const k of [...target.keys()]) {
    if (!seen.has(k)) {
      target.delete(k);
      removed.push(k);
    }
  }
  return { set, removed };
}

/** Applies a server diff (changed items whole, removed keys) to `target`, skipping no-op changes. */
export function mergeChanges<T extends object, K>(
  target: Map<K, T>,
  changes: KeyedChanges<T, K> | undefined,
  key: (item: T) => K,
): MergeResult<K> {
  const set: K[] = [];
  const removed: K[] = [];
  if (!changes) return { set, removed };
  for (const item of changes.changed) {
    const k = key(item);
    const old = target.get(k);
    if (old === undefined || !sameRecord(old, item)) {
      target.set(k, Object.freeze({ ...item }));
      set.push(k);
    }
  }
  for (const k of changes.removed) if (target.delete(k)) removed.push(k);
  return { set, removed };
}

/** Sorting orders for the lists: nodes and storage by name, guests by VMID. */
export const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const byNumber = (a: number, b: number): number => a - b;
