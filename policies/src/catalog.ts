import { type JsonSchema } from './json-schema';
import { NODE_NAME_PATTERN, VMID_MAX, VMID_MIN } from './identifiers';
import { type Tier } from './tiers';

/** What a tool does to the cluster; protected resources may be read but never changed. */
export type ToolEffect = 'read' | 'change' | 'destroy';
export type ToolTarget = 'cluster' | 'node' | 'guest';

export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly schema: JsonSchema & { type: 'object' };
  /** The default tier; the operator may override it in the tier table. */
  readonly tier: Tier;
  /** The activity that carries the tool out (a key of the worker's registered activities). */
  readonly handler: string;
  readonly effect: ToolEffect;
  readonly target: ToolTarget;
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
  handler: 'issuePowerAction',
  effect: 'change',
  target: 'guest',
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

/** Shared policy data is frozen all the way down: no consumer can lower a tier or loosen a schema. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Every tool Jarvis can use, declared once. Anything not listed here is BLACK. */
export const TOOL_CATALOG: readonly ToolSpec[] = deepFreeze([
  {
    name: 'guest.describe',
    description: 'Read one guest: its status, HA state, lock and tags.',
    tier: 'GREEN',
    handler: 'describeGuest',
    effect: 'read',
    target: 'guest',
    schema: { type: 'object', additionalProperties: false, required: ['node', 'vmid'], properties: { ...guestTarget } },
  },
  powerTool('start', 'Start a stopped guest.'),
  powerTool('stop', 'Stop a guest at once, like pulling the plug.'),
  powerTool('shutdown', 'Ask a guest to shut down cleanly.'),
  powerTool('reboot', 'Reboot a guest cleanly.'),
  powerTool('suspend', 'Pause a running guest.'),
  powerTool('resume', 'Resume a paused guest.'),
]);

export function findTool(name: string): ToolSpec | undefined {
  return TOOL_CATALOG.find((tool) => tool.name === name);
}

/** The default tier table: the catalog's tiers, as data the operator can override. */
export function defaultTierTable(): Record<string, Tier> {
  return Object.fromEntries(TOOL_CATALOG.map((tool) => [tool.name, tool.tier]));
}
