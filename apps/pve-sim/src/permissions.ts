import { type SimModel } from './model';
import { PveError } from './pve-errors';

/**
 * The restricted API token's permissions, checked as PVE's RPCEnvironment does: an ACL maps paths
 * to privileges, and a privilege granted on a path holds on every path below it (propagate=1).
 * A guest in a pool also inherits what is granted on `/pool/<pool>`. The simulator's main token
 * stays root-equivalent and is never checked (see `Caller`).
 */

/** Every privilege of PVE 8.4's Administrator role. */
export const ALL_PRIVILEGES = [
  'Datastore.Allocate',
  'Datastore.AllocateSpace',
  'Datastore.AllocateTemplate',
  'Datastore.Audit',
  'Group.Allocate',
  'Mapping.Audit',
  'Mapping.Modify',
  'Mapping.Use',
  'Permissions.Modify',
  'Pool.Allocate',
  'Pool.Audit',
  'Realm.Allocate',
  'Realm.AllocateUser',
  'SDN.Allocate',
  'SDN.Audit',
  'SDN.Use',
  'Sys.AccessNetwork',
  'Sys.Audit',
  'Sys.Console',
  'Sys.Incoming',
  'Sys.Modify',
  'Sys.PowerMgmt',
  'Sys.Syslog',
  'User.Modify',
  'VM.Allocate',
  'VM.Audit',
  'VM.Backup',
  'VM.Clone',
  'VM.Config.CDROM',
  'VM.Config.CPU',
  'VM.Config.Cloudinit',
  'VM.Config.Disk',
  'VM.Config.HWType',
  'VM.Config.Memory',
  'VM.Config.Network',
  'VM.Config.Options',
  'VM.Console',
  'VM.Migrate',
  'VM.Monitor',
  'VM.PowerMgmt',
  'VM.Snapshot',
  'VM.Snapshot.Rollback',
] as const;

/** PVE 8.4's built-in PVEAuditor role. */
export const AUDITOR_PRIVILEGES = [
  'Datastore.Audit',
  'Mapping.Audit',
  'Pool.Audit',
  'SDN.Audit',
  'Sys.Audit',
  'VM.Audit',
] as const;

/** The pool the `pool-power` preset grants power on (the default scenario's only pool). */
export const POWER_POOL = 'lab';

export type Acl = Record<string, string[]>;
export const PERMISSION_PRESETS = ['full', 'auditor', 'pool-power', 'none'] as const;
export type PermissionPreset = (typeof PERMISSION_PRESETS)[number];
export const DEFAULT_PERMISSION_PRESET: PermissionPreset = 'auditor';

export function presetAcl(preset: PermissionPreset): Acl {
  switch (preset) {
    case 'full':
      return { '/': [...ALL_PRIVILEGES] };
    case 'auditor':
      return { '/': [...AUDITOR_PRIVILEGES] };
    case 'pool-power':
      return { [`/pool/${POWER_POOL}`]: ['Pool.Audit', 'VM.Audit', 'VM.PowerMgmt', 'VM.Snapshot'] };
    case 'none':
      return {};
  }
}

const ACL_PATH = /^\/([A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*)?$/;
const KNOWN = new Set<string>(ALL_PRIVILEGES);

/** A control-API ACL: absolute paths to known privilege names; the error text says what is wrong. */
export function validateAcl(raw: unknown): Acl | string {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return "'acl' must be an object of path → privileges";
  const out: Acl = {};
  for (const [path, privs] of Object.entries(raw as Record<string, unknown>)) {
    if (!ACL_PATH.test(path)) return `'${path}' is not an ACL path (e.g. /, /vms/100, /pool/lab)`;
    if (!Array.isArray(privs) || !privs.every((p) => typeof p === 'string'))
      return `the privileges of '${path}' must be an array of strings`;
    const unknown = privs.filter((p) => !KNOWN.has(p));
    if (unknown.length > 0) return `unknown privilege(s) on '${path}': ${unknown.join(', ')}`;
    out[path] = [...new Set(privs)].sort();
  }
  return out;
}

/** Pool membership, as user.cfg holds it: the pool a guest belongs to, if any. */
function poolOf(model: SimModel, vmid: number): string | undefined {
  return model.pools.find((p) => p.members.includes(vmid))?.poolid;
}

function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out = ['/'];
  for (let i = 1; i <= parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

/** The privileges an ACL grants on one path (propagated from above, and from the guest's pool). */
export function privilegesOn(acl: Acl, model: SimModel, path: string): Set<string> {
  const paths = ancestors(path);
  const vm = /^\/vms\/(\d+)$/.exec(path);
  const pool = vm?.[1] === undefined ? undefined : poolOf(model, Number(vm[1]));
  if (pool !== undefined) paths.push(...ancestors(`/pool/${pool}`));
  const out = new Set<string>();
  for (const p of paths) for (const priv of acl[p] ?? []) out.add(priv);
  return out;
}

/** raise_perm_exc: 403 with `Permission check failed (<path>, <privilege>)`; `any` checks join with `|`. */
export function permissionDenied(path: string, privs: readonly string[]): PveError {
  return new PveError(403, `Permission check failed (${path}, ${privs.join('|')})`);
}

/**
 * GET /access/permissions for the restricted token (get_effective_permissions): PVE's top-level
 * paths, every ACL path and every pool member, each with what it holds; empty ones left out.
 */
export function effectivePermissions(acl: Acl, model: SimModel, only?: string): Record<string, Record<string, number>> {
  const paths = new Set<string>(
    only !== undefined
      ? [only]
      : ['/', '/access', '/access/groups', '/nodes', '/pool', '/sdn', '/storage', '/vms', ...Object.keys(acl)],
  );
  if (only === undefined) {
    for (const pool of model.pools) for (const vmid of pool.members) paths.add(`/vms/${vmid}`);
  }
  const out: Record<string, Record<string, number>> = {};
  for (const path of [...paths].sort()) {
    const privs = privilegesOn(acl, model, path);
    if (privs.size === 0 && only === undefined) continue;
    out[path] = Object.fromEntries([...privs].sort().map((p) => [p, 1]));
  }
  return out;
}

/**
 * Who is calling: the main token (root-equivalent, only its Sys.Audit on `/` is configurable
 * through `sysAudit`) or the restricted one (everything checked against its ACL).
 */
export interface Caller {
  /** 'user@realm!tokenid', as UPIDs and task lists name it. */
  readonly user: string;
  readonly restricted: boolean;
  /** Whether the caller holds any of `privs` on `path`. */
  can(path: string, ...privs: string[]): boolean;
}

export function mainCaller(user: string, sysAudit: () => boolean): Caller {
  return {
    user,
    restricted: false,
    can: (path, ...privs) => path !== '/' || !privs.every((p) => p === 'Sys.Audit') || sysAudit(),
  };
}

export function restrictedCaller(user: string, acl: () => Acl, model: () => SimModel): Caller {
  return {
    user,
    restricted: true,
    can: (path, ...privs) => {
      const held = privilegesOn(acl(), model(), path);
      return privs.some((p) => held.has(p));
    },
  };
}
