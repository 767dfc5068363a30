/**
 * Incident detection: two cluster snapshots in, incidents out (ARCHITECTURE.md, "Monitor →
 * remediation"). Each incident's key is the ID of the remediation workflow it starts, so the key
 * is built only from validated identifiers: the same fault always yields the same key, and a
 * second detection cannot start a second remediation.
 *
 * Snapshots come from the outside world, so nothing here trusts their shape: a malformed or
 * ambiguous entry is ignored (never a throw, never a guess), and free text such as a guest's
 * name travels only as evidence, never into a key or a reason.
 */
import { desiredFromHaState, indexDesiredStates, type GuestDesiredState } from './desired-state.policy';
import { isEntityId, isNodeName, isVmid } from './identifiers';
import { isServiceUnit } from './service-unit';

/** Most severe first: the order is the tie-breaker when two incidents claim one subject. */
export const INCIDENT_CLASSES = [
  'node-down',
  'quorum-at-risk',
  'disk-critical',
  'vm-crashed',
  'service-down',
  'ram-high',
  'disk-high',
] as const;
export type IncidentClass = (typeof INCIDENT_CLASSES)[number];

export type IncidentSeverity = 'critical' | 'major' | 'warning';

export const INCIDENT_SEVERITY: Readonly<Record<IncidentClass, IncidentSeverity>> = Object.freeze({
  'node-down': 'critical',
  'quorum-at-risk': 'critical',
  'disk-critical': 'critical',
  'vm-crashed': 'major',
  'service-down': 'major',
  'ram-high': 'warning',
  'disk-high': 'warning',
});

/** `subject.node` of a cluster-wide incident: `*` is never a PVE node name, so it matches no node. */
export const CLUSTER_SUBJECT_NODE = '*';

export interface IncidentSubject {
  readonly node: string;
  readonly vmid?: number;
  readonly storage?: string;
  readonly service?: string;
}

export interface Incident {
  /** Deterministic; letters, digits and `:_.-` only; the remediation workflow's ID. */
  readonly key: string;
  readonly class: IncidentClass;
  readonly severity: IncidentSeverity;
  readonly subject: IncidentSubject;
  /** Observed facts, as data. Strings in here (a guest's name) are untrusted and must stay inert. */
  readonly evidence: Readonly<Record<string, unknown>>;
}

export function isIncidentClass(value: unknown): value is IncidentClass {
  return typeof value === 'string' && (INCIDENT_CLASSES as readonly string[]).includes(value);
}

