import { bool, int, isRecord, measure, text, tagList, type RawRecord } from './coerce';

/**
 * Pure mapping from raw PVE cluster data to the CONTRACT "Cluster fields" shapes. No I/O and no
 * clock (the time comes in as an argument), so it is unit-tested with hand-written payloads.
 * Names, tags and locks are carried as data and never interpreted.
 */

export type NodeStatus = 'online' | 'offline' | 'unknown';
export type GuestStatus = 'running' | 'stopped' | 'paused' | 'unknown';

export interface NodeTemperature {
  packageC: number;
  maxCoreC: number;
}

export interface ClusterNode {
  name: string;
  status: NodeStatus;
  cpu: number;
  mem: number;
  maxmem: number;
  disk: number;
  maxdisk: number;
  uptime: number;
  /** Not in the PVE API; filled from SSH sensors elsewhere, null here. */
  temperature: NodeTemperature | null;
}

export interface ClusterGuest {
  vmid: number;
  node: string;
  type: 'qemu' | 'lxc';
  name: string;
  status: GuestStatus;
  template: boolean;
  lock?: string;
  tags: string[];
  hastate?: string;
  /** What the operator last asked for (the API adds it from the desired-state projection). */
  desired?: 'running' | 'stopped';
  cpu: number;
  mem: number;
  maxmem: number;
  uptime: number;
}

export interface ClusterStorage {
  node: string;
  storage: string;
  type: string;
  shared: boolean;
  used: number;
  total: number;
  usedFraction: number;
  status: string;
}

export interface ClusterQuorum {
  quorate: boolean;
  /** Members currently online. */
  nodes: number;
  /** Configured members (the cluster entry's `nodes`), when known. */
  expected?: number;
  /** /cluster/status could not be read (e.g. refused without Sys.Audit on /): `quorate` means nothing. */
  unknown?: true;
}

/** A read Proxmox refused or does not offer: what is missing from the state, and why. */
export interface ClusterUnavailable {
  /** The PVE path that was not read, e.g. /cluster/status. */
  read: string;
  /** The ProxmoxError code: PERMISSION, AUTH, NOT_IMPLEMENTED. */
  code: string;
  /** Proxmox's own words, e.g. `Permission check failed (/, Sys.Audit)`. */
  reason: string;
  /** What is unknown because of it. */
  unknown: string;
}

export interface ClusterState {
  quorum: ClusterQuorum;
  nodes: ClusterNode[];
  guests: ClusterGuest[];
  storage: ClusterStorage[];
  updatedAt: string;
  stale: boolean;
  /** Reads Proxmox refused: the state is partial, and this says what is missing and why. */
  unavailable?: ClusterUnavailable[];
}

/** One node entry of /cluster/status: corosync membership, fresher than /cluster/resources. */
export interface ClusterMember {
  name: string;
  nodeid?: number;
  ip?: string;
  online: boolean;
  local: boolean;
  level?: string;
}

export interface ParsedClusterStatus {
  clusterName?: string;
  quorum: ClusterQuorum;
  members: ClusterMember[];
  dropped: number;
}

export interface ClusterResources {
  nodes: ClusterNode[];
  guests: ClusterGuest[];
  storage: ClusterStorage[];
  /** Entries that could not be understood and were left out. */
  dropped: number;
}

// `id` is "qemu/100", "node/pve1", "storage/pve1/local": a fallback when the explicit key is missing.
function idPart(raw: RawRecord, index: number): string | undefined {
  const id = text(raw['id']);
  return id?.split('/')[index];
}

export function normalizeNode(raw: unknown): ClusterNode | undefined {
  if (!isRecord(raw)) return undefined;
  const name = text(raw['node']) ?? text(raw['name']) ?? idPart(raw, 1);
  if (name === undefined) return undefined;
  const status = text(raw['status']);
  return {
    name,
    status: status === 'online' || status === 'offline' ? status : 'unknown',
    cpu: measure(raw['cpu']),
    mem: measure(raw['mem']),
    maxmem: measure(raw['maxmem']),
    disk: measure(raw['disk']),
    maxdisk: measure(raw['maxdisk']),
    uptime: measure(raw['uptime']),
    temperature: null,
  };
}

