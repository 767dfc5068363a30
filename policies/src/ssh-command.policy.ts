/**
 * The SSH command allowlist: the only commands Jarvis may run on a Proxmox node.
 *
 * A command is split into plain words (see shell-words.ts) and matched against a table of shapes:
 * a program, fixed words, and typed slots (a unit from an allowlist, a VMID, a bounded integer,
 * a path from a fixed set). What comes back is the normalised argv to send, never the raw input.
 * Anything that fits no shape is BLACK. Guest power actions never go over SSH: they go through the
 * Proxmox API, where the tier policy, protected resources and approvals apply.
 */
import { POWER_ACTIONS } from './catalog';
import { VMID_MAX, VMID_MIN } from './identifiers';
import { isServiceUnit, serviceUnitName } from './service-unit';
import { splitShellWords, type ShellWordsRuleId } from './shell-words';

export type SshShapeTier = 'GREEN' | 'YELLOW';

/** A typed argument position. Every slot refuses a word that starts with `-`. */
export type ArgumentSlot =
  | { readonly slot: 'unit'; readonly scope: 'observable' | 'restartable' }
  | { readonly slot: 'vmid' }
  | { readonly slot: 'integer'; readonly label: string; readonly min: number; readonly max: number }
  | { readonly slot: 'file'; readonly allowed: readonly string[] }
  | { readonly slot: 'df-path' }
  | { readonly slot: 'block-device' }
  | { readonly slot: 'zfs-pool' };

/** A string is matched exactly; a slot by its type. */
export type ShapeWord = string | ArgumentSlot;

export interface SshCommandShape<Id extends string = string> {
  readonly id: Id;
  /** GREEN reads run at once; YELLOW changes wait for an approval. */
  readonly tier: SshShapeTier;
  readonly description: string;
  /** The program, then every word in order. Flags are fixed and in a fixed order. */
  readonly words: readonly [string, ...ShapeWord[]];
}

/** Services Jarvis may restart unless the operator adds more (restart is YELLOW). */
export const DEFAULT_RESTARTABLE_UNITS: readonly string[] = Object.freeze([
  'pveproxy',
  'pvedaemon',
  'pvestatd',
  'pve-cluster',
  'corosync',
  'pve-ha-lrm',
  'pve-ha-crm',
  'chrony',
  'ssh',
]);

/** Services Jarvis may inspect (status, journal) besides the restartable ones. */
export const DEFAULT_OBSERVABLE_UNITS: readonly string[] = Object.freeze([
  ...DEFAULT_RESTARTABLE_UNITS,
  'pve-firewall',
  'proxmox-firewall',
  'pvefw-logger',
  'pvescheduler',
  'pve-guests',
  'pve-lxc-syscalld',
  'spiceproxy',
  'qmeventd',
  'lxcfs',
  'rrdcached',
  'watchdog-mux',
  'zfs-zed',
  'smartd',
  'ksmtuned',
  'cron',
  'systemd-timesyncd',
  'networking',
  'postfix',
]);

/**
 * Services that are never restarted over SSH, whatever the operator adds: restarting them does
 * much more than the word "restart" suggests, so it belongs to a runbook or a human at the console.
 */
export const NEVER_RESTARTED_UNITS: Readonly<Record<string, string>> = Object.freeze({
  'pve-guests': 'restarting it stops and starts every guest on the node',
  lxcfs: 'restarting it breaks every running container',
  'watchdog-mux': 'restarting it can make the HA watchdog fence (reset) the node',
  networking: 'restarting it can cut the node off the network',
  'systemd-networkd': 'restarting it can cut the node off the network',
  dbus: 'restarting it disrupts systemd and every service that talks to it',
  'systemd-logind': 'restarting it ends every login session',
  'systemd-journald': 'restarting it can lose logs and stall services',
});

/** A Map, so that a unit called `constructor` or `__proto__` finds nothing on Object's prototype. */
const NEVER_RESTARTED: ReadonlyMap<string, string> = new Map(Object.entries(NEVER_RESTARTED_UNITS));

