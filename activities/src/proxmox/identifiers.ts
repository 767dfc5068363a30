import { ProxmoxError } from './proxmox.errors';

/**
 * Identifiers that end up inside request paths. They are validated before a path is built, so a
 * node name or VMID that came from a chat turn or a tool call can never address another endpoint.
 */

export type GuestKind = 'qemu' | 'lxc';
export const GUEST_KINDS: readonly GuestKind[] = ['qemu', 'lxc'];

export type PowerAction = 'start' | 'stop' | 'shutdown' | 'reboot' | 'suspend' | 'resume';
export const POWER_ACTIONS: readonly PowerAction[] = ['start', 'stop', 'shutdown', 'reboot', 'suspend', 'resume'];

// The node-name grammar of pve-common (the same one the UPID decoder uses), capped at a DNS label.
const NODE_NAME = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

export function assertNodeName(node: unknown): string {
  if (typeof node !== 'string' || !NODE_NAME.test(node)) {
    throw new ProxmoxError('BAD_REQUEST', 'invalid node name');
  }
  return node;
}

/** PVE VMIDs are 100..999999999; accepts the numeric strings older servers and callers use. */
export function assertVmid(vmid: unknown): number {
  const n = typeof vmid === 'string' && /^\d{1,9}$/.test(vmid) ? Number(vmid) : vmid;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 100 || n > 999_999_999) {
    throw new ProxmoxError('BAD_REQUEST', 'invalid VMID (expected an integer from 100 to 999999999)');
  }
  return n;
}

export function assertGuestKind(kind: unknown): GuestKind {
  if (kind !== 'qemu' && kind !== 'lxc') throw new ProxmoxError('BAD_REQUEST', "guest kind must be 'qemu' or 'lxc'");
  return kind;
}

export function assertPowerAction(action: unknown): PowerAction {
  if (typeof action !== 'string' || !(POWER_ACTIONS as readonly string[]).includes(action)) {
    throw new ProxmoxError('BAD_REQUEST', `power action must be one of ${POWER_ACTIONS.join(', ')}`);
  }
  return action as PowerAction;
}

/** The worker-task type PVE records for a power action, e.g. qmstop or vzstart. */
export function powerTaskType(kind: GuestKind, action: PowerAction): string {
  return `${kind === 'qemu' ? 'qm' : 'vz'}${action}`;
}

/**
 * For an HA-managed guest, start/stop/shutdown are handed to the HA manager and the task
 * recorded is hastart/hastop instead of the qm/vz one.
 */
export function haPowerTaskType(action: PowerAction): string | undefined {
  if (action === 'start') return 'hastart';
  if (action === 'stop' || action === 'shutdown') return 'hastop';
  return undefined;
}

export interface Upid {
  upid: string;
  node: string;
  pid: number;
  pstart: number;
  /** Unix seconds. */
  starttime: number;
  type: string;
  id: string;
  /** `user@realm`, or `user@realm!tokenid` for a task started with an API token. */
  user: string;
}

// pve-common PVE/UPID.pm decode(), anchored; pstart may have 9 hex digits.
const UPID_RE =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

/** Decodes a UPID, or returns undefined when it is not one. */
export function parseUpid(upid: unknown): Upid | undefined {
  if (typeof upid !== 'string') return undefined;
  const m = UPID_RE.exec(upid);
  if (!m) return undefined;
  const [, node, , pid, pstart, starttime, type, id, user] = m;
  if (!node || !pid || !pstart || !starttime || !type || id === undefined || !user) return undefined;
  return {
    upid,
    node,
    pid: parseInt(pid, 16),
    pstart: parseInt(pstart, 16),
    starttime: parseInt(starttime, 16),
    type,
    id,
    user,
  };
}

export function assertUpid(upid: unknown): Upid {
  const parsed = parseUpid(upid);
  if (!parsed) throw new ProxmoxError('BAD_REQUEST', 'invalid UPID');
  return parsed;
}

export type RrdTimeframe = 'hour' | 'day' | 'week' | 'month' | 'year';
export type RrdCf = 'AVERAGE' | 'MAX';

export function assertRrd(timeframe: unknown, cf: unknown): { timeframe: RrdTimeframe; cf?: RrdCf } {
  if (!['hour', 'day', 'week', 'month', 'year'].includes(timeframe as string)) {
    throw new ProxmoxError('BAD_REQUEST', 'RRD timeframe must be hour, day, week, month or year');
  }
  if (cf !== undefined && cf !== 'AVERAGE' && cf !== 'MAX') {
    throw new ProxmoxError('BAD_REQUEST', 'RRD cf must be AVERAGE or MAX');
  }
  return cf === undefined ? { timeframe: timeframe as RrdTimeframe } : { timeframe: timeframe as RrdTimeframe, cf };
}
