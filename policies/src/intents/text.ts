/** What every intent reads a message with: one normal form, and guests and nodes found by name or ID. */
import { type IntentCluster, type IntentGuest } from './intent';

// Built from a string: control characters are the point of this pattern, not a typo in it.
const INVISIBLE_IN_COMMANDS = new RegExp(
  // eslint-disable-next-line no-control-regex -- matching control characters is the point here
  '[\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u2028-\\u202e\\u2060-\\u2064\\ufeff]',
  'g',
);

/** Lower case, control characters gone, look-alike quotes and dashes plain, whitespace single. */
export function normaliseCommand(text: string): string {
  return text
    .normalize('NFKC')
    .replace(INVISIBLE_IN_COMMANDS, ' ')
    .replace(/[\u2018\u2019\u02bc]/g, "'")
    .replace(/[\u2010-\u2015]/g, '-')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export const words = (text: string): string[] => text.split(/[^a-z0-9._-]+/).filter((w) => w !== '');

/** A guest named by VMID ("vm 101", "ct 101", "#101", "101") or by its exact name. */
export function findGuest(text: string, cluster: IntentCluster): IntentGuest | 'ambiguous' | undefined {
  const byId = /(?:\b(?:vm|ct|vmid|guest|container|lxc|qemu)\s*#?|#|\b)(\d{3,9})\b/.exec(text);
  if (byId) return cluster.guests.find((g) => g.vmid === Number(byId[1]));
  const tokens = new Set(words(text));
  const named = cluster.guests.filter((g) => tokens.has(g.name.toLowerCase()));
  if (named.length > 1) return 'ambiguous';
  return named[0];
}

export function findNode(text: string, cluster: IntentCluster): string | undefined {
  const tokens = new Set(words(text));
  return cluster.nodes.find((n) => tokens.has(n.toLowerCase()));
}