/** Files `cat` may read: small, well known, and free of secrets. Matched exactly. */
export const READABLE_FILES: readonly string[] = Object.freeze([
  '/proc/loadavg',
  '/proc/meminfo',
  '/proc/cpuinfo',
  '/proc/uptime',
  '/proc/version',
  '/proc/mdstat',
  '/proc/pressure/cpu',
  '/proc/pressure/memory',
  '/proc/pressure/io',
  '/etc/pve/.version',
  '/etc/pve/.members',
  '/etc/pve/.vmlist',
  '/etc/os-release',
  '/etc/debian_version',
  '/etc/hostname',
]);

/** Mount points `df -h` may be pointed at, besides PVE storage under /mnt/pve/<storage>. */
export const DF_PATHS: readonly string[] = Object.freeze([
  '/',
  '/boot',
  '/boot/efi',
  '/etc/pve',
  '/tmp',
  '/var',
  '/var/lib/vz',
  '/var/log',
  '/var/tmp',
]);

export const JOURNAL_MAX_LINES = 500;

/** PVE's `pve-storage-id` format. */
const MNT_PVE_PATH = /^\/mnt\/pve\/[a-z][a-z0-9_.-]{0,62}[a-z0-9]$/;
/** Whole disks only: SATA/SAS `sdX` and NVMe namespaces `nvmeXnY`. */
const BLOCK_DEVICE = /^\/dev\/(?:sd[a-z]{1,2}|nvme[0-9]{1,2}n[0-9]{1,2})$/;
const ZFS_POOL = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const DIGITS = /^[0-9]{1,12}$/;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const VMID: ArgumentSlot = { slot: 'vmid' };
const OBSERVABLE_UNIT: ArgumentSlot = { slot: 'unit', scope: 'observable' };
const RESTARTABLE_UNIT: ArgumentSlot = { slot: 'unit', scope: 'restartable' };
const JOURNAL_LINES: ArgumentSlot = { slot: 'integer', label: 'line count', min: 1, max: JOURNAL_MAX_LINES };
const READABLE_FILE: ArgumentSlot = { slot: 'file', allowed: READABLE_FILES };
const DF_PATH: ArgumentSlot = { slot: 'df-path' };
const DISK: ArgumentSlot = { slot: 'block-device' };
const POOL: ArgumentSlot = { slot: 'zfs-pool' };

const read = <const Id extends string>(
  id: Id,
  description: string,
  words: readonly [string, ...ShapeWord[]],
): SshCommandShape<Id> => ({ id, tier: 'GREEN', description, words });

const change = <const Id extends string>(
  id: Id,
  description: string,
  words: readonly [string, ...ShapeWord[]],
): SshCommandShape<Id> => ({ id, tier: 'YELLOW', description, words });

