import { inspect } from 'node:util';
import { isSnapshotName } from '@jarvis/policies';
import { parseList } from './coerce';
import {
  HttpTransport,
  type CallOptions,
  type EndpointStatus,
  type Query,
  type TransportOptions,
} from './http-transport';
import {
  assertGuestKind,
  assertNodeName,
  assertPowerAction,
  assertRrd,
  assertUpid,
  assertVmid,
  parseUpid,
  type GuestKind,
  type PowerAction,
  type RrdCf,
  type RrdTimeframe,
} from './identifiers';
import { parseClusterStatus, partitionResources, type ClusterResources, type ParsedClusterStatus } from './normalize';
import { ProxmoxError } from './proxmox.errors';
import {
  parseGuestEntry,
  parseGuestStatus,
  parseHaResource,
  parseHaStatusEntry,
  parseNodeListEntry,
  parseNodeStatus,
  parseNodeStorage,
  parseRrdRow,
  parseVersion,
  type PveGuestEntry,
  type PveGuestStatus,
  type PveHaResource,
  type PveHaStatusEntry,
  type PveNodeListEntry,
  type PveNodeStatus,
  type PveNodeStorage,
  type PveRrdRow,
  type PveVersion,
} from './pve-records';
import {
  parseTaskListEntry,
  parseTaskLog,
  parseTaskStatus,
  type PveTaskListEntry,
  type PveTaskLog,
  type PveTaskStatus,
} from './task-records';

export type ProxmoxClientOptions = TransportOptions;
export type { CallOptions, EndpointStatus };

export interface ListTasksOptions {
  vmid?: number | string;
  /** Task type, e.g. qmstop, vzstart, hastop. */
  typefilter?: string;
  /** Unix seconds. */
  since?: number;
  /** archive (PVE's default), active or all. */
  source?: 'archive' | 'active' | 'all';
  limit?: number;
  userfilter?: string;
}

export type PowerParams = Record<string, string | number | boolean>;

// Parameter names go into a form body, but an unexpected key could still toggle a PVE option
// (e.g. skiplock); only plain PVE-style names are passed on.
const PARAM_NAME = /^[a-z][a-z0-9-]{0,39}$/i;

/**
 * Typed client for the PVE 8.x REST API, read tolerantly (see PROXMOX_API_NOTES.md): numbers may
 * come as strings, booleans as 0/1, keys may be missing, list order is arbitrary. Lists are
 * returned sorted and with unusable entries left out; a body that is not the expected shape at
 * all is a MALFORMED error.
 */
export class ProxmoxClient {
  readonly #http: HttpTransport;

  constructor(options: ProxmoxClientOptions) {
    this.#http = new HttpTransport(options);
  }

  /** The endpoint requests go to now (it moves on failover). */
  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  /**
   * Every API endpoint known (configured, then discovered from /cluster/status) and its state:
   * `active` (in use), `healthy`, `down` (probed until it answers) or `untrusted` (never used).
   */
  endpoints(): EndpointStatus[] {
    return this.#http.endpoints();
  }

  /** Learns the other nodes' endpoints now; it also runs by itself after the first request and every minute. */
  discoverEndpoints(): Promise<void> {
    return this.#http.discover();
  }

  /** `user@realm!tokenid`: the identity PVE records on the tasks this client starts. */
  get apiUser(): string {
    return this.#http.apiUser;
  }

  async version(opts?: CallOptions): Promise<PveVersion> {
    return this.#one('GET', '/version', parseVersion, undefined, opts);
  }