export function guestStatusOf(status: unknown, qmpstatus?: unknown): GuestStatus {
  // qmpstatus is the finer view: a paused or suspended VM still reports status "running".
  if (qmpstatus === 'paused' || qmpstatus === 'suspended') return 'paused';
  return status === 'running' || status === 'stopped' || status === 'paused' ? status : 'unknown';
}

export function normalizeGuest(raw: unknown): ClusterGuest | undefined {
  if (!isRecord(raw)) return undefined;
  const type = text(raw['type']) ?? idPart(raw, 0);
  if (type !== 'qemu' && type !== 'lxc') return undefined;
  const vmid = int(raw['vmid']) ?? int(idPart(raw, 1));
  if (vmid === undefined || vmid < 1) return undefined;
  const node = text(raw['node']);
  if (node === undefined) return undefined;
  const guest: ClusterGuest = {
    vmid,
    node,
    type,
    name: text(raw['name']) ?? `${type === 'qemu' ? 'VM' : 'CT'} ${vmid}`,
    status: guestStatusOf(raw['status'], raw['qmpstatus']),
    template: bool(raw['template']) ?? false,
    tags: tagList(raw['tags']),
    cpu: measure(raw['cpu']),
    mem: measure(raw['mem']),
    maxmem: measure(raw['maxmem']),
    uptime: measure(raw['uptime']),
  };
  const lock = text(raw['lock']);
  if (lock !== undefined) guest.lock = lock;
  const hastate = text(raw['hastate']);
  if (hastate !== undefined) guest.hastate = hastate;
  return guest;
}

export function usedFraction(used: number, total: number): number {
  return total > 0 ? Math.min(1, used / total) : 0;
}

/** A storage entry of /cluster/resources (`plugintype`, `disk`/`maxdisk`). */
export function normalizeStorage(raw: unknown): ClusterStorage | undefined {
  if (!isRecord(raw)) return undefined;
  const node = text(raw['node']) ?? idPart(raw, 1);
  const storage = text(raw['storage']) ?? idPart(raw, 2);
  if (node === undefined || storage === undefined) return undefined;
  const used = measure(raw['disk']);
  const total = measure(raw['maxdisk']);
  return {
    node,
    storage,
    type: text(raw['plugintype']) ?? text(raw['type']) ?? 'unknown',
    shared: bool(raw['shared']) ?? false,
    used,
    total,
    usedFraction: usedFraction(used, total),
    status: text(raw['status']) ?? 'unknown',
  };
}

/** Splits /cluster/resources by entry type; sdn, pool and future types are skipped, not counted. */
export function partitionResources(raw: unknown): ClusterResources {
  const out: ClusterResources = { nodes: [], guests: [], storage: [], dropped: 0 };
  if (!Array.isArray(raw)) return out;
  for (const entry of raw) {
    const type = isRecord(entry) ? (text(entry['type']) ?? idPart(entry, 0)) : undefined;
    if (type === 'node') push(out.nodes, normalizeNode(entry), out);
    else if (type === 'qemu' || type === 'lxc') push(out.guests, normalizeGuest(entry), out);
    else if (type === 'storage') push(out.storage, normalizeStorage(entry), out);
    else if (type === undefined) out.dropped++;
  }
  sortResources(out);
  return out;
}