const SHAPES = [
  // Hardware and host
  read('sensors-json', 'temperature sensors as JSON', ['sensors', '-j']),
  read('sensors', 'temperature sensors', ['sensors']),
  read('hostname', 'the host name', ['hostname']),
  read('hostname-fqdn', 'the fully qualified host name', ['hostname', '-f']),
  read('uptime', 'uptime and load', ['uptime']),
  read('uptime-pretty', 'uptime in words', ['uptime', '-p']),
  read('uptime-since', 'the boot time', ['uptime', '-s']),
  read('uname-all', 'kernel and machine details', ['uname', '-a']),
  read('uname-release', 'the kernel release', ['uname', '-r']),
  read('date', 'the node clock', ['date']),
  read('timedatectl-status', 'clock and NTP sync state', ['timedatectl', 'status']),
  read('chronyc-tracking', 'NTP tracking state', ['chronyc', 'tracking']),
  read('chronyc-sources', 'NTP sources', ['chronyc', 'sources']),
  read('nproc', 'the CPU count', ['nproc']),
  read('lscpu', 'CPU details', ['lscpu']),
  read('lspci', 'PCI devices', ['lspci']),
  read('nvidia-smi', 'GPU state', ['nvidia-smi']),
  read('free-mebi', 'memory use in MiB', ['free', '-m']),
  read('free-human', 'memory use, human readable', ['free', '-h']),
  read('df-human', 'disk use of every filesystem', ['df', '-h']),
  read('df-human-path', 'disk use of one mount point', ['df', '-h', DF_PATH]),
  read('df-inodes', 'inode use of every filesystem', ['df', '-i']),
  read('cat-file', 'one well-known status file', ['cat', READABLE_FILE]),
  // Proxmox VE
  read('pveversion', 'the PVE manager version', ['pveversion']),
  read('pveversion-verbose', 'every PVE package version', ['pveversion', '-v']),
  read('pvecm-status', 'cluster and quorum status', ['pvecm', 'status']),
  read('pvecm-nodes', 'cluster members', ['pvecm', 'nodes']),
  read('corosync-links', 'corosync link status', ['corosync-cfgtool', '-s']),
  read('qm-list', 'the VMs on the node', ['qm', 'list']),
  read('qm-status', "one VM's status", ['qm', 'status', VMID]),
  read('qm-status-verbose', "one VM's detailed status", ['qm', 'status', VMID, '--verbose']),
  read('pct-list', 'the containers on the node', ['pct', 'list']),
  read('pct-status', "one container's status", ['pct', 'status', VMID]),
  read('ha-manager-status', 'HA manager status', ['ha-manager', 'status']),
  read('ha-manager-config', 'HA resources', ['ha-manager', 'config']),
  read('pvesm-status', 'storage status', ['pvesm', 'status']),
  read('pve-firewall-status', 'firewall status', ['pve-firewall', 'status']),
  read('ceph-status', 'Ceph cluster status', ['ceph', 'status']),
  read('ceph-health', 'Ceph health', ['ceph', 'health']),
  // Storage
  read('zpool-status', 'every ZFS pool', ['zpool', 'status']),
  read('zpool-status-unhealthy', 'only unhealthy ZFS pools', ['zpool', 'status', '-x']),
  read('zpool-status-pool', 'one ZFS pool', ['zpool', 'status', POOL]),
  read('zpool-list', 'ZFS pool capacity', ['zpool', 'list']),
  read('zfs-list', 'ZFS datasets', ['zfs', 'list']),
  read('lsblk', 'block devices', ['lsblk']),
  read('lsblk-filesystems', 'block devices and their filesystems', ['lsblk', '-f']),
  read('pvs', 'LVM physical volumes', ['pvs']),
  read('vgs', 'LVM volume groups', ['vgs']),
  read('lvs', 'LVM logical volumes', ['lvs']),
  read('smartctl-health', "one disk's SMART health verdict", ['smartctl', '-H', DISK]),
  read('smartctl-info', "one disk's identity", ['smartctl', '-i', DISK]),
  read('smartctl-attributes', "one disk's SMART attributes", ['smartctl', '-A', DISK]),
  read('smartctl-scan', 'the disks SMART can see', ['smartctl', '--scan']),
  // Network
  read('ip-addresses', 'interface addresses, brief', ['ip', '-br', 'addr']),
  read('ip-links', 'interface link state, brief', ['ip', '-br', 'link']),
  read('ip-routes', 'the routing table', ['ip', 'route']),
  read('ss-listening', 'listening TCP sockets', ['ss', '-tln']),
  // Services and logs
  read('systemctl-status', "one service's status", ['systemctl', 'status', OBSERVABLE_UNIT]),
  read('systemctl-is-active', 'whether one service is active', ['systemctl', 'is-active', OBSERVABLE_UNIT]),
  read('systemctl-is-enabled', 'whether one service is enabled', ['systemctl', 'is-enabled', OBSERVABLE_UNIT]),
  read('systemctl-is-failed', 'whether one service has failed', ['systemctl', 'is-failed', OBSERVABLE_UNIT]),
  read('systemctl-failed', 'every failed unit', ['systemctl', '--failed']),
  read('journalctl-unit', "one service's recent log", [
    'journalctl',
    '-u',
    OBSERVABLE_UNIT,
    '-n',
    JOURNAL_LINES,
    '--no-pager',
  ]),
  read('journalctl-errors', "this boot's recent errors", [
    'journalctl',
    '-b',
    '-p',
    'err',
    '-n',
    JOURNAL_LINES,
    '--no-pager',
  ]),
  read('journalctl-kernel', 'recent kernel messages', ['journalctl', '-k', '-n', JOURNAL_LINES, '--no-pager']),
  change('systemctl-restart', 'restarts an allowlisted service, a change that needs an approval', [
    'systemctl',
    'restart',
    RESTARTABLE_UNIT,
  ]),
];

