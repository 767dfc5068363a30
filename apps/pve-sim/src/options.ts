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
}

export interface RunningSimulator {
  url: string;
  controlUrl: string;
  port: number;
  token: string;
  /** A second token whose privileges `/_sim/permissions` sets (default preset: PVEAuditor on `/`). */
  restrictedToken: string;
  fingerprint: string;
  certPem: string;
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
  };
}
