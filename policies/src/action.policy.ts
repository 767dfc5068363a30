import { findTool, type ToolSpec } from './catalog';
import { validateJson } from './json-schema';
import { findProtected, type ProtectedResources, type ResourceId } from './protected';
import { evaluateSshCommand, sshToolCommand, type SshCommandOptions } from './ssh-command.policy';
import { isTier, kindForTier, maxTier, type DecisionKind, type Tier } from './tiers';

export interface ActionRequest {
  readonly tool: string;
  readonly args: unknown;
}

/** What the caller observed about the target before asking; absent facts never lower a tier. */
export interface TargetFacts {
  readonly haManaged?: boolean;
}

export interface PolicyData {
  /** Operator-editable tier per tool; a tool missing from the table is BLACK. */
  readonly tiers: Readonly<Record<string, unknown>>;
  readonly protected: ProtectedResources;
  /** The SSH allowlist's operator additions (restartable units); absent: the defaults. */
  readonly ssh?: SshCommandOptions;
}

export type RuleId =
  | 'unknown-tool'
  | 'invalid-args'
  | 'protected-resource'
  | 'tier-missing'
  | 'tier-table'
  | 'ha-managed'
  | 'ssh-allowlist'
  | 'ssh-yellow-shape';

export interface PolicyDecision {
  readonly kind: DecisionKind;
  readonly tier: Tier;
  readonly reason: string;
  readonly ruleId: RuleId;
}

/** A tool name as it may appear in an audited reason: quoted, escaped, cut short; never a throw. */
const describeToolName = (name: unknown): string =>
  typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) : `a ${typeof name}`;

const decide = (tier: Tier, ruleId: RuleId, reason: string): PolicyDecision => ({
  kind: kindForTier(tier),
  tier,
  ruleId,
  reason,
});

function targetsOf(tool: ToolSpec, args: Record<string, unknown>): ResourceId[] {
  if (tool.target === 'guest' && typeof args['vmid'] === 'number') return [`guest:${args['vmid']}`];
  if (tool.target === 'node' && typeof args['node'] === 'string') return [`node:${args['node']}`];
  return [];
}

/**
 * The tier of one action. Rules run strictest first and the first that decides wins;
 * nothing the operator puts in the tier table can lower a protected or unknown action.
 */
export function evaluateAction(request: ActionRequest, facts: TargetFacts, policy: PolicyData): PolicyDecision {
  const tool = typeof request.tool === 'string' ? findTool(request.tool) : undefined;
  if (!tool) return decide('BLACK', 'unknown-tool', `${describeToolName(request.tool)} is not a known tool`);

  const valid = validateJson(tool.schema, request.args);
  if (!valid.ok) return decide('BLACK', 'invalid-args', `invalid arguments: ${valid.errors.join('; ')}`);
  const args = request.args as Record<string, unknown>;

  const protectedHit = (): PolicyDecision | undefined => {
    for (const target of targetsOf(tool, args)) {
      const hit = findProtected(policy.protected, target);
      if (hit) return decide('BLACK', 'protected-resource', `${hit.resource} is protected: ${hit.reason}`);
    }
    return undefined;
  };
  if (tool.effect !== 'read') {
    const hit = protectedHit();
    if (hit) return hit;
  }

  const configured = Object.prototype.hasOwnProperty.call(policy.tiers, tool.name)
    ? policy.tiers[tool.name]
    : undefined;
  if (!isTier(configured)) return decide('BLACK', 'tier-missing', `no valid tier is configured for ${tool.name}`);

  // An SSH-backed tool is judged by the allowlist now: a command that can never run is never asked about.
  const command = sshToolCommand(tool.name, args);
  if (command !== undefined) {
    const ssh = evaluateSshCommand(command, policy.ssh);
    if (ssh.kind === 'deny') return decide('BLACK', 'ssh-allowlist', ssh.reason);
    // A command of a changing shape (a restart) is a change to its node, whatever the tool's effect.
    if (ssh.tier !== 'GREEN') {
      const hit = protectedHit();
      if (hit) return hit;
    }
    if (maxTier(ssh.tier, configured) !== configured) return decide(ssh.tier, 'ssh-yellow-shape', ssh.reason);
  }

  if (tool.target === 'guest' && tool.effect !== 'read' && facts.haManaged === true) {
    const tier = maxTier(configured, 'RED');
    return decide(tier, 'ha-managed', `${tool.name} changes the HA state of an HA-managed guest`);
  }
  return decide(configured, 'tier-table', `${tool.name} is ${configured} in the tier table`);
}

/** Guests and nodes an action touches, for the approval card. */
export interface BlastRadius {
  readonly guests: readonly number[];
  readonly nodes: readonly string[];
}

export function blastRadius(request: ActionRequest, guestsOnNode: readonly number[] = []): BlastRadius {
  const tool = findTool(request.tool);
  const args = (typeof request.args === 'object' && request.args !== null ? request.args : {}) as Record<
    string,
    unknown
  >;
  const node = typeof args['node'] === 'string' ? args['node'] : undefined;
  if (!tool || tool.effect === 'read') return { guests: [], nodes: [] };
  if (tool.target === 'guest' && typeof args['vmid'] === 'number')
    return { guests: [args['vmid']], nodes: node ? [node] : [] };
  if (tool.target === 'node' && node) return { guests: [...guestsOnNode], nodes: [node] };
  return { guests: [], nodes: [] };
}