export type SshShapeId = (typeof SHAPES)[number]['id'];

/** Every command shape Jarvis may send over SSH, frozen all the way down. */
export const SSH_COMMAND_SHAPES: readonly SshCommandShape<SshShapeId>[] = deepFreeze(SHAPES);

const PROGRAMS: ReadonlySet<string> = new Set(SSH_COMMAND_SHAPES.map((shape) => shape.words[0]));

export type SshCommandDenyRuleId =
  | ShellWordsRuleId
  | 'path-traversal'
  | 'unknown-program'
  | 'unknown-shape'
  | 'option-injection'
  | 'invalid-argument'
  | 'argument-out-of-range'
  | 'unit-not-allowed'
  | 'path-not-allowed';

export type SshCommandRuleId = SshShapeId | SshCommandDenyRuleId;

export interface SshCommandMatch<Kind extends 'allow' | 'ask', Tier extends SshShapeTier> {
  readonly kind: Kind;
  readonly tier: Tier;
  /** The shape that matched. */
  readonly ruleId: SshShapeId;
  readonly reason: string;
  /** The words to send, joined by single spaces. Each is plain ASCII from `[A-Za-z0-9._/-]`. */
  readonly argv: readonly string[];
}

export interface SshCommandDenied {
  readonly kind: 'deny';
  readonly tier: 'BLACK';
  readonly ruleId: SshCommandDenyRuleId;
  readonly reason: string;
  /** Nothing is ever sent for a denied command. */
  readonly argv: readonly [];
}

export type SshCommandDecision =
  SshCommandMatch<'allow', 'GREEN'> | SshCommandMatch<'ask', 'YELLOW'> | SshCommandDenied;

export interface SshCommandOptions {
  /** Units the operator allows Jarvis to restart (and inspect) besides the defaults. */
  readonly extraRestartableUnits?: readonly string[];
}

interface UnitLists {
  readonly restartable: ReadonlySet<string>;
  readonly observable: ReadonlySet<string>;
}

const NO_ARGV: readonly [] = Object.freeze<[]>([]);

const deny = (ruleId: SshCommandDenyRuleId, reason: string): SshCommandDenied =>
  Object.freeze({ kind: 'deny', tier: 'BLACK', ruleId, reason, argv: NO_ARGV });

/** Words reaching a reason have passed the tokenizer, so they are plain ASCII; long ones are cut. */
const quote = (word: string): string => JSON.stringify(word.length > 40 ? `${word.slice(0, 40)}...` : word);

/** Operator additions can only widen the restart list with plain service names; anything else is inert. */
function unitLists(options: SshCommandOptions | undefined): UnitLists {
  const extras: unknown = options?.extraRestartableUnits;
  const added = (Array.isArray(extras) ? (extras as unknown[]) : [])
    .filter(isServiceUnit)
    .map(serviceUnitName)
    .filter((unit) => !NEVER_RESTARTED.has(unit));
  return {
    restartable: new Set([...DEFAULT_RESTARTABLE_UNITS, ...added]),
    observable: new Set([...DEFAULT_OBSERVABLE_UNITS, ...added]),
  };
}

type SlotResult =
  | { readonly ok: true; readonly word: string }
  | { readonly ok: false; readonly ruleId: SshCommandDenyRuleId; readonly reason: string };

const slotFails = (ruleId: SshCommandDenyRuleId, reason: string): SlotResult => ({ ok: false, ruleId, reason });

export function describeShapeWord(word: ShapeWord): string {
  if (typeof word === 'string') return word;
  switch (word.slot) {
    case 'unit':
      return word.scope === 'restartable' ? '<restartable unit>' : '<unit>';
    case 'vmid':
      return '<vmid>';
    case 'integer':
      return `<${word.label} ${word.min}..${word.max}>`;
    case 'file':
      return '<file>';
    case 'df-path':
      return '<mount point>';
    case 'block-device':
      return '<disk>';
    case 'zfs-pool':
      return '<pool>';
  }
}

