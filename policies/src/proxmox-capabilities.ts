/**
 * What Jarvis's Proxmox API token lets it do: a table of capabilities, each with the privileges
 * Proxmox checks and the ACL path it checks them on, and a pure assessment of PVE's answer to
 * `GET /access/permissions` against that table.
 *
 * Privileges and paths are PVE's own (verified against pve-manager, qemu-server, pve-ha-manager
 * and pve-access-control at their 2026 HEADs):
 * - `GET /cluster/status` checks Sys.Audit on `/`; `GET /cluster/resources` leaves out guests
 *   without VM.Audit on `/vms/<vmid>`, strips node figures without Sys.Audit on `/nodes/<node>`
 *   and leaves out storage without Datastore.Audit on `/storage/<storage>`.
 * - Guest power calls check VM.PowerMgmt on `/vms/<vmid>`, HA-managed guests included (Proxmox
 *   hands those to the HA stack itself). A snapshot checks VM.Snapshot; a rollback accepts
 *   VM.Snapshot or VM.Snapshot.Rollback.
 * - Node reboot and shutdown (`POST /nodes/<n>/status`) and wake-on-LAN (`POST /nodes/<n>/wakeonlan`)
 *   check Sys.PowerMgmt on `/nodes/<n>`, the node acted on.
 * - HA reads check Sys.Audit on `/`; HA changes would need Sys.Console on `/`, which Jarvis never asks for.
 * - `GET /cluster/tasks` shows other users' tasks only with Sys.Audit on `/`, `GET /nodes/<n>/tasks`
 *   only with Sys.Audit on `/nodes/<n>`: without it both filter silently.
 *
 * `/access/permissions` answers `{ path: { privilege: 0|1 } }`: a privilege is held on a path when
 * it is present at all, and 1 means it propagates to the paths below. PVE lists the top-level paths
 * (`/`, `/access`, `/nodes`, `/pool`, `/sdn`, `/storage`, `/vms`), every ACL path and every pool
 * member, each only when something is held there.
 */

export const CAPABILITY_IDS = [
  'cluster.read',
  'storage.read',
  'guest.power',
  'guest.snapshot',
  'ha.manage',
  'node.power',
  'tasks.others',
] as const;
export type CapabilityId = (typeof CAPABILITY_IDS)[number];

/** The ACL path a privilege is checked on, as PVE's API schema writes it. */
export type AclPathTemplate = '/' | '/nodes/{node}' | '/vms/{vmid}' | '/storage/{storage}';

export interface PrivilegeRequirement {
  readonly privilege: string;
  readonly path: AclPathTemplate;
  /** Which Proxmox calls check it. */
  readonly for: string;
}

export interface ProxmoxCapability {
  readonly id: CapabilityId;
  readonly label: string;
  /** What Jarvis can do with it. */
  readonly enables: string;
  /** Every privilege it needs, each on the path Proxmox checks it on. */
  readonly requires: readonly PrivilegeRequirement[];
  /**
   * Without it, the tools that name it in the catalog are left out of the model's list (`hide`),
   * or kept and told what they cannot see (`limit`: they still work, with less).
   */
  readonly withoutIt: 'hide' | 'limit';
  /** What is lost without it, for the operator and the model. */
  readonly lost: string;
  /**
   * How its privilege groups add up. `all` (the default): the weakest group decides. `some`: it is
   * partial as soon as one group is held somewhere (reading the guests of one pool is reading part
   * of the cluster, even without the cluster-wide status).
   */
  readonly combine?: 'all' | 'some';
}

