import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  anthropicTools,
  assessCapabilities,
  CAPABILITY_IDS,
  defaultTierTable,
  PROXMOX_CAPABILITIES,
  TOOL_CATALOG,
  type CapabilityAssessment,
  type CapabilityId,
  type CapabilityStatus,
} from '@jarvis/policies';

/**
 * The token self-check's mapping, as a table: PVE's `/access/permissions` answers for the
 * permission sets an operator is likely to give (shaped as PVE lists them: the top-level paths,
 * every ACL path and every pool member) and for answers no PVE sends.
 */

const ADMIN = [
  'Sys.Audit',
  'Sys.Console',
  'Sys.Modify',
  'Sys.PowerMgmt',
  'Sys.Syslog',
  'VM.Audit',
  'VM.Allocate',
  'VM.Config.Disk',
  'VM.PowerMgmt',
  'VM.Snapshot',
  'VM.Snapshot.Rollback',
  'Datastore.Audit',
  'Datastore.AllocateSpace',
  'Pool.Audit',
  'Permissions.Modify',
];
const AUDITOR = ['Sys.Audit', 'VM.Audit', 'Datastore.Audit', 'Pool.Audit', 'SDN.Audit', 'Mapping.Audit'];
const TOP = ['/', '/access', '/access/groups', '/nodes', '/pool', '/sdn', '/storage', '/vms'];
const privs = (names: readonly string[], flag: 0 | 1 = 1) => Object.fromEntries(names.map((n) => [n, flag]));
/** A role on `/` with propagation, as PVE lists it: the same privileges on every top-level path. */
const onRoot = (names: readonly string[]) => Object.fromEntries(TOP.map((p) => [p, privs(names)]));

const FULL = onRoot(ADMIN);
const AUDITOR_ONLY = onRoot(AUDITOR);
/** VM.Audit + VM.PowerMgmt + VM.Snapshot on /pool/prod (guests 100 and 101), nothing else. */
const POOL_POWER = {
  '/pool/prod': privs(['VM.Audit', 'VM.PowerMgmt', 'VM.Snapshot']),
  '/vms/100': privs(['VM.Audit', 'VM.PowerMgmt', 'VM.Snapshot'], 0),
  '/vms/101': privs(['VM.Audit', 'VM.PowerMgmt', 'VM.Snapshot'], 0),
};

const statuses = (a: CapabilityAssessment[]) => Object.fromEntries(a.map((c) => [c.id, c.status]));
const one = (a: CapabilityAssessment[], id: CapabilityId) => a.find((c) => c.id === id)!;
const all = (status: CapabilityStatus) => Object.fromEntries(CAPABILITY_IDS.map((id) => [id, status]));

