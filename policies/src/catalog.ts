import { type JsonSchema } from './json-schema';
import { NODE_NAME_PATTERN, SNAPSHOT_NAME_PATTERN, VMID_MAX, VMID_MIN } from './identifiers';
import { SERVICE_UNIT_MAX_LENGTH, SERVICE_UNIT_PATTERN } from './service-unit';
import { type Tier } from './tiers';
import { type ToolKind, type ToolName } from './tool-contract';
import { type CapabilityId } from './proxmox-capabilities';

/** What a tool does to the cluster; protected resources may be read but never changed. */
export type ToolEffect = 'read' | 'change' | 'destroy';
export type ToolTarget = 'cluster' | 'node' | 'guest';

export interface ToolSpec<N extends ToolName = ToolName> {
  readonly name: N;
  readonly description: string;
  readonly schema: JsonSchema & { type: 'object' };
  /** The default tier; the operator may override it in the tier table. */
  readonly tier: Tier;
  /** How the tool is carried out: the dispatcher's exhaustive switch (tool-dispatch.ts in workflows). */
  readonly kind: ToolKind;
  readonly effect: ToolEffect;
  readonly target: ToolTarget;
  /**
   * The Proxmox capability (proxmox-capabilities.ts) the tool needs from the API token, or null
   * when it needs none (SSH, or Jarvis's own records). The chat leaves out a tool whose capability
   * the last self-check found unavailable.
   */
  readonly capability: CapabilityId | null;
}

export const POWER_ACTIONS = ['start', 'stop', 'shutdown', 'reboot', 'suspend', 'resume'] as const;
export type PowerAction = (typeof POWER_ACTIONS)[number];
export type GuestKind = 'qemu' | 'lxc';

const guestTarget = {
  node: { type: 'string', pattern: NODE_NAME_PATTERN, maxLength: 63, description: 'The node the guest lives on' },
  vmid: { type: 'integer', minimum: VMID_MIN, maximum: VMID_MAX, description: 'The guest ID' },
} as const satisfies Record<string, JsonSchema>;

const powerTool = (action: PowerAction, description: string): ToolSpec => ({
  name: `guest.${action}`,
  description,
  tier: 'YELLOW',
  kind: 'guest-power',
  effect: 'change',
  target: 'guest',
  capability: 'guest.power',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['node', 'vmid'],
    properties: {
      ...guestTarget,
      kind: { type: 'string', enum: ['qemu', 'lxc'] },
      reason: { type: 'string', maxLength: 500 },
    },
  },
});

const closed = (properties: Record<string, JsonSchema>, required: readonly string[] = []): ToolSpec['schema'] => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties,
});

const readTool = (
  name: ToolName,
  kind: 'read' | 'ssh-read',
  target: ToolTarget,
  capability: CapabilityId | null,
  description: string,
  schema: ToolSpec['schema'],
): ToolSpec => ({ name, description, tier: 'GREEN', kind, effect: 'read', target, capability, schema });

const serviceUnit = {
  type: 'string',
  pattern: SERVICE_UNIT_PATTERN,
  maxLength: SERVICE_UNIT_MAX_LENGTH,
  description: 'The systemd service name, e.g. pveproxy',
} as const satisfies JsonSchema;
const snapshotName = {
  type: 'string',
  pattern: SNAPSHOT_NAME_PATTERN,
  maxLength: 40,
  description: 'The snapshot name: a letter, then letters, digits, _ and -',
} as const satisfies JsonSchema;

/** The chat's read-only tools (GREEN: every read) and the allowlisted system reads over SSH. */
const readTools = (): ToolSpec[] => [
  readTool(
    'cluster.status',
    'read',
    'cluster',
    'cluster.read',
    'Read the whole cluster: quorum, nodes, guests and storage, summarised.',
    closed({}),
  ),
  readTool(
    'node.status',
    'read',
    'node',
    'cluster.read',
    'Read one node: status, CPU, memory, disk, uptime and its guests.',
    closed({ node: guestTarget.node }, ['node']),
  ),
  readTool(
    'guest.list',
    'read',
    'cluster',
    'cluster.read',
    'List guests (VMs and containers), optionally only those on one node or in one state.',
    closed({
      node: guestTarget.node,
      status: { type: 'string', enum: ['running', 'stopped', 'paused'] },
    }),
  ),
  readTool(
    'storage.list',
    'read',
    'cluster',
    'storage.read',
    'List storage pools with their usage, optionally on one node.',
    closed({ node: guestTarget.node }),
  ),
  readTool(
    'task.recent',
    'read',
    'node',
    'tasks.others',
    'Recent Proxmox tasks and events on a node (or every node), newest first, failures marked.',
    closed({
      node: guestTarget.node,
      vmid: guestTarget.vmid,
      limit: { type: 'integer', minimum: 1, maximum: 50 },
      errorsOnly: { type: 'boolean' },
    }),
  ),
  readTool(
    'metrics.history',
    'read',
    'node',
    'cluster.read',
    'CPU, memory and load history of a node over the last hour, day or week (min, mean, max).',
    closed({ node: guestTarget.node, timeframe: { type: 'string', enum: ['hour', 'day', 'week'] } }, ['node']),
  ),
  readTool(
    'approval.list',
    'read',
    'cluster',
    null,
    'List approvals waiting for an operator (or recently decided ones).',
    closed({ state: { type: 'string', enum: ['pending', 'decided'] } }),
  ),
  readTool(
    'ssh.run',
    'ssh-read',
    'node',
    null,
    'Run one read-only, allowlisted command on a node over SSH (e.g. uptime, df -h, journalctl -u pveproxy -n 50). Anything off the allowlist is refused.',
    closed({ node: guestTarget.node, command: { type: 'string', minLength: 1, maxLength: 300 } }, ['node', 'command']),
  ),
  readTool(
    'service.status',
    'ssh-read',
    'node',
    null,
    'Whether a systemd service on a node is active (systemctl is-active), over SSH.',
    closed(
      {
        node: guestTarget.node,
        service: serviceUnit,
      },
      ['node', 'service'],
    ),
  ),
];

