import { type IntentModule } from './intent';
import { findGuest, findNode } from './text';

/** "status", "status of vm 101", "how is pve": a guest's, a node's or the whole cluster's state. */
export const statusIntent: IntentModule = {
  id: 'status',
  help: '"status [of <vmid, name or node>]"',
  match(text, cluster) {
    if (!/\b(?:status|state|health|overview|summary)\b|\bhow(?:'s| is| are)\b/.test(text)) return undefined;
    const guest = findGuest(text, cluster);
    if (guest && guest !== 'ambiguous')
      return {
        kind: 'guest-status',
        intent: 'query',
        calls: [{ tool: 'guest.describe', args: { node: guest.node, vmid: guest.vmid } }],
      };
    const node = findNode(text, cluster);
    if (node) return { kind: 'status', intent: 'query', calls: [{ tool: 'node.status', args: { node } }] };
    return { kind: 'status', intent: 'query', calls: [{ tool: 'cluster.status', args: {} }] };
  },
  examples: [
    { say: 'status', kind: 'status', calls: [{ tool: 'cluster.status', args: {} }] },
    { say: "How's the cluster?", kind: 'status', calls: [{ tool: 'cluster.status', args: {} }] },
    { say: 'status of node pve', kind: 'status', calls: [{ tool: 'node.status', args: { node: 'pve' } }] },
    {
      say: 'status of vm 101',
      kind: 'guest-status',
      calls: [{ tool: 'guest.describe', args: { node: 'home', vmid: 101 } }],
    },
    {
      say: 'how is web-01',
      kind: 'guest-status',
      calls: [{ tool: 'guest.describe', args: { node: 'pve', vmid: 100 } }],
    },
  ],
};
