import { type ClusterSnapshot as PolicySnapshot } from '@jarvis/policies';
import { type ClusterState } from '../proxmox/normalize';

/**
 * The cluster as the incident policy reads it: only the fields it uses, so the monitor's
 * history (every poll's answer is recorded in it) stays small. Pure.
 */
export function toPolicySnapshot(state: ClusterState): PolicySnapshot {
  return {
    nodes: state.nodes.map((n) => ({ name: n.name, status: n.status, mem: n.mem, maxmem: n.maxmem })),
    guests: state.guests.map((g) => ({
      vmid: g.vmid,
      node: g.node,
      type: g.type,
      name: g.name,
      status: g.status,
      template: g.template,
      ...(g.lock !== undefined ? { lock: g.lock } : {}),
      ...(g.hastate !== undefined ? { hastate: g.hastate } : {}),
    })),
    storage: state.storage.map((s) => ({
      node: s.node,
      storage: s.storage,
      shared: s.shared,
      used: s.used,
      total: s.total,
      usedFraction: s.usedFraction,
      status: s.status,
    })),
    // Unknown quorum (the status read refused) is left out: no quorum incident from a permission gap.
    ...(state.quorum.unknown
      ? {}
      : {
          quorum: {
            quorate: state.quorum.quorate,
            nodes: state.quorum.nodes,
            ...(state.quorum.expected !== undefined ? { expected: state.quorum.expected } : {}),
          },
        }),
    observedAt: Date.parse(state.updatedAt),
  };
}