/** Every capability, declared once. */
export const PROXMOX_CAPABILITIES: readonly ProxmoxCapability[] = Object.freeze(
  (
    [
      {
        id: 'cluster.read',
        label: 'Read the cluster',
        enables: 'The dashboard, the monitor and the read tools: quorum, nodes, guests and their metrics.',
        requires: [
          { privilege: 'Sys.Audit', path: '/', for: 'GET /cluster/status (quorum, cluster members)' },
          {
            privilege: 'Sys.Audit',
            path: '/nodes/{node}',
            for: 'GET /nodes/<node>/status, /nodes/<node>/rrddata; node figures in /cluster/resources',
          },
          { privilege: 'VM.Audit', path: '/vms/{vmid}', for: 'guests in GET /cluster/resources' },
        ],
        withoutIt: 'hide',
        combine: 'some',
        lost: 'Proxmox refuses the cluster status and leaves out what the token may not audit',
      },
      {
        id: 'storage.read',
        label: 'Read storage',
        enables: 'Storage pools and their usage.',
        requires: [
          { privilege: 'Datastore.Audit', path: '/storage/{storage}', for: 'storage in GET /cluster/resources' },
        ],
        withoutIt: 'hide',
        lost: 'Proxmox leaves out storage the token may not audit',
      },
      {
        id: 'guest.power',
        label: 'Guest power actions',
        enables: 'Start, stop, shut down, reboot, suspend and resume guests; the crashed-VM runbook’s restart.',
        requires: [
          { privilege: 'VM.Audit', path: '/vms/{vmid}', for: 'reading the guest before acting on it' },
          {
            privilege: 'VM.PowerMgmt',
            path: '/vms/{vmid}',
            for: 'POST /nodes/<node>/{qemu,lxc}/<vmid>/status/* (HA-managed guests too)',
          },
        ],
        withoutIt: 'hide',
        lost: 'Proxmox refuses power actions on guests the token may not manage',
      },
      {
        id: 'guest.snapshot',
        label: 'Snapshots',
        enables: 'Disk snapshots before a risky step, and rolling back to them.',
        requires: [
          { privilege: 'VM.Audit', path: '/vms/{vmid}', for: 'reading the guest before acting on it' },
          {
            privilege: 'VM.Snapshot',
            path: '/vms/{vmid}',
            for: 'POST /nodes/<node>/qemu/<vmid>/snapshot and …/rollback (rollback also accepts VM.Snapshot.Rollback)',
          },
        ],
        withoutIt: 'hide',
        lost: 'Proxmox refuses snapshots of guests the token may not snapshot',
      },
      {
        id: 'ha.manage',
        label: 'HA state',
        enables:
          'Knowing which guests HA manages, so their actions are judged and carried out as HA guests. Jarvis never changes HA configuration, so it needs no Sys.Console.',
        requires: [
          {
            privilege: 'Sys.Audit',
            path: '/',
            for: 'GET /cluster/ha/resources, /cluster/ha/status/current',
          },
        ],
        withoutIt: 'limit',
        lost: 'HA state is unknown: every guest is judged as HA-managed (RED)',
      },
      {
        id: 'node.power',
        label: 'Node power',
        enables: 'Reboot or shut down a node, and wake a powered-off node with wake-on-LAN.',
        requires: [
          {
            privilege: 'Sys.PowerMgmt',
            path: '/nodes/{node}',
            for: 'POST /nodes/<node>/status, POST /nodes/<node>/wakeonlan (<node> is the node acted on)',
          },
        ],
        withoutIt: 'hide',
        lost: 'Proxmox refuses node power actions',
      },
      {
        id: 'tasks.others',
        label: "Other users' tasks",
        enables:
          "Seeing stops made in Proxmox's own UI, so a stop is not taken for a crash; the crashed-VM runbook may act on its own.",
        requires: [
          { privilege: 'Sys.Audit', path: '/', for: 'GET /cluster/tasks' },
          { privilege: 'Sys.Audit', path: '/nodes/{node}', for: 'GET /nodes/<node>/tasks' },
        ],
        withoutIt: 'limit',
        lost: "Proxmox silently shows only Jarvis's own tasks; the crashed-VM runbook asks before it acts (L2)",
      },
    ] satisfies ProxmoxCapability[]
  ).map((c) => Object.freeze({ ...c, requires: Object.freeze(c.requires.map((r) => Object.freeze(r))) })),
);

export function findCapability(id: string): ProxmoxCapability | undefined {
  return PROXMOX_CAPABILITIES.find((c) => c.id === id);
}