/** Node reboot and shutdown are RED by default: everything on the node goes down with it. */
const nodePowerTools = (): ToolSpec[] =>
  (['reboot', 'shutdown'] as const).map((command) => ({
    name: `node.${command}` as const,
    description: `${command === 'reboot' ? 'Reboot' : 'Shut down'} a whole node, and every guest on it.`,
    tier: 'RED',
    kind: 'node-power',
    effect: 'change',
    target: 'node',
    capability: 'node.power',
    schema: closed({ node: guestTarget.node, reason: { type: 'string', maxLength: 500 } }, ['node']),
  }));

/** Shared policy data is frozen all the way down: no consumer can lower a tier or loosen a schema. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Every tool Jarvis can use, declared once. Anything not listed here is BLACK. */
export const TOOL_CATALOG: readonly ToolSpec[] = deepFreeze<ToolSpec[]>([
  {
    name: 'guest.describe',
    description: 'Read one guest: its status, HA state, lock and tags.',
    tier: 'GREEN',
    kind: 'read',
    effect: 'read',
    target: 'guest',
    capability: 'cluster.read',
    schema: { type: 'object', additionalProperties: false, required: ['node', 'vmid'], properties: { ...guestTarget } },
  },
  ...readTools(),
  ...nodePowerTools(),
  powerTool('start', 'Start a stopped guest.'),
  powerTool('stop', 'Stop a guest at once, like pulling the plug.'),
  powerTool('shutdown', 'Ask a guest to shut down cleanly.'),
  powerTool('reboot', 'Reboot a guest cleanly.'),
  powerTool('suspend', 'Pause a running guest.'),
  powerTool('resume', 'Resume a paused guest.'),
  {
    name: 'node.wake',
    description: 'Wake a powered-off node with a wake-on-LAN packet sent by an online node.',
    tier: 'YELLOW',
    kind: 'node-wake',
    effect: 'change',
    target: 'node',
    capability: 'node.power',
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['node'],
      properties: {
        node: { ...guestTarget.node, description: 'The node to wake' },
        reason: { type: 'string', maxLength: 500 },
      },
    },
  },
  {
    name: 'service.restart',
    description: 'Restart an allowlisted systemd service on a node over SSH.',
    tier: 'YELLOW',
    kind: 'service',
    effect: 'change',
    target: 'node',
    capability: null,
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['node', 'service'],
      properties: {
        node: { ...guestTarget.node, description: 'The node the service runs on' },
        service: serviceUnit,
        reason: { type: 'string', maxLength: 500 },
      },
    },
  },
  {
    name: 'guest.snapshot',
    description: 'Take a disk snapshot of a VM, so that a risky step can be undone.',
    tier: 'YELLOW',
    kind: 'snapshot',
    effect: 'change',
    target: 'guest',
    capability: 'guest.snapshot',
    schema: closed({ ...guestTarget, name: snapshotName, description: { type: 'string', maxLength: 200 } }, [
      'node',
      'vmid',
      'name',
    ]),
  },
  {
    name: 'guest.rollback',
    description: 'Roll a VM back to one of its snapshots; what happened since is lost.',
    tier: 'RED',
    kind: 'rollback',
    effect: 'change',
    target: 'guest',
    capability: 'guest.snapshot',
    schema: closed({ ...guestTarget, snapshot: snapshotName }, ['node', 'vmid', 'snapshot']),
  },
]);

export function findTool(name: string): ToolSpec | undefined {
  return TOOL_CATALOG.find((tool) => tool.name === name);
}

/** The default tier table: the catalog's tiers, as data the operator can override. */
export function defaultTierTable(): Record<string, Tier> {
  return Object.fromEntries(TOOL_CATALOG.map((tool) => [tool.name, tool.tier]));
}