function push<T>(list: T[], item: T | undefined, counter: { dropped: number }): void {
  if (item === undefined) counter.dropped++;
  else list.push(item);
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function sortResources(r: Pick<ClusterResources, 'nodes' | 'guests' | 'storage'>): void {
  r.nodes.sort((a, b) => byText(a.name, b.name));
  r.guests.sort((a, b) => a.vmid - b.vmid || byText(a.node, b.node));
  r.storage.sort((a, b) => byText(a.node, b.node) || byText(a.storage, b.storage));
}

function parseMember(raw: unknown): ClusterMember | undefined {
  if (!isRecord(raw)) return undefined;
  const name = text(raw['name']) ?? idPart(raw, 1);
  if (name === undefined) return undefined;
  const member: ClusterMember = { name, online: bool(raw['online']) ?? false, local: bool(raw['local']) ?? false };
  const nodeid = int(raw['nodeid']);
  if (nodeid !== undefined) member.nodeid = nodeid;
  const ip = text(raw['ip']);
  if (ip !== undefined) member.ip = ip;
  const level = text(raw['level']);
  if (level !== undefined) member.level = level;
  return member;
}

/** /cluster/status: one optional `cluster` entry (absent on a standalone node) and node entries. */
export function parseClusterStatus(raw: unknown): ParsedClusterStatus {
  const entries = Array.isArray(raw) ? raw : [];
  let cluster: RawRecord | undefined;
  const nodes: ClusterMember[] = [];
  const counter = { dropped: 0 };
  for (const entry of entries) {
    const type = isRecord(entry) ? entry['type'] : undefined;
    if (type === 'cluster' && isRecord(entry)) cluster = entry;
    else if (type === 'node' || type === undefined) push(nodes, parseMember(entry), counter);
  }
  nodes.sort((a, b) => byText(a.name, b.name));
  const online = nodes.filter((m) => m.online).length;

  const result: ParsedClusterStatus = {
    quorum: { quorate: false, nodes: online },
    members: nodes,
    dropped: counter.dropped,
  };
  if (cluster) {
    result.quorum.quorate = bool(cluster['quorate']) ?? false;
    result.quorum.expected = int(cluster['nodes']) ?? nodes.length;
    const name = text(cluster['name']);
    if (name !== undefined) result.clusterName = name;
  } else if (nodes.length === 1) {
    // A standalone node has no corosync and is always "quorate" for itself.
    result.quorum = { quorate: true, nodes: online, expected: 1 };
  }
  return result;
}

/**
 * Combines the two cluster reads into the dashboard state. Membership from /cluster/status wins
 * over the node status in /cluster/resources, which lags by up to one pvestatd cycle (10 s).
 */
export function combineClusterState(status: ParsedClusterStatus, resources: ClusterResources, now: Date): ClusterState {
  const members = new Map(status.members.map((m) => [m.name, m]));
  const nodes = resources.nodes.map((n) =>
    members.get(n.name)?.online === false && n.status === 'online' ? { ...n, status: 'offline' as const } : n,
  );
  for (const m of status.members) {
    if (!nodes.some((n) => n.name === m.name)) {
      nodes.push({ ...emptyNode(m.name), status: m.online ? 'unknown' : 'offline' });
    }
  }
  const state = { nodes, guests: [...resources.guests], storage: [...resources.storage] };
  sortResources(state);
  return { quorum: { ...status.quorum }, ...state, updatedAt: now.toISOString(), stale: false };
}

function emptyNode(name: string): ClusterNode {
  return { name, status: 'unknown', cpu: 0, mem: 0, maxmem: 0, disk: 0, maxdisk: 0, uptime: 0, temperature: null };
}

/**
 * The state from /cluster/resources alone, when /cluster/status was refused: membership and quorum
 * are unknown (nodes keep the status /cluster/resources gives them), and `unavailable` says why.
 */
export function resourcesOnlyClusterState(
  resources: ClusterResources,
  now: Date,
  refused: { code: string; message: string },
): ClusterState {
  const state = { nodes: [...resources.nodes], guests: [...resources.guests], storage: [...resources.storage] };
  sortResources(state);
  const online = state.nodes.filter((n) => n.status === 'online').length;
  return {
    quorum: { quorate: false, nodes: online, expected: state.nodes.length, unknown: true },
    ...state,
    updatedAt: now.toISOString(),
    stale: false,
    unavailable: [
      {
        read: '/cluster/status',
        code: refused.code,
        reason: refused.message,
        unknown: 'quorum and cluster membership',
      },
    ],
  };
}

/** Both raw payloads in, the contract state and the number of entries dropped out. */
export function buildClusterState(
  rawStatus: unknown,
  rawResources: unknown,
  now: Date,
): { state: ClusterState; dropped: number } {
  const status = parseClusterStatus(rawStatus);
  const resources = partitionResources(rawResources);
  return { state: combineClusterState(status, resources, now), dropped: status.dropped + resources.dropped };
}