describe('assessCapabilities: permission sets an operator gives', () => {
  it('full: Administrator on / makes everything available, nothing missing', () => {
    const a = assessCapabilities(FULL);
    expect(statuses(a)).toEqual(all('available'));
    expect(a.every((c) => c.missing.length === 0)).toBe(true);
    expect(one(a, 'guest.power').grantedOn).toEqual(['/vms']);
  });

  it('auditor only: reads everything, acts on nothing, and names what each action needs', () => {
    const a = assessCapabilities(AUDITOR_ONLY);
    expect(statuses(a)).toEqual({
      'cluster.read': 'available',
      'storage.read': 'available',
      'guest.power': 'unavailable',
      'guest.snapshot': 'unavailable',
      'ha.manage': 'available',
      'node.power': 'unavailable',
      'tasks.others': 'available',
    });
    expect(one(a, 'guest.power').missing).toEqual([{ privilege: 'VM.PowerMgmt', path: '/vms' }]);
    expect(one(a, 'guest.snapshot').missing).toEqual([{ privilege: 'VM.Snapshot', path: '/vms' }]);
    expect(one(a, 'node.power').missing).toEqual([{ privilege: 'Sys.PowerMgmt', path: '/nodes' }]);
  });

  it('one pool with power: partial on that pool and its guests (its guests are the part of the cluster it reads), no other users’ tasks', () => {
    const a = assessCapabilities(POOL_POWER);
    expect(statuses(a)).toEqual({
      'cluster.read': 'partial',
      'storage.read': 'unavailable',
      'guest.power': 'partial',
      'guest.snapshot': 'partial',
      'ha.manage': 'unavailable',
      'node.power': 'unavailable',
      'tasks.others': 'unavailable',
    });
    expect(one(a, 'guest.power')).toMatchObject({
      grantedOn: ['/pool/prod', '/vms/100', '/vms/101'],
      missing: [
        { privilege: 'VM.Audit', path: '/vms' },
        { privilege: 'VM.PowerMgmt', path: '/vms' },
      ],
    });
    expect(one(a, 'tasks.others').missing).toEqual([
      { privilege: 'Sys.Audit', path: '/' },
      { privilege: 'Sys.Audit', path: '/nodes' },
    ]);
    expect(one(a, 'cluster.read').grantedOn).toContain('/pool/prod');
    expect(one(a, 'cluster.read').missing).toContainEqual({ privilege: 'Sys.Audit', path: '/' });
  });

  it('nothing: every capability unavailable, each naming all it needs', () => {
    const a = assessCapabilities({});
    expect(statuses(a)).toEqual(all('unavailable'));
    for (const c of a) {
      const cap = PROXMOX_CAPABILITIES.find((x) => x.id === c.id)!;
      expect(c.missing).toHaveLength(cap.requires.length);
    }
  });

  it('power on one guest and audit on another do not make a power action anywhere', () => {
    const a = assessCapabilities({ '/vms/100': { 'VM.PowerMgmt': 1 }, '/vms/101': { 'VM.Audit': 1 } });
    expect(one(a, 'guest.power').status).toBe('unavailable');
  });

  it('an ACL further down that overrides a grant on / makes it partial, naming that path', () => {
    const a = assessCapabilities({ ...FULL, '/vms/100': privs(AUDITOR, 0) });
    expect(one(a, 'guest.power')).toMatchObject({
      status: 'partial',
      missing: [{ privilege: 'VM.PowerMgmt', path: '/vms/100' }],
    });
    // A pool's ACL never takes away: its guests are listed with what they hold.
    expect(one(assessCapabilities({ ...FULL, '/pool/lab': privs(AUDITOR) }), 'guest.power').status).toBe('available');
  });

  it('a privilege on / that does not propagate holds on / only', () => {
    const a = assessCapabilities({ '/': { 'Sys.Audit': 0 } });
    expect(one(a, 'ha.manage').status).toBe('available');
    expect(one(a, 'tasks.others')).toMatchObject({
      status: 'unavailable',
      missing: [{ privilege: 'Sys.Audit', path: '/nodes' }],
    });
  });

  it('a full listing without /vms means /vms holds nothing (an ACL there took it away)', () => {
    const { '/vms': _gone, ...rest } = FULL;
    expect(one(assessCapabilities(rest), 'guest.power').status).toBe('unavailable');
    // A bare answer listing `/` alone is read as PVE's propagation from `/`.
    expect(statuses(assessCapabilities({ '/': privs(ADMIN) }))).toEqual(all('available'));
  });

  it('power on one node only: node power is partial there', () => {
    const a = assessCapabilities({ '/nodes/pve2': { 'Sys.PowerMgmt': 1 } });
    expect(one(a, 'node.power')).toMatchObject({
      status: 'partial',
      grantedOn: ['/nodes/pve2'],
      missing: [{ privilege: 'Sys.PowerMgmt', path: '/nodes' }],
    });
  });
});

describe('assessCapabilities: odd answers deny', () => {
  const parsed = (json: string): unknown => JSON.parse(json);
  it.each<[string, unknown]>([
    ['undefined', undefined],
    ['null', null],
    ['an array', [{ '/': privs(ADMIN) }]],
    ['a string', JSON.stringify(FULL)],
    ['a number', 1],
    ['the envelope, not its data', { data: FULL }],
    ['privileges as a list', { '/': ADMIN }],
    ['privileges as null', { '/': null }],
    ['values as strings', { '/': Object.fromEntries(ADMIN.map((p) => [p, '1'])) }],
    ['values as false (ambiguous)', { '/': Object.fromEntries(ADMIN.map((p) => [p, false])) }],
    ['values out of range', { '/': Object.fromEntries(ADMIN.map((p) => [p, 2])) }],
    [
      'paths that are not ACL paths',
      { '': privs(ADMIN), vms: privs(ADMIN), '/vms/': privs(ADMIN), '//': privs(ADMIN) },
    ],
    ['traversal', { '/pool/../': privs(ADMIN), '/nodes/./x': privs(ADMIN), '/vms/..': privs(ADMIN) }],
    ['a path with a look-alike slash', { '\u2215': privs(ADMIN), '/\u200bvms': privs(ADMIN) }],
    ['__proto__ as a path', parsed(`{"__proto__": ${JSON.stringify(privs(ADMIN))}}`)],
    ['__proto__ as a privilege map', parsed(`{"/": {"__proto__": ${JSON.stringify(privs(ADMIN))}}}`)],
    ['inherited, not own, paths', Object.create(FULL) as unknown],
    ['privilege names that differ in case', { '/': privs(ADMIN.map((p) => p.toLowerCase())) }],
  ])('%s: nothing available', (_label, input) => {
    expect(statuses(assessCapabilities(input))).toEqual(all('unavailable'));
  });

  it('never throws, whatever it is given', () => {
    const weird: unknown[] = [Symbol('x'), () => 1, new Map([['/', privs(ADMIN)]]), new Date(), BigInt(1)];
    for (const w of weird) expect(() => assessCapabilities(w)).not.toThrow();
    for (const w of weird) expect(statuses(assessCapabilities(w))).toEqual(all('unavailable'));
  });
});

