import { bool, int, isRecord, measure, num, str, tagList, text, type RawRecord } from './coerce';
import { type GuestKind } from './identifiers';
import {
  guestStatusOf,
  normalizeNode,
  usedFraction,
  type ClusterNode,
  type ClusterStorage,
  type GuestStatus,
} from './normalize';

/**
 * Typed views of the per-node endpoints. Each parser takes `unknown` and either returns a value
 * with every field coerced, or undefined when the entry is unusable (the caller decides whether
 * that is a dropped list entry or a MALFORMED response).
 */

export interface PveVersion {
  version: string;
  release: string;
  repoid: string;
}

export function parseVersion(raw: unknown): PveVersion | undefined {
  if (!isRecord(raw)) return undefined;
  const version = text(raw['version']);
  if (version === undefined) return undefined;
  return {
    version,
    release: text(raw['release']) ?? version.split('.').slice(0, 2).join('.'),
    repoid: str(raw['repoid']) ?? '',
  };
}

export interface PveNodeListEntry extends ClusterNode {
  maxcpu: number;
  sslFingerprint?: string;
}

export function parseNodeListEntry(raw: unknown): PveNodeListEntry | undefined {
  const node = normalizeNode(raw);
  if (!node || !isRecord(raw)) return undefined;
  const entry: PveNodeListEntry = { ...node, maxcpu: measure(raw['maxcpu']) };
  const fp = text(raw['ssl_fingerprint']);
  if (fp !== undefined) entry.sslFingerprint = fp;
  return entry;
}

export interface PveSpace {
  total: number;
  used: number;
  free: number;
}

export interface PveNodeStatus {
  uptime: number;
  cpu: number;
  wait: number;
  loadavg: [number, number, number];
  memory: PveSpace;
  swap: PveSpace;
  rootfs: PveSpace & { avail: number };
  pveversion?: string;
  kversion?: string;
  cpuinfo: { model?: string; cores: number; cpus: number; sockets: number; mhz: number };
}

function space(raw: unknown): PveSpace & { avail: number } {
  const r = isRecord(raw) ? raw : {};
  return { total: measure(r['total']), used: measure(r['used']), free: measure(r['free']), avail: measure(r['avail']) };
}

export function parseNodeStatus(raw: unknown): PveNodeStatus | undefined {
  if (!isRecord(raw)) return undefined;
  const load = Array.isArray(raw['loadavg']) ? raw['loadavg'] : [];
  const cpuinfo = isRecord(raw['cpuinfo']) ? raw['cpuinfo'] : {};
  const { avail: _m, ...memory } = space(raw['memory']);
  const { avail: _s, ...swap } = space(raw['swap']);
  const status: PveNodeStatus = {
    uptime: measure(raw['uptime']),
    cpu: measure(raw['cpu']),
    wait: measure(raw['wait']),
    loadavg: [measure(load[0]), measure(load[1]), measure(load[2])],
    memory,
    swap,
    rootfs: space(raw['rootfs']),
    cpuinfo: {
      cores: measure(cpuinfo['cores']),
      cpus: measure(cpuinfo['cpus']),
      sockets: measure(cpuinfo['sockets']),
      mhz: measure(cpuinfo['mhz']),
    },
  };
  const model = text(cpuinfo['model']);
  if (model !== undefined) status.cpuinfo.model = model;
  const pveversion = text(raw['pveversion']);
  if (pveversion !== undefined) status.pveversion = pveversion;
  const kversion = text(raw['kversion']);
  if (kversion !== undefined) status.kversion = kversion;
  return status;
}

export interface PveGuestEntry {
  vmid: number;
  type: GuestKind;
  name: string;
  status: GuestStatus;
  template: boolean;
  lock?: string;
  tags: string[];
  cpu: number;
  cpus: number;
  mem: number;
  maxmem: number;
  disk: number;
  maxdisk: number;
  uptime: number;
  pid?: number;
}

function guestFields(raw: RawRecord, kind: GuestKind): PveGuestEntry | undefined {
  const vmid = int(raw['vmid']);
  if (vmid === undefined || vmid < 1) return undefined;
  const entry: PveGuestEntry = {
    vmid,
    type: kind,
    name: text(raw['name']) ?? `${kind === 'qemu' ? 'VM' : 'CT'} ${vmid}`,
    status: guestStatusOf(raw['status'], raw['qmpstatus']),
    template: bool(raw['template']) ?? false,
    tags: tagList(raw['tags']),
    cpu: measure(raw['cpu']),
    cpus: measure(raw['cpus'] ?? raw['maxcpu']),
    mem: measure(raw['mem']),
    maxmem: measure(raw['maxmem']),
    disk: measure(raw['disk']),
    maxdisk: measure(raw['maxdisk']),
    uptime: measure(raw['uptime']),
  };
  const lock = text(raw['lock']);
  if (lock !== undefined) entry.lock = lock;
  const pid = int(raw['pid']);
  if (pid !== undefined) entry.pid = pid;
  return entry;
}

export function parseGuestEntry(raw: unknown, kind: GuestKind): PveGuestEntry | undefined {
  return isRecord(raw) ? guestFields(raw, kind) : undefined;
}