export type CapabilityStatus = 'available' | 'partial' | 'unavailable';

export interface MissingPrivilege {
  readonly privilege: string;
  /** The ACL path to grant it on (with propagation) so that the capability is whole. */
  readonly path: string;
}

export interface CapabilityAssessment {
  readonly id: CapabilityId;
  readonly label: string;
  readonly enables: string;
  /** `partial`: only on some guests, pools, nodes or storages (those in `grantedOn`). */
  readonly status: CapabilityStatus;
  /** The ACL paths it holds on: `/vms` for every guest, `/pool/prod` or `/vms/100` for some. */
  readonly grantedOn: readonly string[];
  readonly missing: readonly MissingPrivilege[];
}

/** The last self-check of the token, as the API serves it. */
export interface PermissionReport {
  readonly checkedAt: string;
  /** `user@realm!tokenid` of the token checked. */
  readonly tokenUser: string;
  readonly capabilities: readonly CapabilityAssessment[];
  /** Set when the token's permissions could not be read: then nothing is available. */
  readonly error?: string;
}

/** The default paths PVE's `/access/permissions` always lists when anything is held on them. */
const TOP_LEVEL_PATHS = ['/access', '/access/groups', '/nodes', '/pool', '/sdn', '/storage', '/vms'];

/** Where a templated path's grants live: the path that covers all of them, and the paths that cover some. */
const SCOPES: Record<Exclude<AclPathTemplate, '/'>, { base: string; some: readonly string[] }> = {
  '/nodes/{node}': { base: '/nodes', some: ['/nodes/'] },
  // A pool's ACL reaches its guests and storages (PVE lists those as `/vms/<id>`, `/storage/<id>` too).
  '/vms/{vmid}': { base: '/vms', some: ['/vms/', '/pool/'] },
  '/storage/{storage}': { base: '/storage', some: ['/storage/', '/pool/'] },
};

const PATH = /^\/(?:[A-Za-z0-9_.:@+~-]+(?:\/[A-Za-z0-9_.:@+~-]+)*)?$/;
const MAX_PATHS = 100_000;

/** A privilege on a path: absent, held there only (0), or held and propagated below (1). */
type Held = Map<string, 0 | 1>;

/**
 * The answer read strictly: a plain object of ACL paths to plain objects of privileges, each 1
 * (or `true`) or 0. Anything else is not held: a malformed path, a string, `false` (a client that
 * turned 0 into `false` made it ambiguous), an array.
 */
function readPermissions(raw: unknown): Map<string, Held> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const out = new Map<string, Held>();
  for (const [path, privs] of Object.entries(raw as Record<string, unknown>).slice(0, MAX_PATHS)) {
    if (!PATH.test(path) || path.split('/').some((s) => s === '.' || s === '..')) continue;
    if (typeof privs !== 'object' || privs === null || Array.isArray(privs)) continue;
    const held: Held = new Map();
    for (const [priv, value] of Object.entries(privs as Record<string, unknown>)) {
      if (value === 1 || value === true) held.set(priv, 1);
      else if (value === 0) held.set(priv, 0);
    }
    if (held.size > 0) out.set(path, held);
  }
  return out;
}

const statusRank: Record<CapabilityStatus, number> = { unavailable: 0, partial: 1, available: 2 };

interface GroupVerdict {
  status: CapabilityStatus;
  grantedOn: string[];
  missing: MissingPrivilege[];
}

