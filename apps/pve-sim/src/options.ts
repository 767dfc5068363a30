import { isIPv4 } from 'node:net';
import { DEFAULT_PERMISSION_PRESET, PERMISSION_PRESETS, type PermissionPreset } from './permissions';

export interface SimulatorOptions {
  /** Default 8006; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1'; anything outside 127.0.0.0/8 is refused. */
  host?: string;
  /** Default 42; makes noise and the errors fault repeatable. */
  seed?: number;
  /** How long every task takes; unset means realistic per-action durations. */
  taskMs?: number;
  /** How often /cluster/resources data refreshes; default 10000 (pvestatd). */
  refreshMs?: number;
  /** Default 3000 (real PVE delays unauthorized calls by 3 s). */
  authFailDelayMs?: number;
  /** When given, cert.pem and key.pem are kept there so the fingerprint survives restarts. */
  certDir?: string;
  /** Full 'USER@REALM!TOKENID=SECRET'; default DEFAULT_SIM_TOKEN. */
  token?: string;
  /** The second, least-privilege token (see `/_sim/permissions`); default DEFAULT_RESTRICTED_TOKEN. */
  restrictedToken?: string;
  /** The restricted token's preset at start (default 'auditor'); `POST /_sim/reset` goes back to 'auditor'. */
  permissions?: PermissionPreset;
  /**
   * The address before the first node's: node i (in node order, from 0) gets its own HTTPS endpoint on
   * base + 1 + i, on the main address's port. Default '127.0.0.10' (so 127.0.0.11, 127.0.0.12, ...);
   * only 127.0.0.0/8.
   */
  nodeAddressBase?: string;
}

/** One node's own API endpoint: its cluster IP on the simulator's port, with its own certificate. */
export interface SimEndpoint {
  node: string;
  /** e.g. 'https://127.0.0.12:8006/api2/json' */
  url: string;
  /** SHA-256 of this node's certificate, as /nodes shows it in ssl_fingerprint. */
  fingerprint: string;
}

export interface RunningSimulator {
  /** The main address: the first node's API, which stays up whatever happens to that node. */
  url: string;
  /** The /_sim control API, on the main address only. */
  controlUrl: string;
  port: number;
  token: string;
  /** A second token whose privileges `/_sim/permissions` sets (default preset: PVEAuditor on `/`). */
  restrictedToken: string;
  /** SHA-256 of the certificate the main address presents (the first node's), for pinning. */
  fingerprint: string;
  /** The cluster CA, the trust anchor for every address (the same PEM as caPem). */
  certPem: string;
  /** The cluster CA (pve-root-ca.pem) that signed every node's certificate. */
  caPem: string;
  /** Each node's own endpoint, in node order; an offline node's refuses connections. */
  endpoints: SimEndpoint[];
  close(): Promise<void>;
}

export const DEFAULT_SIM_TOKEN = 'root@pam!jarvis=5e0c7a3e-1c2d-4b8f-9a6e-2f4d8c1b7a90';
/** A least-privilege token of a non-root user: every call it makes is checked against its ACL. */
export const DEFAULT_RESTRICTED_TOKEN = 'jarvis@pve!restricted=8d3f1b52-6a4e-4c9d-b7e2-0f5a9c3d1e64';

export interface ParsedToken {
  full: string;
  /** 'root@pam' */
  userid: string;
  tokenId: string;
  /** 'root@pam!jarvis': the effective user PVE puts in UPIDs and task lists. */
  tokenUser: string;
}

export interface ResolvedOptions {
  port: number;
  host: string;
  seed: number;
  taskMs: number | undefined;
  refreshMs: number;
  authFailDelayMs: number;
  certDir: string | undefined;
  token: ParsedToken;
  restrictedToken: ParsedToken;
  permissions: PermissionPreset;
  nodeAddressBase: string;
}

// The same shape PVE's pve_verify_tokenid accepts: user@realm!tokenid, then the secret.
const TOKEN_PATTERN = /^([^\s@!:]+@[A-Za-z][A-Za-z0-9.\-_]+)!([A-Za-z][A-Za-z0-9.\-_]+)=(\S+)$/;

export function parseToken(full: string): ParsedToken | undefined {
  const m = TOKEN_PATTERN.exec(full);
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  return { full, userid: m[1], tokenId: m[2], tokenUser: `${m[1]}!${m[2]}` };
}

export function isLoopbackV4(host: string): boolean {
  return isIPv4(host) && host.startsWith('127.');
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

/**
 * The address `offset` after a loopback base, e.g. ('127.0.0.10', 2) → '127.0.0.12'. Refuses to run past
 * 127.255.255.254, so every node address stays on loopback.
 */
export function loopbackAddress(base: string, offset: number): string {
  const n = ipv4ToInt(base) + offset;
  if (!Number.isInteger(offset) || offset < 0 || n >= ipv4ToInt('127.255.255.255'))
    throw new Error(`pve-sim: node address ${base} + ${offset} leaves 127.0.0.0/8`);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0)
    throw new Error(`pve-sim: ${name} must be a non-negative number, got ${value}`);
  return value;
}

export function resolveOptions(opts: SimulatorOptions = {}): ResolvedOptions {
  const host = opts.host ?? '127.0.0.1';
  // The simulator speaks for a whole cluster with a well-known token: it must never be reachable off-box.
  if (!isLoopbackV4(host)) throw new Error(`pve-sim: host must be a 127.0.0.0/8 address, got '${host}'`);
  const port = opts.port ?? 8006;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`pve-sim: invalid port ${port}`);
  const seed = opts.seed ?? 42;
  if (!Number.isInteger(seed)) throw new Error(`pve-sim: seed must be an integer, got ${seed}`);
  const tokenText = opts.token ?? DEFAULT_SIM_TOKEN;
  const token = parseToken(tokenText);
  if (!token) throw new Error(`pve-sim: token must look like USER@REALM!TOKENID=SECRET`);
  const restrictedToken = parseToken(opts.restrictedToken ?? DEFAULT_RESTRICTED_TOKEN);
  if (!restrictedToken) throw new Error(`pve-sim: restrictedToken must look like USER@REALM!TOKENID=SECRET`);
  if (restrictedToken.tokenUser === token.tokenUser)
    throw new Error('pve-sim: the restricted token must be another token than the main one');
  const permissions = opts.permissions ?? DEFAULT_PERMISSION_PRESET;
  if (!(PERMISSION_PRESETS as readonly string[]).includes(permissions))
    throw new Error(
      `pve-sim: permissions must be one of ${PERMISSION_PRESETS.join(', ')}, got '${String(permissions)}'`,
    );
  const nodeAddressBase = opts.nodeAddressBase ?? '127.0.0.10';
  if (!isLoopbackV4(nodeAddressBase))
    throw new Error(`pve-sim: nodeAddressBase must be a 127.0.0.0/8 address, got '${nodeAddressBase}'`);
  return {
    port,
    host,
    seed,
    taskMs: opts.taskMs === undefined ? undefined : nonNegative('taskMs', opts.taskMs, 0),
    refreshMs: nonNegative('refreshMs', opts.refreshMs, 10_000),
    authFailDelayMs: nonNegative('authFailDelayMs', opts.authFailDelayMs, 3000),
    certDir: opts.certDir,
    token,
    restrictedToken,
    permissions,
    nodeAddressBase,
  };
}
