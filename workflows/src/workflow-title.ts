import { isIncidentClass, type IncidentClass } from '@jarvis/policies';

/**
 * What is known of one workflow run, from its archive row or its history; anything missing is
 * read from the workflow ID where the ID carries it.
 */
export interface WorkflowTitleFacts {
  readonly workflowId: string;
  /** The workflow type, e.g. `vmActionWorkflow`. */
  readonly kind?: string;
  /** When the run started (ISO); shown as the operator's clock time. */
  readonly startedAt?: string;
  /** A chat turn's message, as the operator typed it. */
  readonly chatText?: string;
  readonly action?: string;
  readonly node?: string;
  readonly vmid?: number;
  readonly incidentClass?: string;
  readonly service?: string;
  readonly storage?: string;
}

export interface WorkflowTitleOptions {
  /** An IANA zone for the clock time; the process's own zone when absent. */
  readonly timeZone?: string;
}

/** How many words of a chat message name its turn. */
const CHAT_WORDS = 6;
const CHAT_CHARS = 48;

/** The first words of a message, whitespace folded, cut at a word with an ellipsis when longer. */
export function firstWords(text: string, words = CHAT_WORDS, chars = CHAT_CHARS): string {
  const all = text.trim().split(/\s+/).filter(Boolean);
  let out = '';
  let taken = 0;
  for (const word of all) {
    const next = out ? `${out} ${word}` : word;
    if (taken === words || next.length > chars) break;
    out = next;
    taken++;
  }
  if (!out && all[0]) out = all[0].slice(0, chars);
  return out.length < all.join(' ').length ? `${out}…` : out;
}

/** `14:02` in the given zone (24-hour clock), or undefined for a missing or unreadable time. */
export function clockTime(iso: string | undefined, timeZone?: string): string | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return undefined;
  try {
    return new Intl.DateTimeFormat('en-GB', {
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      ...(timeZone ? { timeZone } : {}),
    }).format(ms);
  } catch {
    return new Date(ms).toISOString().slice(11, 16);
  }
}

const guest = (vmid: number | undefined): string => (vmid !== undefined ? `guest ${vmid}` : 'a guest');
const on = (node: string | undefined): string => (node ? ` on ${node}` : '');
const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const num = (s: string | undefined): number | undefined => (s && /^\d+$/.test(s) ? Number(s) : undefined);

const named = (what: string, name: string | undefined): string => (name ? `${what} ${name}` : `a ${what}`);

const INCIDENT_WORDING: Readonly<Record<IncidentClass, (f: WorkflowTitleFacts) => string>> = {
  'vm-crashed': (f) => `${guest(f.vmid)} crashed`,
  'node-down': (f) => `${named('node', f.node)} down`,
  'service-down': (f) => `${named('service', f.service)}${on(f.node)} down`,
  'disk-high': (f) => `${named('storage', f.storage)}${on(f.node)} filling up`,
  'disk-critical': (f) => `${named('storage', f.storage)}${on(f.node)} nearly full`,
  'ram-high': (f) => `${named('node', f.node)} short of memory`,
  'quorum-at-risk': () => 'cluster quorum at risk',
};

/**
 * What an incident key (`remediate:<class>:<parts>`, policies' keyOf) names, for a run whose
 * facts are not at hand: the node, guest, service or storage in the order the detectors put them.
 */
function factsFromIncidentKey(cls: IncidentClass, parts: readonly string[]): Partial<WorkflowTitleFacts> {
  const [a, b] = parts;
  const last = parts.at(-1);
  switch (cls) {
    case 'vm-crashed':
      return { ...(num(last) !== undefined ? { vmid: num(last)! } : {}) };
    case 'node-down':
    case 'ram-high':
      return a ? { node: a } : {};
    case 'service-down':
      return { ...(a ? { node: a } : {}), ...(parts.length >= 2 && last ? { service: last } : {}) };
    case 'disk-high':
    case 'disk-critical':
      return parts.length >= 2 ? { ...(a ? { node: a } : {}), ...(b ? { storage: b } : {}) } : a ? { storage: a } : {};
    case 'quorum-at-risk':
      return {};
  }
}

/** The words before the time: what the run was about, from its facts or else its ID. */
function subject(f: WorkflowTitleFacts): string {
  const parts = f.workflowId.split(':');
  const family = parts[0] ?? '';
  if (family === 'chat' || f.kind === 'chatTurnWorkflow') {
    return f.chatText?.trim() ? `Chat: '${firstWords(f.chatText)}'` : `Chat turn ${parts[2] ?? ''}`.trim();
  }
  if (family === 'vm-action' || f.kind === 'vmActionWorkflow') {
    const action = f.action ?? parts[3];
    const vmid = f.vmid ?? num(parts[2]);
    return `${capitalise(action ?? 'act on')} ${guest(vmid)}${on(f.node ?? parts[1])}`;
  }
  if (family === 'remediate' || f.kind === 'remediationWorkflow') {
    const cls = f.incidentClass ?? parts[1];
    if (!isIncidentClass(cls)) return 'Remediation';
    return `Remediation: ${INCIDENT_WORDING[cls]({ ...factsFromIncidentKey(cls, parts.slice(2)), ...f })}`;
  }
  if (family === 'monitor') return `Monitor of ${parts.slice(1).join(':') || 'the cluster'}`;
  if (family === 'guardian') return `Guardrails of ${parts.slice(1).join(':') || 'the cluster'}`;
  if (family === 'replay') return `Replay of ${parts.slice(1, -1).join(':') || 'a workflow'}`;
  return f.kind ?? f.workflowId;
}

/**
 * A run's title as an operator reads it: "Chat: 'start vm 107' · 14:02", "Stop guest 107 on
 * pve · 14:02", "Remediation: guest 107 crashed · 14:02". Never the raw workflow ID when the ID
 * has a known shape; the time tells apart the runs of a workflow ID that ran more than once.
 */
export function workflowTitle(f: WorkflowTitleFacts, opts: WorkflowTitleOptions = {}): string {
  const time = clockTime(f.startedAt, opts.timeZone);
  return time ? `${subject(f)} · ${time}` : subject(f);
}
