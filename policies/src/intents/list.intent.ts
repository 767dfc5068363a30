import { type IntentModule } from './intent';
import { findNode } from './text';

/** "list guests", "what's running on pve": the guests, by node or state. */
export const listIntent: IntentModule = {
  id: 'list',
  help: '"list guests"',
  match(text, cluster) {
    if (
      !/\b(?:list|show|which|what)\b.*\b(?:guests?|vms?|containers?|machines?|cts?|lxcs?)\b/.test(text) &&
      !/\bwhat(?:'s| is) (?:running|stopped|up|down)\b/.test(text) &&
      !/^(?:guests|vms|ls|list)$/.test(text)
    )
      return undefined;
    const status = /\b(?:running|up)\b/.test(text)
      ? 'running'
      : /\b(?:stopped|down|off)\b/.test(text)
        ? 'stopped'
        : undefined;
    const node = findNode(text, cluster);
    return {
      kind: 'list',
      intent: 'query',
      calls: [{ tool: 'guest.list', args: { ...(node ? { node } : {}), ...(status ? { status } : {}) } }],
    };
  },
  examples: [
    { say: 'list guests', kind: 'list', calls: [{ tool: 'guest.list', args: {} }] },
    { say: 'show me the running VMs', kind: 'list', calls: [{ tool: 'guest.list', args: { status: 'running' } }] },
    {
      say: "what's running on pve",
      kind: 'list',
      calls: [{ tool: 'guest.list', args: { node: 'pve', status: 'running' } }],
    },
  ],
};