describe('the model is offered only the tools the token can carry out', () => {
  const tiers = defaultTierTable();
  const names = (caps?: CapabilityAssessment[]) => anthropicTools(tiers, caps).map((t) => t.name);

  it('every catalog tool names a capability of the table, or none', () => {
    for (const t of TOOL_CATALOG) if (t.capability !== null) expect(CAPABILITY_IDS).toContain(t.capability);
    expect(TOOL_CATALOG.filter((t) => t.kind === 'guest-power').every((t) => t.capability === 'guest.power')).toBe(
      true,
    );
  });

  it('auditor only: power, snapshot and node tools are left out; reads stay', () => {
    const offered = names(assessCapabilities(AUDITOR_ONLY));
    expect(offered).toEqual(expect.arrayContaining(['cluster_status', 'guest_list', 'storage_list', 'task_recent']));
    for (const gone of ['guest_start', 'guest_stop', 'guest_snapshot', 'guest_rollback', 'node_reboot', 'node_wake'])
      expect(offered).not.toContain(gone);
    // Tools that need no Proxmox privilege stay.
    expect(offered).toEqual(expect.arrayContaining(['ssh_run', 'approval_list', 'service_restart']));
  });

  it('one pool with power: guest tools stay and say where they work; limited tools say what they miss', () => {
    const tools = anthropicTools(tiers, assessCapabilities(POOL_POWER));
    const start = tools.find((t) => t.name === 'guest_start')!;
    expect(start.description).toContain('only on /pool/prod, /vms/100, /vms/101');
    // Reading that pool's guests is reading part of the cluster: the read tools stay, and say so.
    expect(tools.find((t) => t.name === 'guest_describe')!.description).toContain('only on /pool/prod');
    expect(tools.map((t) => t.name)).not.toContain('storage_list');
    expect(tools.find((t) => t.name === 'task_recent')!.description).toContain('Sys.Audit on /');
  });

  it('without a check every tool is offered, as before', () => {
    expect(names()).toHaveLength(TOOL_CATALOG.length);
    expect(names(assessCapabilities(FULL))).toHaveLength(TOOL_CATALOG.length);
  });
});

describe('README: the token section lists the exact privileges of each capability', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf('### What the token needs');
  const section = readme.slice(start, readme.indexOf('\n## ', start));
  const grantPath = (p: string): string => p.replace(/\/\{[a-z]+\}$/, '') || '/';

  it('has the section', () => expect(start).toBeGreaterThan(0));

  it.each(PROXMOX_CAPABILITIES.map((c) => [c.id, c] as const))('%s', (id, cap) => {
    const row = section.split('\n').find((l) => l.startsWith(`| \`${id}\``));
    expect(row).toBeDefined();
    const listed = [...row!.matchAll(/`([A-Za-z.]+)` on `([^`]+)`/g)].map((m) => `${m[1]} on ${m[2]}`).sort();
    expect(listed).toEqual([...new Set(cap.requires.map((r) => `${r.privilege} on ${grantPath(r.path)}`))].sort());
  });

  it('lists no capability the self-check does not know', () => {
    const ids = [...section.matchAll(/^\| `([a-z.]+)`/gm)].map((m) => m[1]);
    expect(ids.sort()).toEqual([...CAPABILITY_IDS].sort());
  });
});