/** Most severe first, then by key, so the output order never depends on input order. */
export function compareIncidents(a: Incident, b: Incident): number {
  const rank = INCIDENT_CLASSES.indexOf(a.class) - INCIDENT_CLASSES.indexOf(b.class);
  if (rank !== 0) return rank;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

// ---- Snapshots (CONTRACT.md, "Cluster fields"); extra fields are allowed and ignored ----

export interface NodeSnapshot {
  readonly name: string;
  readonly status: 'online' | 'offline' | 'unknown';
  readonly mem: number;
  readonly maxmem: number;
  readonly [field: string]: unknown;
}

export interface GuestSnapshot {
  readonly vmid: number;
  readonly node: string;
  readonly type?: 'qemu' | 'lxc';
  readonly name?: string;
  readonly status: 'running' | 'stopped' | 'paused' | 'unknown';
  readonly template: boolean;
  readonly lock?: string;
  readonly hastate?: string;
  readonly [field: string]: unknown;
}

export interface StorageSnapshot {
  readonly node: string;
  readonly storage: string;
  readonly shared: boolean;
  readonly used: number;
  readonly total: number;
  readonly usedFraction: number;
  readonly status?: string;
  readonly [field: string]: unknown;
}

export interface QuorumSnapshot {
  readonly quorate: boolean;
  /** Nodes in the cluster configuration. */
  readonly nodes?: number;
  /** Expected votes; the quorum is a strict majority of them. Defaults to `nodes`. */
  readonly expected?: number;
}

export interface ClusterSnapshot {
  readonly nodes?: readonly NodeSnapshot[];
  readonly guests?: readonly GuestSnapshot[];
  readonly storage?: readonly StorageSnapshot[];
  readonly quorum?: QuorumSnapshot;
  /** When the snapshot was taken (epoch ms); bounds which explanations can apply. */
  readonly observedAt?: number;
}

/**
 * A stop that an action explains: a guest (`vmid`) or a whole node (`node`). `since` is when the
 * action began (epoch ms); one that began after the current snapshot was taken cannot explain it.
 * Guests' stops are judged by their desired state now (`DetectInput.desired`); this input stays
 * for node-level explanations and for monitor histories recorded before desired states existed.
 */
export type ExplainedStop =
  | { readonly vmid: number; readonly since: number; readonly by?: string }
  | { readonly node: string; readonly since: number; readonly by?: string };

/** A watched service as the monitor last saw it, on a node or inside a guest (`vmid`). */
export interface WatchedService {
  readonly name: string;
  readonly node: string;
  readonly vmid?: number;
  readonly state: 'up' | 'down' | 'unknown';
}

export interface IncidentThresholds {
  /** Disk use strictly above this fraction is `disk-high`. */
  readonly diskHigh: number;
  /** Disk use strictly above this fraction is `disk-critical`. */
  readonly diskCritical: number;
  /** Memory use strictly above this fraction is `ram-high`. */
  readonly ramHigh: number;
}

export const DEFAULT_THRESHOLDS: IncidentThresholds = Object.freeze({
  diskHigh: 0.9,
  diskCritical: 0.95,
  ramHigh: 0.95,
});

export interface DetectInput {
  readonly previous: ClusterSnapshot;
  readonly current: ClusterSnapshot;
  readonly explainedStops?: readonly ExplainedStop[];
  /**
   * Each guest's desired state (what the operator last asked for). A running → stopped guest is a
   * crash only when its desired state is not `stopped`; a guest with none recorded wants to run.
   */
  readonly desired?: readonly GuestDesiredState[];
  readonly watchedServices?: readonly WatchedService[];
  readonly thresholds?: Partial<IncidentThresholds>;
}

export interface CheckOptions {
  readonly thresholds?: Partial<IncidentThresholds>;
  /** Needed to re-check a `service-down` incident; without it that check is `unknown`. */
  readonly watchedServices?: readonly WatchedService[];
  /**
   * The guests' desired states now: a crashed guest that the operator has since asked to be
   * stopped (through Jarvis or Proxmox's UI, or HA) is no longer an incident to fix.
   */
  readonly desired?: readonly GuestDesiredState[];
}

// ---- Parsing: own properties only, every entry validated, ambiguity dropped ----

const STORAGE_ID = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
/** Guest names are free text from the cluster; evidence keeps them, cut to a bounded size. */
const MAX_TEXT = 256;
/** More expected votes than any real cluster has: a value above it is corrupt, not a cluster. */
const MAX_EXPECTED_VOTES = 10_000;

function own(record: unknown, key: string): unknown {
  if (typeof record !== 'object' || record === null) return undefined;
  return Object.prototype.hasOwnProperty.call(record, key) ? (record as Record<string, unknown>)[key] : undefined;
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A getter or proxy that throws makes an entry malformed, not the whole detection. */
function attempt<T>(parse: () => T | undefined): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

const finiteAtLeast = (value: unknown, min: number): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= min;

const flag = (value: unknown): boolean | undefined =>
  value === true || value === 1 ? true : value === false || value === 0 ? false : undefined;

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value.slice(0, MAX_TEXT) : undefined);

const isStorageId = (value: unknown): value is string =>
  typeof value === 'string' && STORAGE_ID.test(value) && !value.includes('..');
const isServiceName = isServiceUnit;

const NODE_STATUSES = ['online', 'offline', 'unknown'] as const;
const GUEST_STATUSES = ['running', 'stopped', 'paused', 'unknown'] as const;
const SERVICE_STATES = ['up', 'down', 'unknown'] as const;
const oneOf = <T extends string>(values: readonly T[], value: unknown): value is T =>
  typeof value === 'string' && (values as readonly string[]).includes(value);

interface ParsedNode {
  readonly name: string;
  readonly status: NodeSnapshot['status'];
  readonly mem?: number;
  readonly maxmem?: number;
}

interface ParsedGuest {
  readonly vmid: number;
  readonly node: string;
  readonly status: GuestSnapshot['status'];
  readonly template: boolean;
  readonly locked: boolean;
  readonly lock?: string;
  readonly hastate?: string;
  readonly type?: string;
  readonly name?: string;
}

interface ParsedStorage {
  readonly node: string;
  readonly storage: string;
  readonly shared: boolean;
  readonly fraction: number;
  readonly used?: number;
  readonly total?: number;
}

interface ParsedService {
  readonly name: string;
  readonly node: string;
  readonly vmid?: number;
  readonly state: WatchedService['state'];
}

function parseNode(raw: unknown): ParsedNode | undefined {
  const name = own(raw, 'name');
  const status = own(raw, 'status');
  if (!isNodeName(name) || !oneOf(NODE_STATUSES, status)) return undefined;
  const mem = own(raw, 'mem');
  const maxmem = own(raw, 'maxmem');
  return {
    name,
    status,
    ...(finiteAtLeast(mem, 0) ? { mem } : {}),
    ...(finiteAtLeast(maxmem, 0) ? { maxmem } : {}),
  };
}

function parseGuest(raw: unknown): ParsedGuest | undefined {
  const vmid = own(raw, 'vmid');
  const node = own(raw, 'node');
  const status = own(raw, 'status');
  if (!isVmid(vmid) || !isNodeName(node) || !oneOf(GUEST_STATUSES, status)) return undefined;
  const rawTemplate = own(raw, 'template');
  const template = rawTemplate === undefined ? false : flag(rawTemplate);
  if (template === undefined) return undefined;
  const lock = own(raw, 'lock');
  const hastate = text(own(raw, 'hastate'));
  const type = own(raw, 'type');
  const name = text(own(raw, 'name'));
  const locked = typeof lock === 'string' && lock !== '';
  return {
    vmid,
    node,
    status,
    template,
    locked,
    ...(locked ? { lock: lock.slice(0, MAX_TEXT) } : {}),
    ...(hastate !== undefined ? { hastate } : {}),
    ...(type === 'qemu' || type === 'lxc' ? { type } : {}),
    ...(name !== undefined ? { name } : {}),
  };
}

/** The raw measurement (used / total) wins over the reported fraction; neither may be negative or infinite. */
function usedFractionOf(used: unknown, total: unknown, reported: unknown): number | undefined {
  if (finiteAtLeast(used, 0) && finiteAtLeast(total, 0) && total > 0) {
    const fraction = used / total;
    return Number.isFinite(fraction) ? fraction : undefined;
  }
  return finiteAtLeast(reported, 0) ? reported : undefined;
}

function parseStorage(raw: unknown): ParsedStorage | undefined {
  const node = own(raw, 'node');
  const storage = own(raw, 'storage');
  const status = own(raw, 'status');
  if (!isNodeName(node) || !isStorageId(storage)) return undefined;
  // A storage PVE cannot read reports stale or zero numbers: no evidence either way.
  if (status !== undefined && status !== 'available') return undefined;
  const used = own(raw, 'used');
  const total = own(raw, 'total');
  const fraction = usedFractionOf(used, total, own(raw, 'usedFraction'));
  if (fraction === undefined) return undefined;
  return {
    node,
    storage,
    shared: flag(own(raw, 'shared')) === true,
    fraction,
    ...(finiteAtLeast(used, 0) ? { used } : {}),
    ...(finiteAtLeast(total, 0) ? { total } : {}),
  };
}

function parseService(raw: unknown): ParsedService | undefined {
  const name = own(raw, 'name');
  const node = own(raw, 'node');
  const vmid = own(raw, 'vmid');
  const state = own(raw, 'state');
  if (!isServiceName(name) || !isNodeName(node) || !oneOf(SERVICE_STATES, state)) return undefined;
  if (vmid !== undefined && !isVmid(vmid)) return undefined;
  return { name, node, state, ...(vmid !== undefined ? { vmid } : {}) };
}

/**
 * Index entries by identity. Exact duplicates collapse into one; entries that share an identity
 * but disagree are ambiguous (which one is true?), so the identity is dropped altogether.
 */
function indexUnique<T, K>(raw: unknown, parse: (entry: unknown) => T | undefined, idOf: (entry: T) => K): Map<K, T> {
  const found = new Map<K, T>();
  const signatures = new Map<K, string>();
  const ambiguous = new Set<K>();
  for (const entry of listOf(raw)) {
    const parsed = attempt(() => parse(entry));
    if (parsed === undefined) continue;
    const id = idOf(parsed);
    const signature = JSON.stringify(parsed);
    const seen = signatures.get(id);
    if (seen === undefined) {
      signatures.set(id, signature);
      found.set(id, parsed);
    } else if (seen !== signature) {
      ambiguous.add(id);
    }
  }
  for (const id of ambiguous) found.delete(id);
  return found;
}

interface ParsedSnapshot {
  readonly nodes: ReadonlyMap<string, ParsedNode>;
  readonly guests: ReadonlyMap<number, ParsedGuest>;
  readonly storage: readonly ParsedStorage[];
  readonly quorum?: { readonly quorate: boolean; readonly expected?: number };
  readonly observedAt?: number;
}

function parseSnapshot(raw: unknown): ParsedSnapshot {
  const nodes = indexUnique(
    attempt(() => own(raw, 'nodes')),
    parseNode,
    (n) => n.name,
  );
  const guests = indexUnique(
    attempt(() => own(raw, 'guests')),
    parseGuest,
    (g) => g.vmid,
  );
  const storage = [
    ...indexUnique(
      attempt(() => own(raw, 'storage')),
      parseStorage,
      (s) => `${s.node}:${s.storage}`,
    ).values(),
  ];
  const quorum = attempt(() => {
    const q = own(raw, 'quorum');
    const quorate = flag(own(q, 'quorate'));
    if (quorate === undefined) return undefined;
    const votes = (value: unknown): value is number =>
      Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_EXPECTED_VOTES;
    const expected = [own(q, 'expected'), own(q, 'nodes')].find(votes);
    return { quorate, ...(expected !== undefined ? { expected } : {}) };
  });
  const observedAt = attempt(() => own(raw, 'observedAt'));
  return {
    nodes,
    guests,
    storage,
    ...(quorum ? { quorum } : {}),
    ...(finiteAtLeast(observedAt, 0) ? { observedAt } : {}),
  };
}

function parseExplanations(raw: unknown, observedAt: number | undefined): { vmids: Set<number>; nodes: Set<string> } {
  const vmids = new Set<number>();
  const nodes = new Set<string>();
  for (const entry of listOf(raw)) {
    attempt(() => {
      const since = own(entry, 'since');
      if (!finiteAtLeast(since, 0)) return undefined;
      // An action that began after the observation cannot be what the observation shows.
      if (observedAt !== undefined && since > observedAt) return undefined;
      const vmid = own(entry, 'vmid');
      const node = own(entry, 'node');
      if (isVmid(vmid)) vmids.add(vmid);
      else if (isNodeName(node)) nodes.add(node);
      return undefined;
    });
  }
  return { vmids, nodes };
}

function resolveThresholds(raw: Partial<IncidentThresholds> | undefined): IncidentThresholds {
  const pick = (key: keyof IncidentThresholds): number => {
    const value = attempt(() => own(raw, key));
    // A fraction in (0, 1]; anything else is a configuration error, and the default still protects.
    return typeof value === 'number' && value > 0 && value <= 1 ? value : DEFAULT_THRESHOLDS[key];
  };
  return { diskHigh: pick('diskHigh'), diskCritical: pick('diskCritical'), ramHigh: pick('ramHigh') };
}

// ---- Keys and subjects ----

const keyOf = (cls: IncidentClass, ...parts: ReadonlyArray<string | number>): string =>
  ['remediate', cls, ...parts].join(':');

interface Candidate {
  readonly incident: Incident;
  /** What the incident is about; two candidates on one subject are one incident (the most severe). */
  readonly subjectId: string;
}

function candidate(
  cls: IncidentClass,
  keyParts: ReadonlyArray<string | number>,
  subject: IncidentSubject,
  subjectId: string,
  evidence: Record<string, unknown>,
): Candidate | undefined {
  const key = keyOf(cls, ...keyParts);
  // Every part was validated already; this is the last line of defence for the workflow ID.
  if (!isEntityId(key)) return undefined;
  return { incident: { key, class: cls, severity: INCIDENT_SEVERITY[cls], subject, evidence }, subjectId };
}

// ---- Detectors ----

function detectNodeDown(prev: ParsedSnapshot, cur: ParsedSnapshot, explainedNodes: ReadonlySet<string>): Candidate[] {
  const out: Candidate[] = [];
  for (const node of cur.nodes.values()) {
    if (node.status !== 'offline') continue;
    const before = prev.nodes.get(node.name);
    // A transition only: a node already offline when we started watching, or one that merely
    // vanished from the list, is no evidence of a failure.
    if (!before || before.status === 'offline') continue;
    if (explainedNodes.has(node.name)) continue;
    const guests = [...prev.guests.values()]
      .filter((g) => g.node === node.name && g.status === 'running')
      .map((g) => g.vmid)
      .sort((a, b) => a - b);
    const c = candidate('node-down', [node.name], { node: node.name }, `node:${node.name}`, {
      node: node.name,
      previousStatus: before.status,
      currentStatus: node.status,
      guestsRunningBefore: guests,
    });
    if (c) out.push(c);
  }
  return out;
}

/** Why a running → stopped guest is not a crash, or undefined when nothing explains it. */
function stopExplanation(
  before: ParsedGuest,
  now: ParsedGuest,
  explained: ReadonlySet<number>,
  desired: GuestDesiredState | undefined,
  previousAt: number | undefined,
): string | undefined {
  // The operator wants it stopped: through Jarvis or Proxmox's UI, or, for an HA guest, the HA
  // manager's request state, which is its desired state and wins over any recorded one.
  const ha = desiredFromHaState(now.hastate);
  if (ha === 'stopped') return 'ha-request';
  if (ha === undefined && desired?.desired === 'stopped') return 'desired-stopped';
  // A stop wish was still in effect after the previous look, then a start replaced it: a lagging
  // snapshot can show the wished stop after the start was asked for (the mirror case). Without
  // the previous look's time there is no telling, and a crash is the safe reading.
  if (
    ha === undefined &&
    desired?.stoppedUntil !== undefined &&
    previousAt !== undefined &&
    desired.stoppedUntil > previousAt
  ) {
    return 'desired-stopped-since-last-look';
  }
  if (explained.has(now.vmid)) return 'action';
  // PVE itself stops guests under a lock (a stop-mode backup, an offline migration).
  if (before.locked || now.locked) return 'lock';
  // A crash does not move a guest; something deliberate did.
  if (before.node !== now.node) return 'moved';
  return undefined;
}

function detectVmCrashed(
  prev: ParsedSnapshot,
  cur: ParsedSnapshot,
  explained: ReadonlySet<number>,
  desired: ReadonlyMap<number, GuestDesiredState>,
): Candidate[] {
  const out: Candidate[] = [];
  for (const now of cur.guests.values()) {
    // `unknown` is not `stopped`: PVE says unknown when it cannot see the guest at all.
    if (now.status !== 'stopped') continue;
    const before = prev.guests.get(now.vmid);
    if (!before || before.status !== 'running') continue;
    if (before.template || now.template) continue;
    // A guest whose node is not (confirmed) online is the node's incident, not the guest's.
    if (cur.nodes.get(now.node)?.status !== 'online') continue;
    if (stopExplanation(before, now, explained, desired.get(now.vmid), prev.observedAt) !== undefined) continue;
    const c = candidate('vm-crashed', [now.vmid], { node: now.node, vmid: now.vmid }, `guest:${now.vmid}`, {
      vmid: now.vmid,
      node: now.node,
      ...(now.type !== undefined ? { type: now.type } : {}),
      ...(now.name !== undefined ? { name: now.name } : {}),
      ...(now.hastate !== undefined ? { hastate: now.hastate } : {}),
      previousStatus: before.status,
      currentStatus: now.status,
    });
    if (c) out.push(c);
  }
  return out;
}

interface StorageView {
  readonly storage: string;
  readonly shared: boolean;
  /** The reporting node for a shared storage: the first online one by name. */
  readonly node: string;
  readonly nodes: readonly string[];
  readonly fraction: number;
  readonly used?: number;
  readonly total?: number;
}

/**
 * Storage as one entry per pool: a shared storage is reported by every node that mounts it, but
 * it is one disk and one incident. Only nodes confirmed online count; the fullest report wins.
 */
function storageViews(cur: ParsedSnapshot): StorageView[] {
  const groups = new Map<string, ParsedStorage[]>();
  for (const s of cur.storage) {
    if (cur.nodes.get(s.node)?.status !== 'online') continue;
    const id = s.shared ? `shared:${s.storage}` : `local:${s.node}:${s.storage}`;
    groups.set(id, [...(groups.get(id) ?? []), s]);
  }
  const views: StorageView[] = [];
  for (const entries of groups.values()) {
    const nodes = entries.map((e) => e.node).sort();
    const fullest = entries.reduce((a, b) => (b.fraction > a.fraction ? b : a));
    const first = entries[0];
    if (!first || nodes[0] === undefined) continue;
    views.push({
      storage: first.storage,
      shared: first.shared,
      node: nodes[0],
      nodes,
      fraction: fullest.fraction,
      ...(fullest.used !== undefined ? { used: fullest.used } : {}),
      ...(fullest.total !== undefined ? { total: fullest.total } : {}),
    });
  }
  return views;
}

function diskClassOf(fraction: number, t: IncidentThresholds): IncidentClass | undefined {
  if (fraction > t.diskCritical) return 'disk-critical';
  if (fraction > t.diskHigh) return 'disk-high';
  return undefined;
}

function detectDisk(cur: ParsedSnapshot, t: IncidentThresholds): Candidate[] {
  const out: Candidate[] = [];
  for (const view of storageViews(cur)) {
    const cls = diskClassOf(view.fraction, t);
    if (!cls) continue;
    const keyParts = view.shared ? [view.storage] : [view.node, view.storage];
    const subjectId = view.shared ? `storage:*:${view.storage}` : `storage:${view.node}:${view.storage}`;
    const c = candidate(cls, keyParts, { node: view.node, storage: view.storage }, subjectId, {
      node: view.node,
      storage: view.storage,
      shared: view.shared,
      ...(view.shared ? { nodes: view.nodes } : {}),
      usedFraction: view.fraction,
      ...(view.used !== undefined ? { used: view.used } : {}),
      ...(view.total !== undefined ? { total: view.total } : {}),
      threshold: cls === 'disk-critical' ? t.diskCritical : t.diskHigh,
    });
    if (c) out.push(c);
  }
  return out;
}

function memFraction(node: ParsedNode): number | undefined {
  if (node.mem === undefined || node.maxmem === undefined || node.maxmem <= 0) return undefined;
  const fraction = node.mem / node.maxmem;
  return Number.isFinite(fraction) ? fraction : undefined;
}

function detectRam(cur: ParsedSnapshot, t: IncidentThresholds): Candidate[] {
  const out: Candidate[] = [];
  for (const node of cur.nodes.values()) {
    if (node.status !== 'online') continue;
    const fraction = memFraction(node);
    if (fraction === undefined || !(fraction > t.ramHigh)) continue;
    const c = candidate('ram-high', [node.name], { node: node.name }, `node:${node.name}`, {
      node: node.name,
      mem: node.mem,
      maxmem: node.maxmem,
      usedFraction: fraction,
      threshold: t.ramHigh,
    });
    if (c) out.push(c);
  }
  return out;
}

const serviceKeyParts = (s: { name: string; node: string; vmid?: number }): Array<string | number> =>
  s.vmid === undefined ? [s.node, s.name] : [s.node, s.vmid, s.name];

/** Whether the host of a service is up; a service on a stopped guest is that guest's incident. */
function serviceHostUp(s: ParsedService, cur: ParsedSnapshot): boolean {
  if (cur.nodes.get(s.node)?.status !== 'online') return false;
  return s.vmid === undefined || cur.guests.get(s.vmid)?.status === 'running';
}

function detectServices(raw: unknown, cur: ParsedSnapshot): Candidate[] {
  const out: Candidate[] = [];
  const services = indexUnique(raw, parseService, (s) => serviceKeyParts(s).join(':'));
  for (const s of services.values()) {
    if (s.state !== 'down' || !serviceHostUp(s, cur)) continue;
    const subject: IncidentSubject = {
      node: s.node,
      service: s.name,
      ...(s.vmid !== undefined ? { vmid: s.vmid } : {}),
    };
    const c = candidate('service-down', serviceKeyParts(s), subject, `service:${serviceKeyParts(s).join(':')}`, {
      node: s.node,
      service: s.name,
      ...(s.vmid !== undefined ? { vmid: s.vmid } : {}),
      state: s.state,
    });
    if (c) out.push(c);
  }
  return out;
}

interface QuorumView {
  readonly atRisk: boolean;
  readonly evidence: Record<string, unknown>;
}

/**
 * Not quorate is at risk by definition. Quorate with no node to spare (online == the majority of
 * expected votes) is at risk too, but only for three or more votes: a one- or two-node cluster
 * always sits at its minimum, which is how it was built, not an incident.
 */
function quorumView(cur: ParsedSnapshot): QuorumView | undefined {
  const q = cur.quorum;
  if (!q) return undefined;
  const online = [...cur.nodes.values()].filter((n) => n.status === 'online').length;
  const expected = q.expected ?? (cur.nodes.size > 0 ? cur.nodes.size : undefined);
  const minimum = expected === undefined ? undefined : Math.floor(expected / 2) + 1;
  const evidence = {
    quorate: q.quorate,
    online,
    ...(expected !== undefined ? { expected } : {}),
    ...(minimum !== undefined ? { minimum } : {}),
  };
  if (!q.quorate) return { atRisk: true, evidence };
  if (expected === undefined || minimum === undefined || expected < 3 || cur.nodes.size === 0) {
    return { atRisk: false, evidence };
  }
  return { atRisk: online <= minimum, evidence };
}

function detectQuorum(cur: ParsedSnapshot): Candidate[] {
  const view = quorumView(cur);
  if (!view?.atRisk) return [];
  const c = candidate('quorum-at-risk', ['cluster'], { node: CLUSTER_SUBJECT_NODE }, 'cluster', view.evidence);
  return c ? [c] : [];
}

/**
 * The incidents two consecutive snapshots show, most severe first. A node that went down covers
 * everything on it; on any one subject (a guest, a node, a storage, a service, the cluster) the most
 * severe incident wins.
 */
export function detectIncidents(input: DetectInput): Incident[] {
  const prev = parseSnapshot(attempt(() => own(input, 'previous')));
  const cur = parseSnapshot(attempt(() => own(input, 'current')));
  const thresholds = resolveThresholds(attempt(() => own(input, 'thresholds')) as Partial<IncidentThresholds>);
  const explained = parseExplanations(
    attempt(() => own(input, 'explainedStops')),
    cur.observedAt,
  );
  const desired = indexDesiredStates(attempt(() => own(input, 'desired')));

  // Every detector below the node's own skips what sits on a node that is not online: a node that
  // went down covers its guests, storage, memory and services, and stale numbers from it prove nothing.
  const candidates = [
    ...detectNodeDown(prev, cur, explained.nodes),
    ...detectQuorum(cur),
    ...detectVmCrashed(prev, cur, explained.vmids, desired),
    ...detectServices(
      attempt(() => own(input, 'watchedServices')),
      cur,
    ),
    ...detectRam(cur, thresholds),
    ...detectDisk(cur, thresholds),
  ];

  // Each detector yields at most one incident per subject today; this keeps "most severe wins"
  // true by rule rather than by coincidence when a detector is added.
  const bySubject = new Map<string, Incident>();
  for (const { incident, subjectId } of candidates) {
    const held = bySubject.get(subjectId);
    if (!held || compareIncidents(incident, held) < 0) bySubject.set(subjectId, incident);
  }
  return [...bySubject.values()].sort(compareIncidents);
}

// ---- Re-check ----

export type IncidentCheck = 'holds' | 'cleared' | 'unknown';

/**
 * Whether an incident still holds in the current snapshot: `holds` only on positive evidence,
 * `cleared` when the snapshot shows it is over, `unknown` when the snapshot cannot tell (the node
 * is unreachable, the entry is missing or malformed). A remediation acts only on `holds`.
 */
export function checkIncident(incident: Incident, current: ClusterSnapshot, options: CheckOptions = {}): IncidentCheck {
  return attempt(() => checkUnsafe(incident, current, options)) ?? 'unknown';
}

/** The re-check after a kill-switch release: act only if the incident positively still holds. */
export function incidentStillHolds(incident: Incident, current: ClusterSnapshot, options: CheckOptions = {}): boolean {
  return checkIncident(incident, current, options) === 'holds';
}

function checkUnsafe(incident: Incident, current: ClusterSnapshot, options: CheckOptions): IncidentCheck {
  const cls = own(incident, 'class');
  const subject = own(incident, 'subject');
  const node = own(subject, 'node');
  const cur = parseSnapshot(current);
  const t = resolveThresholds(own(options, 'thresholds') as Partial<IncidentThresholds> | undefined);
  const nodeStatus = isNodeName(node) ? cur.nodes.get(node)?.status : undefined;

  switch (cls) {
    case 'node-down':
      return nodeStatus === 'offline' ? 'holds' : nodeStatus === 'online' ? 'cleared' : 'unknown';
    case 'vm-crashed': {
      const vmid = own(subject, 'vmid');
      if (!isVmid(vmid)) return 'unknown';
      const guest = cur.guests.get(vmid);
      if (!guest || guest.status === 'unknown') return 'unknown';
      if (guest.template || guest.status === 'running' || guest.status === 'paused') return 'cleared';
      // Stopped, as the operator now wants it: restarting it would undo them.
      const ha = desiredFromHaState(guest.hastate);
      if (ha === 'stopped') return 'cleared';
      if (ha === undefined && indexDesiredStates(own(options, 'desired')).get(vmid)?.desired === 'stopped')
        return 'cleared';
      return cur.nodes.get(guest.node)?.status === 'online' ? 'holds' : 'unknown';
    }
    case 'disk-high':
    case 'disk-critical': {
      const storage = own(subject, 'storage');
      const shared = own(own(incident, 'evidence'), 'shared') === true;
      const view = storageViews(cur).find(
        (v) => v.storage === storage && v.shared === shared && (shared || v.node === node),
      );
      if (!view) return 'unknown';
      const limit = cls === 'disk-critical' ? t.diskCritical : t.diskHigh;
      return view.fraction > limit ? 'holds' : 'cleared';
    }
    case 'ram-high': {
      const found = isNodeName(node) ? cur.nodes.get(node) : undefined;
      const fraction = found?.status === 'online' ? memFraction(found) : undefined;
      if (fraction === undefined) return 'unknown';
      return fraction > t.ramHigh ? 'holds' : 'cleared';
    }
    case 'service-down': {
      const name = own(subject, 'service');
      const vmid = own(subject, 'vmid');
      const services = indexUnique(own(options, 'watchedServices'), parseService, (s) => serviceKeyParts(s).join(':'));
      const found = [...services.values()].find((s) => s.name === name && s.node === node && s.vmid === vmid);
      if (!found || found.state === 'unknown' || !serviceHostUp(found, cur)) return 'unknown';
      return found.state === 'down' ? 'holds' : 'cleared';
    }
    case 'quorum-at-risk': {
      const view = quorumView(cur);
      if (!view) return 'unknown';
      return view.atRisk ? 'holds' : 'cleared';
    }
    default:
      return 'unknown';
  }
}