  async clusterStatus(opts?: CallOptions): Promise<ParsedClusterStatus> {
    return parseClusterStatus(await this.#list('/cluster/status', undefined, opts));
  }

  /** /cluster/resources; with `type: 'vm'` PVE answers qemu and lxc entries. */
  async clusterResources(type?: 'vm' | 'node' | 'storage', opts?: CallOptions): Promise<ClusterResources> {
    return partitionResources(await this.#list('/cluster/resources', { type }, opts));
  }

  async nodes(opts?: CallOptions): Promise<PveNodeListEntry[]> {
    const { items } = parseList(await this.#list('/nodes', undefined, opts), parseNodeListEntry);
    return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async nodeStatus(node: string, opts?: CallOptions): Promise<PveNodeStatus> {
    return this.#one('GET', `/nodes/${assertNodeName(node)}/status`, parseNodeStatus, undefined, opts);
  }

  async listGuests(node: string, kind: GuestKind, opts?: CallOptions): Promise<PveGuestEntry[]> {
    const path = `/nodes/${assertNodeName(node)}/${assertGuestKind(kind)}`;
    const { items } = parseList(await this.#list(path, undefined, opts), (e) => parseGuestEntry(e, kind));
    return items.sort((a, b) => a.vmid - b.vmid);
  }

  async guestStatus(node: string, vmid: number | string, kind: GuestKind, opts?: CallOptions): Promise<PveGuestStatus> {
    const id = assertVmid(vmid);
    const path = `/nodes/${assertNodeName(node)}/${assertGuestKind(kind)}/${id}/status/current`;
    return this.#one('GET', path, (raw) => parseGuestStatus(raw, kind, id), undefined, opts);
  }

  /** Starts a power action and returns its UPID. Failures PVE reports synchronously are thrown. */
  async powerAction(
    node: string,
    vmid: number | string,
    kind: GuestKind,
    action: PowerAction,
    params: PowerParams = {},
    opts?: CallOptions,
  ): Promise<string> {
    const path = `/nodes/${assertNodeName(node)}/${assertGuestKind(kind)}/${assertVmid(vmid)}/status/${assertPowerAction(action)}`;
    for (const key of Object.keys(params)) {
      if (!PARAM_NAME.test(key)) throw new ProxmoxError('BAD_REQUEST', 'invalid power-action parameter name');
    }
    return this.#one('POST', path, (raw) => parseUpid(raw)?.upid, params, opts);
  }

  /** POST /nodes/{node}/qemu/{vmid}/snapshot: a qmsnapshot task (disk only, no RAM state). Returns its UPID. */
  async createSnapshot(
    node: string,
    vmid: number | string,
    snapname: string,
    description?: string,
    opts?: CallOptions,
  ): Promise<string> {
    const path = `/nodes/${assertNodeName(node)}/qemu/${assertVmid(vmid)}/snapshot`;
    const params = { snapname: assertSnapname(snapname), ...(description ? { description } : {}) };
    return this.#one('POST', path, (raw) => parseUpid(raw)?.upid, params, opts);
  }

  /** POST /nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback: a qmrollback task. Returns its UPID. */
  async rollbackSnapshot(node: string, vmid: number | string, snapname: string, opts?: CallOptions): Promise<string> {
    const path = `/nodes/${assertNodeName(node)}/qemu/${assertVmid(vmid)}/snapshot/${assertSnapname(snapname)}/rollback`;
    return this.#one('POST', path, (raw) => parseUpid(raw)?.upid, {}, opts);
  }

  /**
   * Wake-on-LAN: POST /nodes/{target}/wakeonlan. PVE does not proxy it, so the node that serves
   * this API sends the magic packet; it must be online and must not be the target. Pass
   * `opts.endpointNode` (a survivor) to choose that node. Returns the MAC.
   */
  async wakeOnLan(target: string, opts?: CallOptions): Promise<string> {
    const path = `/nodes/${assertNodeName(target)}/wakeonlan`;
    return this.#one('POST', path, (raw) => (typeof raw === 'string' && raw !== '' ? raw : undefined), {}, opts);
  }

  /** POST /nodes/{node}/status: reboots or shuts a node down. PVE answers null (no task to follow). */
  async nodeCommand(node: string, command: 'reboot' | 'shutdown', opts?: CallOptions): Promise<void> {
    if (command !== 'reboot' && command !== 'shutdown') throw new ProxmoxError('BAD_REQUEST', 'invalid node command');
    const path = `/nodes/${assertNodeName(node)}/status`;
    await this.#http.request('POST', path, undefined, { command }, opts);
  }

  async taskStatus(node: string, upid: string, opts?: CallOptions): Promise<PveTaskStatus> {
    const path = this.#taskPath(node, upid, 'status');
    return this.#one('GET', path, (raw) => parseTaskStatus(raw, upid), undefined, opts);
  }

  /** `start` is a 0-based line offset; `limit: 0` means every line. */
  async taskLog(
    node: string,
    upid: string,
    range: { start?: number; limit?: number } = {},
    opts?: CallOptions,
  ): Promise<PveTaskLog> {
    const path = this.#taskPath(node, upid, 'log');
    const envelope = await this.#http.request('GET', path, { start: range.start, limit: range.limit }, undefined, opts);
    const log = parseTaskLog(envelope.data, envelope.total);
    if (!log) throw malformed('GET', path);
    return log;
  }

  async listTasks(node: string, filter: ListTasksOptions = {}, opts?: CallOptions): Promise<PveTaskListEntry[]> {
    const query: Query = {
      vmid: filter.vmid === undefined ? undefined : assertVmid(filter.vmid),
      typefilter: filter.typefilter,
      since: filter.since,
      source: filter.source,
      limit: filter.limit,
      userfilter: filter.userfilter,
    };
    const { items } = parseList(
      await this.#list(`/nodes/${assertNodeName(node)}/tasks`, query, opts),
      parseTaskListEntry,
    );
    return items.sort((a, b) => b.starttime - a.starttime);
  }

  /**
   * GET /cluster/tasks: the recent tasks of every node in one request (pmxcfs's task list), newest
   * first. PVE leaves out other users' tasks, silently, unless the caller has Sys.Audit on `/`.
   */
  async clusterTasks(opts?: CallOptions): Promise<PveTaskListEntry[]> {
    const { items } = parseList(await this.#list('/cluster/tasks', undefined, opts), parseTaskListEntry);
    return items.sort((a, b) => b.starttime - a.starttime);
  }

  /**
   * GET /access/permissions: the caller's (for a token, the token's effective) privileges by ACL
   * path, e.g. `{ "/": { "Sys.Audit": 1 } }`: a privilege listed is held on that path, and 1 says it
   * propagates to the paths below (assessCapabilities in @jarvis/policies reads it).
   */
  async permissions(opts?: CallOptions): Promise<Record<string, Record<string, 0 | 1>>> {
    return this.#one('GET', '/access/permissions', parsePermissions, undefined, opts);
  }

  async storage(node: string, opts?: CallOptions): Promise<PveNodeStorage[]> {
    const name = assertNodeName(node);
    const { items } = parseList(await this.#list(`/nodes/${name}/storage`, undefined, opts), (e) =>
      parseNodeStorage(e, name),
    );
    return items.sort((a, b) => (a.storage < b.storage ? -1 : a.storage > b.storage ? 1 : 0));
  }

  async nodeRrd(node: string, timeframe: RrdTimeframe, cf?: RrdCf, opts?: CallOptions): Promise<PveRrdRow[]> {
    const query = assertRrd(timeframe, cf);
    const { items } = parseList(
      await this.#list(`/nodes/${assertNodeName(node)}/rrddata`, { ...query }, opts),
      parseRrdRow,
    );
    return items.sort((a, b) => a.time - b.time);
  }

  async haResources(opts?: CallOptions): Promise<PveHaResource[]> {
    return parseList(await this.#list('/cluster/ha/resources', undefined, opts), parseHaResource).items;
  }

  async haStatus(opts?: CallOptions): Promise<PveHaStatusEntry[]> {
    return parseList(await this.#list('/cluster/ha/status/current', undefined, opts), parseHaStatusEntry).items;
  }

  close(): Promise<void> {
    return this.#http.close();
  }

  toJSON(): Record<string, string> {
    return { baseUrl: this.baseUrl, apiUser: this.apiUser };
  }

  toString(): string {
    return `ProxmoxClient(${this.baseUrl} as ${this.apiUser})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #taskPath(node: string, upid: string, leaf: 'status' | 'log'): string {
    // The UPID is validated by the decoder and then percent-encoded: it contains ':' and '!'.
    return `/nodes/${assertNodeName(node)}/tasks/${encodeURIComponent(assertUpid(upid).upid)}/${leaf}`;
  }

  async #one<T>(
    method: 'GET' | 'POST',
    path: string,
    parse: (raw: unknown) => T | undefined,
    form: Query | undefined,
    opts: CallOptions | undefined,
  ): Promise<T> {
    const envelope = await this.#http.request(method, path, undefined, form, opts);
    const value = parse(envelope.data);
    if (value === undefined) throw malformed(method, path);
    return value;
  }

  async #list(path: string, query: Query | undefined, opts: CallOptions | undefined): Promise<unknown[]> {
    const { data } = await this.#http.request('GET', path, query, undefined, opts);
    if (!Array.isArray(data)) throw malformed('GET', path);
    return data as unknown[];
  }
}

function malformed(method: string, path: string): ProxmoxError {
  return new ProxmoxError('MALFORMED', `PVE answered ${method} ${path} with data of an unexpected shape`, {
    method,
    path,
  });
}

/**
 * `{ path: { priv: 0|1 } }`, its flags kept: 0 is a privilege held on that path only (PVE's
 * "propagate" flag), not one missing. Values of another kind are left out (not held).
 */
function parsePermissions(raw: unknown): Record<string, Record<string, 0 | 1>> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  // Without a prototype, a `__proto__` key from the wire is a key like any other.
  const out = Object.create(null) as Record<string, Record<string, 0 | 1>>;
  for (const [path, privs] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof privs !== 'object' || privs === null || Array.isArray(privs)) continue;
    const held = Object.create(null) as Record<string, 0 | 1>;
    for (const [priv, value] of Object.entries(privs as Record<string, unknown>)) {
      if (value === 1 || value === '1' || value === true) held[priv] = 1;
      else if (value === 0 || value === '0') held[priv] = 0;
    }
    out[path] = held;
  }
  return out;
}

/** PVE's snapshot name (pve-configid): a letter, then letters, digits, `_` or `-`; at most 40. */
function assertSnapname(name: string): string {
  if (!isSnapshotName(name)) {
    throw new ProxmoxError('BAD_REQUEST', 'invalid snapshot name');
  }
  return name;
}
