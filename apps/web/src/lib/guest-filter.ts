import { type ClusterGuest } from './api-types';

/** The text a guest is found by: VMID, name, node, type, status and tags. */
export function guestSearchText(g: ClusterGuest): string {
  return `${g.vmid} ${g.name} ${g.node} ${g.type} ${g.status} ${g.tags.join(' ')}`.toLowerCase();
}

/**
 * Filters VMIDs by a query of space-separated terms, each of which must match (`pve running`,
 * `web`, `101`). `status:stopped` and `node:pve` match a field exactly.
 */
export function filterGuests(order: readonly number[], index: ReadonlyMap<number, string>, query: string): number[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [...order];
  return order.filter((vmid) => {
    const text = index.get(vmid);
    if (text === undefined) return false;
    const words = text.split(' ');
    return terms.every((t) => {
      const field = /^(status|node|type|tag):(.+)$/.exec(t);
      if (field) return words.includes(field[2]!);
      return text.includes(t);
    });
  });
}
