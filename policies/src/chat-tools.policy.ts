/**
 * How a chat turn's tool call is judged: the same action policy as every other request (which
 * composes the SSH allowlist for SSH-backed tools), plus the override passkey's narrow exception. Also the
 * Anthropic tool definitions, generated from the catalog so each tool stays declared once.
 */
import { TOOL_CATALOG } from './catalog';
import { evaluateAction, type PolicyData, type PolicyDecision, type TargetFacts } from './action.policy';
import { type DecisionKind, type Tier } from './tiers';
import { capabilityLimit, type CapabilityAssessment } from './proxmox-capabilities';

export interface AnthropicToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly input_schema: Record<string, unknown>;
}

/** Anthropic tool names allow `[a-zA-Z0-9_-]` only: `guest.start` is offered as `guest_start`. */
export const anthropicToolName = (tool: string): string => tool.replace(/\./g, '_');

/** The catalog tool an Anthropic tool name stands for; a name we never offered maps to itself (and is BLACK). */
export function catalogToolName(name: string): string {
  return TOOL_CATALOG.find((t) => anthropicToolName(t.name) === name)?.name ?? name;
}

/**
 * Every tool the operator's tier table does not make BLACK, as Claude's `tools` parameter. Given
 * the token's last self-check, a tool whose capability is unavailable is left out (it could only
 * fail) and one that is limited says so in its description; without a check, every tool is offered
 * and Proxmox's refusals are reported at call time.
 */
export function anthropicTools(
  tiers: Readonly<Record<string, unknown>>,
  capabilities?: readonly CapabilityAssessment[],
): AnthropicToolDefinition[] {
  return TOOL_CATALOG.filter((t) => tiers[t.name] !== 'BLACK').flatMap((t) => {
    const limit = capabilities && t.capability ? capabilityLimit(t.capability, capabilities) : { hidden: false };
    if (limit.hidden) return [];
    const tier = typeof tiers[t.name] === 'string' ? (tiers[t.name] as string) : t.tier;
    return [
      {
        name: anthropicToolName(t.name),
        description: `${t.description} (tier ${tier})${limit.note ? ` ${limit.note}` : ''}`,
        input_schema: JSON.parse(JSON.stringify(t.schema)) as Record<string, unknown>,
      },
    ];
  });
}

export type ChatRuleId = PolicyDecision['ruleId'];

export interface ChatToolDecision {
  readonly kind: DecisionKind;
  readonly tier: Tier;
  readonly ruleId: ChatRuleId;
  readonly reason: string;
  /**
   * The override passkey made this approvable by a lone operator in chat: a RED action (one
   * decision, no second operator, no typed name) or an overridable BLACK rule (lifted to RED).
   */
  readonly overridden?: boolean;
}

/** BLACK rules an operator's passkey may lift. Never protected resources, unknown tools, bad arguments or the SSH allowlist. */
export const OVERRIDABLE_BLACK_RULES: readonly ChatRuleId[] = Object.freeze(['tier-table'] as ChatRuleId[]);

export function evaluateToolCall(
  call: { tool: string; args: unknown },
  facts: TargetFacts,
  policy: PolicyData,
  opts: { overrideActive?: boolean } = {},
): ChatToolDecision {
  // The action policy composes the SSH allowlist for every SSH-backed tool (ssh.run, service.*).
  const decision: ChatToolDecision = evaluateAction({ tool: call.tool, args: call.args }, facts, policy);
  if (!opts.overrideActive) return decision;
  if (decision.tier === 'RED')
    return {
      ...decision,
      overridden: true,
      reason: `${decision.reason}; override passkey: a lone operator may confirm in chat`,
    };
  if (decision.tier === 'BLACK' && OVERRIDABLE_BLACK_RULES.includes(decision.ruleId))
    return {
      kind: 'ask',
      tier: 'RED',
      ruleId: decision.ruleId,
      overridden: true,
      reason: `${decision.reason}; lifted to RED by the override passkey`,
    };
  return decision;
}

/** The override phrase as compared: case, spacing and look-alike characters do not matter. */
export function normalisePasskey(phrase: string): string {
  return phrase.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/**
 * Finds the passkey phrase in a message and returns the message without it, so the phrase in
 * clear never reaches a workflow history, a model or the conversation store.
 */
export function extractPasskey(text: string, phrase: string | undefined): { text: string; said: boolean } {
  const key = phrase ? normalisePasskey(phrase) : '';
  if (key.length < 6) return { text, said: false };
  const pattern = new RegExp(
    key
      .split(' ')
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('\\s+'),
    'giu',
  );
  const normalised = text.normalize('NFKC');
  if (!pattern.test(normalised)) return { text, said: false };
  return { text: normalised.replace(pattern, '[override passkey]'), said: true };
}