function matchInteger(word: string, label: string, min: number, max: number): SlotResult {
  if (!DIGITS.test(word)) return slotFails('invalid-argument', `${quote(word)} is not a ${label}`);
  if (word.length > 1 && word.startsWith('0'))
    return slotFails('invalid-argument', `${quote(word)}: a ${label} has no leading zeros`);
  const value = Number(word);
  if (value < min || value > max)
    return slotFails('argument-out-of-range', `${label} ${word} is outside ${min}..${max}`);
  return { ok: true, word };
}

function matchUnit(word: string, scope: 'observable' | 'restartable', units: UnitLists): SlotResult {
  if (!isServiceUnit(word)) return slotFails('invalid-argument', `${quote(word)} is not a plain service name`);
  const name = serviceUnitName(word);
  if (scope === 'restartable') {
    const never = NEVER_RESTARTED.get(name);
    if (never !== undefined) return slotFails('unit-not-allowed', `${name} is never restarted over SSH: ${never}`);
    if (!units.restartable.has(name)) return slotFails('unit-not-allowed', `${name} is not on the restart allowlist`);
  } else if (!units.observable.has(name)) {
    return slotFails('unit-not-allowed', `${name} is not on the list of services Jarvis may inspect`);
  }
  return { ok: true, word: name };
}

function matchSlot(slot: ArgumentSlot, word: string, units: UnitLists): SlotResult {
  // A positional value must never be read as an option, whatever the program's parser would do.
  if (word.startsWith('-'))
    return slotFails('option-injection', `${quote(word)} is an option where ${describeShapeWord(slot)} belongs`);
  switch (slot.slot) {
    case 'unit':
      return matchUnit(word, slot.scope, units);
    case 'vmid':
      return matchInteger(word, 'VMID', VMID_MIN, VMID_MAX);
    case 'integer':
      return matchInteger(word, slot.label, slot.min, slot.max);
    case 'file':
      return slot.allowed.includes(word)
        ? { ok: true, word }
        : slotFails('path-not-allowed', `${quote(word)} is not one of the files Jarvis may read`);
    case 'df-path':
      return DF_PATHS.includes(word) || MNT_PVE_PATH.test(word)
        ? { ok: true, word }
        : slotFails('path-not-allowed', `${quote(word)} is not a mount point Jarvis may inspect`);
    case 'block-device':
      return BLOCK_DEVICE.test(word)
        ? { ok: true, word }
        : slotFails('path-not-allowed', `${quote(word)} is not a whole disk (/dev/sdX or /dev/nvmeXnY)`);
    case 'zfs-pool':
      return ZFS_POOL.test(word)
        ? { ok: true, word }
        : slotFails('invalid-argument', `${quote(word)} is not a ZFS pool name`);
  }
}

interface ShapeMiss {
  /** The index of the first word that did not fit. */
  readonly at: number;
  /** What the shape wanted there, for the reason. */
  readonly expected: string;
  /** Set when a typed slot refused the word: more telling than "no shape fits". */
  readonly slot?: { readonly ruleId: SshCommandDenyRuleId; readonly reason: string };
}

type ShapeResult = { readonly ok: true; readonly argv: readonly string[] } | ({ readonly ok: false } & ShapeMiss);

function matchShape(shape: SshCommandShape, words: readonly string[], units: UnitLists): ShapeResult {
  const argv: string[] = [];
  for (let at = 0; at < Math.max(words.length, shape.words.length); at += 1) {
    const part = shape.words[at];
    const word = words[at];
    if (part === undefined) return { ok: false, at, expected: 'the end of the command' };
    if (word === undefined) return { ok: false, at, expected: describeShapeWord(part) };
    if (typeof part === 'string') {
      if (word !== part) return { ok: false, at, expected: part };
      argv.push(word);
      continue;
    }
    const result = matchSlot(part, word, units);
    if (!result.ok)
      return {
        ok: false,
        at,
        expected: describeShapeWord(part),
        slot: { ruleId: result.ruleId, reason: result.reason },
      };
    argv.push(result.word);
  }
  return { ok: true, argv };
}