function judgeGroup(perms: Map<string, Held>, template: AclPathTemplate, privileges: readonly string[]): GroupVerdict {
  const heldOn = (path: string, priv: string): boolean => perms.get(path)?.has(priv) === true;
  if (template === '/') {
    const missing = privileges.filter((p) => !heldOn('/', p)).map((privilege) => ({ privilege, path: '/' }));
    return missing.length === 0
      ? { status: 'available', grantedOn: ['/'], missing: [] }
      : { status: 'unavailable', grantedOn: [], missing };
  }
  const { base, some } = SCOPES[template];
  // PVE lists a top-level path whenever anything is held on it; an answer that lists none of them
  // (a bare `{ "/": … }`) is read as if they inherited what `/` propagates.
  const complete = TOP_LEVEL_PATHS.some((p) => perms.has(p));
  const coversAll = (priv: string): boolean => {
    const at = perms.get(base);
    if (at) return at.get(priv) === 1;
    return !complete && perms.get('/')?.get(priv) === 1;
  };
  const below = [...perms.keys()].filter((p) => p !== base && some.some((prefix) => p.startsWith(prefix))).sort();
  const whole = privileges.filter((p) => !coversAll(p)).map((privilege) => ({ privilege, path: base }));
  if (whole.length === 0) {
    // Held on every one, except where an ACL further down overrides it (a pool's ACL never does).
    const missing = below
      .filter((p) => !p.startsWith('/pool/'))
      .flatMap((path) => privileges.filter((priv) => !heldOn(path, priv)).map((privilege) => ({ privilege, path })));
    return { status: missing.length === 0 ? 'available' : 'partial', grantedOn: [base], missing };
  }
  const grantedOn = below.filter((path) => privileges.every((priv) => heldOn(path, priv)));
  return { status: grantedOn.length > 0 ? 'partial' : 'unavailable', grantedOn, missing: whole };
}

/**
 * Each capability's status against PVE's `/access/permissions` answer (its `data`): available,
 * partial (only on some guests, pools, nodes or storages) or unavailable, with the privileges and
 * paths that would make it whole. Anything unreadable counts as not held: a malformed answer
 * leaves every capability unavailable.
 */
export function assessCapabilities(permissions: unknown): CapabilityAssessment[] {
  const perms = readPermissions(permissions) ?? new Map<string, Held>();
  return PROXMOX_CAPABILITIES.map((cap) => {
    const groups = new Map<AclPathTemplate, string[]>();
    for (const r of cap.requires) groups.set(r.path, [...(groups.get(r.path) ?? []), r.privilege]);
    const verdicts = [...groups].map(([template, privileges]) => judgeGroup(perms, template, privileges));
    const worst = verdicts.reduce<CapabilityStatus>(
      (w, v) => (statusRank[v.status] < statusRank[w] ? v.status : w),
      'available',
    );
    const some = cap.combine === 'some' && verdicts.some((v) => v.status !== 'unavailable');
    const status: CapabilityStatus = worst === 'unavailable' && some ? 'partial' : worst;
    return {
      id: cap.id,
      label: cap.label,
      enables: cap.enables,
      status,
      grantedOn: status === 'unavailable' ? [] : [...new Set(verdicts.flatMap((v) => v.grantedOn))],
      missing: verdicts.flatMap((v) => v.missing),
    };
  });
}

/** Every capability unavailable, each missing all it needs: the answer when the check itself failed. */
export function nothingAvailable(): CapabilityAssessment[] {
  return assessCapabilities({});
}

/** Where a missing privilege would be granted, as the operator reads it: `Sys.Audit on /`. */
export const describeMissing = (missing: readonly MissingPrivilege[]): string =>
  missing.map((m) => `${m.privilege} on ${m.path}`).join(', ');

/**
 * The note a tool's description carries when its capability is limited, or undefined when the tool
 * is whole. `hidden` is true when the tool should not be offered at all.
 */
export function capabilityLimit(
  id: CapabilityId,
  assessments: readonly CapabilityAssessment[],
): { hidden: boolean; note?: string } {
  const cap = findCapability(id);
  const a = assessments.find((x) => x.id === id);
  // A report without this capability is unreadable for it: deny.
  if (!cap || !a) return { hidden: true };
  if (a.status === 'available') return { hidden: false };
  if (a.status === 'partial')
    return {
      hidden: false,
      note: `Limited by Proxmox permissions: only on ${a.grantedOn.join(', ')}; elsewhere ${cap.lost}.`,
    };
  if (cap.withoutIt === 'hide') return { hidden: true };
  return { hidden: false, note: `Limited by Proxmox permissions: ${cap.lost} (needs ${describeMissing(a.missing)}).` };
}
