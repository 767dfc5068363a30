import { int, isRecord, text } from './coerce';
import { parseUpid } from './identifiers';

/** Typed views of the worker-task endpoints (status, log, list). */

export interface PveTaskStatus {
  upid: string;
  node: string;
  type: string;
  id: string;
  /** `user@realm`; for token-started tasks PVE splits the token off into `tokenid`. */
  user: string;
  tokenid?: string;
  status: 'running' | 'stopped';
  /** Only once stopped: `OK`, `WARNINGS: N`, `unexpected status` or the error text. */
  exitstatus?: string;
  starttime: number;
  pid?: number;
}

/** Whether a finished task's exitstatus counts as success: only OK and WARNINGS: N do. */
export function isTaskOk(exitstatus: string | undefined): boolean {
  return exitstatus === 'OK' || /^WARNINGS: \d+$/.test(exitstatus ?? '');
}

export function parseTaskStatus(raw: unknown, upid: string): PveTaskStatus | undefined {
  if (!isRecord(raw)) return undefined;
  const status = text(raw['status']);
  if (status !== 'running' && status !== 'stopped') return undefined;
  // Fields missing from the body are recovered from the UPID itself, which encodes all of them.
  const decoded = parseUpid(text(raw['upid']) ?? upid) ?? parseUpid(upid);
  const node = text(raw['node']) ?? decoded?.node;
  const type = text(raw['type']) ?? decoded?.type;
  const starttime = int(raw['starttime']) ?? decoded?.starttime;
  if (node === undefined || type === undefined || starttime === undefined) return undefined;
  const result: PveTaskStatus = {
    upid: decoded?.upid ?? upid,
    node,
    type,
    id: text(raw['id']) ?? decoded?.id ?? '',
    user: text(raw['user']) ?? decoded?.user ?? '',
    status,
    starttime,
  };
  const tokenid = text(raw['tokenid']);
  if (tokenid !== undefined) result.tokenid = tokenid;
  const exitstatus = text(raw['exitstatus']);
  if (exitstatus !== undefined) result.exitstatus = exitstatus;
  const pid = int(raw['pid']) ?? decoded?.pid;
  if (pid !== undefined) result.pid = pid;
  return result;
}

export interface PveTaskLog {
  lines: { n: number; t: string }[];
  /** Total line count, from the envelope's `total` when the server sends it. */
  total: number;
}

export function parseTaskLog(raw: unknown, total: unknown): PveTaskLog | undefined {
  if (!Array.isArray(raw)) return undefined;
  const lines: { n: number; t: string }[] = [];
  for (const entry of raw) {
    if (!isRecord(entry)) continue;
    const n = int(entry['n']);
    const t = text(entry['t']) ?? '';
    if (n !== undefined) lines.push({ n, t });
  }
  lines.sort((a, b) => a.n - b.n);
  const last = lines.at(-1)?.n ?? 0;
  return { lines, total: Math.max(int(total) ?? 0, last) };
}

export interface PveTaskListEntry {
  upid: string;
  node: string;
  type: string;
  id: string;
  /** The full starting identity, `user@realm!tokenid` for token tasks, taken from the UPID. */
  user: string;
  starttime: number;
  endtime?: number;
  /** Only for finished tasks: the exitstatus. */
  status?: string;
}

export function parseTaskListEntry(raw: unknown): PveTaskListEntry | undefined {
  if (!isRecord(raw)) return undefined;
  const decoded = parseUpid(raw['upid']);
  if (!decoded) return undefined;
  const entry: PveTaskListEntry = {
    upid: decoded.upid,
    node: decoded.node,
    type: decoded.type,
    id: decoded.id,
    user: decoded.user,
    starttime: int(raw['starttime']) ?? decoded.starttime,
  };
  const endtime = int(raw['endtime']);
  if (endtime !== undefined) entry.endtime = endtime;
  const status = text(raw['status']);
  if (status !== undefined) entry.status = status;
  return entry;
}