/** Why a near miss is refused, where the answer is not "it is not on the list". */
function hintFor(words: readonly string[]): string {
  const [program, verb] = words;
  if ((program === 'qm' || program === 'pct') && verb !== undefined)
    if ((POWER_ACTIONS as readonly string[]).includes(verb) || verb === 'destroy' || verb === 'migrate')
      return '; guest power and lifecycle actions go through the Proxmox API, never SSH';
  if (program === 'systemctl') return '; over SSH a service may only be inspected, or restarted if allowlisted';
  return '';
}

/** The least bad explanation: the shape that got furthest, and a typed slot's own words if one refused. */
function explainMiss(words: readonly string[], misses: readonly ShapeMiss[]): SshCommandDenied {
  const furthest = Math.max(...misses.map((miss) => miss.at));
  const atFurthest = misses.filter((miss) => miss.at === furthest);
  const slotMiss = atFurthest.find((miss) => miss.slot !== undefined)?.slot;
  if (slotMiss) return deny(slotMiss.ruleId, slotMiss.reason);

  const expected = [...new Set(atFurthest.map((miss) => miss.expected))].join(', ');
  const program = words[0] ?? '';
  const word = words[furthest];
  const what =
    word === undefined
      ? `${quote(program)} is missing word ${furthest + 1}`
      : `${quote(program)} does not accept ${quote(word)} as word ${furthest + 1}`;
  return deny('unknown-shape', `${what}; expected ${expected}${hintFor(words)}`);
}

function decisionFor(shape: SshCommandShape<SshShapeId>, argv: readonly string[]): SshCommandDecision {
  const frozen = Object.freeze([...argv]);
  const reason = `${frozen.join(' ')} matches ${shape.id}: ${shape.description}`;
  return shape.tier === 'GREEN'
    ? Object.freeze({ kind: 'allow', tier: 'GREEN', ruleId: shape.id, reason, argv: frozen })
    : Object.freeze({ kind: 'ask', tier: 'YELLOW', ruleId: shape.id, reason, argv: frozen });
}

/**
 * Decides whether a command may be sent to a node over SSH, and in which exact words.
 * Leading, trailing and repeated spaces are dropped; a `.service` suffix on a unit is dropped.
 * Every other difference from a shape is a denial.
 */
export function evaluateSshCommand(command: string, options?: SshCommandOptions): SshCommandDecision {
  const split = splitShellWords(command);
  if (!split.ok) return deny(split.ruleId, split.reason);
  const { words } = split;

  const traversal = words.find((word) => word.includes('..'));
  if (traversal !== undefined)
    return deny('path-traversal', `${quote(traversal)} contains "..", which is never accepted`);

  const program = words[0] ?? '';
  if (!PROGRAMS.has(program)) return deny('unknown-program', `${quote(program)} is not a program Jarvis may run`);

  const units = unitLists(options);
  const misses: ShapeMiss[] = [];
  for (const shape of SSH_COMMAND_SHAPES) {
    if (shape.words[0] !== program) continue;
    const result = matchShape(shape, words, units);
    if (result.ok) return decisionFor(shape, result.argv);
    misses.push(result);
  }
  return explainMiss(words, misses);
}

/**
 * The command an SSH-backed catalog tool sends, or undefined for a tool that does not use SSH.
 * The action policy judges this command at request time and the activity sends the same words,
 * so a tool call the allowlist would refuse is BLACK before anyone is asked to approve it.
 */
export function sshToolCommand(
  tool: string,
  args: { readonly command?: unknown; readonly service?: unknown },
): string | undefined {
  const word = (value: unknown): string => (typeof value === 'string' ? value : '');
  switch (tool) {
    case 'ssh.run':
      return word(args.command);
    case 'service.status':
      return `systemctl is-active ${word(args.service)}`;
    case 'service.restart':
      return `systemctl restart ${word(args.service)}`;
    default:
      return undefined;
  }
}
