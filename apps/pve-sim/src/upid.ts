export interface UpidParts {
  node: string;
  pid: number;
  pstart: number;
  starttime: number;
  type: string;
  id: string;
  user: string;
}

/** pve-common PVE/UPID.pm decode; pstart may grow to 9 hex digits on long-running nodes. */
export const UPID_PATTERN =
  /^UPID:([a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):([^:\s/]+):([^:\s/]*):([^:\s/]+):$/;

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}

export function encodeUpid(p: UpidParts): string {
  return `UPID:${p.node}:${hex8(p.pid)}:${hex8(p.pstart)}:${hex8(p.starttime)}:${p.type}:${p.id}:${p.user}:`;
}

export function decodeUpid(upid: string): UpidParts | undefined {
  const m = UPID_PATTERN.exec(upid);
  if (!m) return undefined;
  const [, node, , pid, pstart, starttime, type, id, user] = m;
  if (node === undefined || pid === undefined || pstart === undefined || starttime === undefined) return undefined;
  if (type === undefined || id === undefined || user === undefined) return undefined;
  return {
    node,
    pid: parseInt(pid, 16),
    pstart: parseInt(pstart, 16),
    starttime: parseInt(starttime, 16),
    type,
    id,
    user,
  };
}
