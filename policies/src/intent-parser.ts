/**
 * The offline intent parser: the last resort when no language model is reachable, and the
 * demo's default without an API key. Deterministic and small on purpose: it understands the
 * core commands and turns them into calls of the same catalog tools, which then go through the
 * same tier policy as any model's tool call. What it does not understand, it says so.
 */
import { type PowerAction } from './catalog';
import { type TurnIntent } from './llm-router.policy';

export interface IntentGuest {
  readonly vmid: number;
  readonly name: string;
  readonly node: string;
  readonly type: 'qemu' | 'lxc';
}

export interface IntentCluster {
  readonly guests: readonly IntentGuest[];
  readonly nodes: readonly string[];
}

export interface ToolCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
}

export type IntentKind = 'status' | 'list' | 'whats-wrong' | 'approvals' | 'guest-status' | 'action' | 'greeting';

export type ParsedIntent =
  | { readonly kind: IntentKind; readonly intent: TurnIntent; readonly calls: readonly ToolCall[] }
  | { readonly kind: 'unknown'; readonly intent: 'none'; readonly calls: readonly []; readonly hint: string }
  | { readonly kind: 'unresolved'; readonly intent: 'action'; readonly calls: readonly []; readonly hint: string };

const VERBS: readonly [RegExp, PowerAction | 'wake'][] = [
  [/\b(?:shut\s*down|shutdown|power\s*down)\b/, 'shutdown'],
  [/\b(?:restart|reboot|bounce)\b/, 'reboot'],
  [/\b(?:stop|kill|power\s*off|halt)\b/, 'stop'],
  [/\b(?:resume|unpause|continue)\b/, 'resume'],
  [/\b(?:suspend|pause|freeze)\b/, 'suspend'],
  [/\b(?:wake|wol)\b/, 'wake'],
  [/\b(?:start|boot|power\s*on|launch|bring\s+up)\b/, 'start'],
];

const HELP =
  'I understand: "status", "list guests", "start|stop|restart|shutdown <vmid or name>", "what\'s wrong", "pending approvals".';

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

const words = (text: string): string[] => text.split(/[^a-z0-9._-]+/).filter((w) => w !== '');

/** A guest named by VMID ("vm 101", "ct 101", "#101", "101") or by its exact name. */
function findGuest(text: string, cluster: IntentCluster): IntentGuest | 'ambiguous' | undefined {
  const byId = /(?:\b(?:vm|ct|vmid|guest|container|lxc|qemu)\s*#?|#|\b)(\d{3,9})\b/.exec(text);
  if (byId) return cluster.guests.find((g) => g.vmid === Number(byId[1]));
  const tokens = new Set(words(text));
  const named = cluster.guests.filter((g) => tokens.has(g.name.toLowerCase()));
  if (named.length > 1) return 'ambiguous';
  return named[0];
}

function findNode(text: string, cluster: IntentCluster): string | undefined {
  const tokens = new Set(words(text));
  return cluster.nodes.find((n) => tokens.has(n.toLowerCase()));
}

export function parseIntent(raw: string, cluster: IntentCluster): ParsedIntent {
  const text = normaliseCommand(raw);
  if (text === '') return unknown();

  if (/\b(?:approvals?|confirmations?)\b/.test(text) && /\b(?:pending|waiting|open|any|list|show)\b/.test(text))
    return { kind: 'approvals', intent: 'query', calls: [{ tool: 'approval.list', args: {} }] };

  if (/\bwhat(?:'s| is)? (?:wrong|broken|failing)\b|\b(?:any )?(?:problems?|issues?|errors?|alerts?)\b/.test(text))
    return {
      kind: 'whats-wrong',
      intent: 'query',
      calls: [
        { tool: 'cluster.status', args: {} },
        { tool: 'task.recent', args: { errorsOnly: true, limit: 10 } },
      ],
    };

  const verb = VERBS.find(([re]) => re.test(text))?.[1];
  if (verb) {
    const guest = findGuest(text, cluster);
    if (guest === 'ambiguous') return unresolved('More than one guest has that name; say its VMID.');
    if (verb === 'wake') {
      const node = findNode(text, cluster);
      return node
        ? { kind: 'action', intent: 'action', calls: [{ tool: 'node.wake', args: { node } }] }
        : unresolved('Which node shall I wake?');
    }
    if (guest)
      return {
        kind: 'action',
        intent: 'action',
        calls: [{ tool: `guest.${verb}`, args: { node: guest.node, vmid: guest.vmid, kind: guest.type } }],
      };
    const node = findNode(text, cluster);
    if (node && (verb === 'reboot' || verb === 'shutdown'))
      return { kind: 'action', intent: 'action', calls: [{ tool: `node.${verb}`, args: { node } }] };
    if (/\d{3,9}/.test(text)) return unresolved('I find no guest with that VMID.');
    if (node || /\b(?:vm|ct|guest|container)\b/.test(text))
      return unresolved(`Which guest shall I ${verb}? Give its VMID or name.`);
  }

  if (/\b(?:status|state|health|overview|summary)\b|\bhow(?:'s| is| are)\b/.test(text)) {
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
  }

  if (
    /\b(?:list|show|which|what)\b.*\b(?:guests?|vms?|containers?|machines?|cts?|lxcs?)\b/.test(text) ||
    /\bwhat(?:'s| is) (?:running|stopped|up|down)\b/.test(text) ||
    /^(?:guests|vms|ls|list)$/.test(text)
  ) {
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
  }

  if (/^(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks?|thank you|cheers)\b/.test(text))
    return { kind: 'greeting', intent: 'none', calls: [] };
  return unknown();
}

function unknown(): ParsedIntent {
  return { kind: 'unknown', intent: 'none', calls: [], hint: HELP };
}

function unresolved(hint: string): ParsedIntent {
  return { kind: 'unresolved', intent: 'action', calls: [], hint };
}

/**
 * Whether a message wants live data or an action (tools), or is conversation. Errs towards
 * tools: a wrong "conversation" would answer a real question without looking.
 */
export function needsTools(raw: string, cluster: IntentCluster): boolean {
  const parsed = parseIntent(raw, cluster);
  if (parsed.kind !== 'unknown' && parsed.kind !== 'greeting') return true;
  const text = normaliseCommand(raw);
  return (
    /\b(?:vm|vms|ct|guest|node|nodes|cluster|storage|disk|cpu|memory|ram|load|task|tasks|log|logs|service|ssh|uptime|backup|snapshot|proxmox|pve)\b/.test(
      text,
    ) ||
    /\b\d{3,9}\b/.test(text) ||
    findNode(text, cluster) !== undefined
  );
}