export interface PveHaInfo {
  managed: boolean;
  state?: string;
  group?: string;
}

export interface PveGuestStatus extends PveGuestEntry {
  /** `status` as PVE sent it; `status` above folds in qmpstatus (paused). */
  rawStatus?: string;
  qmpstatus?: string;
  ha: PveHaInfo;
}

export function parseGuestStatus(raw: unknown, kind: GuestKind, vmid: number): PveGuestStatus | undefined {
  if (!isRecord(raw)) return undefined;
  // status/current of older LXC builds omits vmid; the path already names the guest.
  const base = guestFields({ ...raw, vmid: raw['vmid'] ?? vmid }, kind);
  if (!base || text(raw['status']) === undefined) return undefined;
  const haRaw = isRecord(raw['ha']) ? raw['ha'] : {};
  const ha: PveHaInfo = { managed: bool(haRaw['managed']) ?? false };
  const haState = text(haRaw['state']);
  if (haState !== undefined) ha.state = haState;
  const group = text(haRaw['group']);
  if (group !== undefined) ha.group = group;
  const result: PveGuestStatus = { ...base, ha };
  const rawStatus = text(raw['status']);
  if (rawStatus !== undefined) result.rawStatus = rawStatus;
  const qmp = text(raw['qmpstatus']);
  if (qmp !== undefined) result.qmpstatus = qmp;
  return result;
}

export interface PveNodeStorage extends ClusterStorage {
  content: string[];
  active: boolean;
  enabled: boolean;
  avail: number;
}

/** An entry of /nodes/{n}/storage (`type`, `total`/`used`, `active`/`enabled`), in the contract shape. */
export function parseNodeStorage(raw: unknown, node: string): PveNodeStorage | undefined {
  if (!isRecord(raw)) return undefined;
  const storage = text(raw['storage']);
  if (storage === undefined) return undefined;
  const used = measure(raw['used']);
  const total = measure(raw['total']);
  const active = bool(raw['active']) ?? true;
  const enabled = bool(raw['enabled']) ?? true;
  return {
    node,
    storage,
    type: text(raw['type']) ?? 'unknown',
    shared: bool(raw['shared']) ?? false,
    used,
    total,
    usedFraction: num(raw['used_fraction']) ?? usedFraction(used, total),
    status: !enabled ? 'disabled' : !active ? 'inactive' : 'available',
    content: (text(raw['content']) ?? '').split(',').filter((c) => c !== ''),
    active,
    enabled,
    avail: measure(raw['avail']),
  };
}

/** One RRD row: `time` plus whichever columns had samples (PVE omits the empty ones). */
export type PveRrdRow = { time: number } & Record<string, number>;

export function parseRrdRow(raw: unknown): PveRrdRow | undefined {
  if (!isRecord(raw)) return undefined;
  const time = int(raw['time']);
  if (time === undefined) return undefined;
  const row: PveRrdRow = { time };
  for (const [key, value] of Object.entries(raw)) {
    const n = num(value);
    if (n !== undefined) row[key] = n;
  }
  return row;
}

export interface PveHaResource {
  sid: string;
  /** vm or ct */
  type: string;
  vmid?: number;
  /** Requested state; PVE's default is `started`. */
  state: string;
  group?: string;
  comment?: string;
}

export function parseHaResource(raw: unknown): PveHaResource | undefined {
  if (!isRecord(raw)) return undefined;
  const sid = text(raw['sid']);
  if (sid === undefined) return undefined;
  const [prefix, id] = sid.split(':');
  const resource: PveHaResource = {
    sid,
    type: text(raw['type']) ?? prefix ?? '',
    state: text(raw['state']) ?? 'started',
  };
  const vmid = int(id);
  if (vmid !== undefined) resource.vmid = vmid;
  const group = text(raw['group']);
  if (group !== undefined) resource.group = group;
  const comment = str(raw['comment']);
  if (comment !== undefined) resource.comment = comment;
  return resource;
}

export interface PveHaStatusEntry {
  id: string;
  type: string;
  node?: string;
  status?: string;
  quorate?: boolean;
  sid?: string;
  state?: string;
  crmState?: string;
  requestState?: string;
  timestamp?: number;
}

export function parseHaStatusEntry(raw: unknown): PveHaStatusEntry | undefined {
  if (!isRecord(raw)) return undefined;
  const id = text(raw['id']);
  if (id === undefined) return undefined;
  const entry: PveHaStatusEntry = { id, type: text(raw['type']) ?? id.split(':')[0] ?? '' };
  const strings = {
    node: 'node',
    status: 'status',
    sid: 'sid',
    state: 'state',
    crmState: 'crm_state',
    requestState: 'request_state',
  } as const;
  for (const [key, wire] of Object.entries(strings) as [keyof typeof strings, string][]) {
    const value = text(raw[wire]);
    if (value !== undefined) entry[key] = value;
  }
  const quorate = bool(raw['quorate']);
  if (quorate !== undefined) entry.quorate = quorate;
  const timestamp = int(raw['timestamp']);
  if (timestamp !== undefined) entry.timestamp = timestamp;
  return entry;
}
