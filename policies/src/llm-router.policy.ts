/**
 * Which model answers a chat turn. Pure: what the turn needs, what is configured, what failed
 * already and what has been spent come in as arguments; the answer is an ordered chain of
 * providers to try, so a failure falls to the next without asking again.
 */
export const LLM_PROVIDERS = ['claude', 'local', 'offline'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** What the offline intent parser made of the message, used to decide who can serve it best. */
export type TurnIntent = 'action' | 'query' | 'none';

export interface RouterInput {
  /** The turn needs live data or an action: tools. */
  readonly needsTools: boolean;
  readonly intent: TurnIntent;
  readonly claudeConfigured: boolean;
  readonly localConfigured: boolean;
  /** Providers that already failed as unavailable during this turn, with why. */
  readonly failed?: Readonly<Partial<Record<LlmProvider, string>>>;
  readonly budget: {
    readonly spentTodayUsd: number;
    readonly spentMonthUsd: number;
    readonly dailyCapUsd?: number;
    readonly monthlyCapUsd?: number;
  };
}

export type RouterRuleId =
  | 'tools-to-claude'
  | 'conversation-to-local'
  | 'budget-reached'
  | 'claude-unavailable'
  | 'action-needs-tools'
  | 'no-llm';

export interface RouteDecision {
  /** The providers to try, in order; never empty (the offline parser is always last). */
  readonly chain: readonly LlmProvider[];
  readonly ruleId: RouterRuleId;
  readonly reason: string;
  /** Shown to the operator with the answer when the turn did not get the model it would have had. */
  readonly notice?: string;
}

/** A cap that is set and reached; a cap of 0 means "no paid calls at all". Unknown spend counts as reached. */
export function budgetReached(b: RouterInput['budget']): string | undefined {
  const over = (spent: number, cap: number | undefined): boolean =>
    cap !== undefined && (!Number.isFinite(spent) || spent >= cap);
  if (over(b.spentTodayUsd, b.dailyCapUsd)) return `the daily LLM budget of $${b.dailyCapUsd!.toFixed(2)} is reached`;
  if (over(b.spentMonthUsd, b.monthlyCapUsd))
    return `the monthly LLM budget of $${b.monthlyCapUsd!.toFixed(2)} is reached`;
  return undefined;
}

export function routeTurn(input: RouterInput): RouteDecision {
  const failed = input.failed ?? {};
  const claudeUp = input.claudeConfigured && failed.claude === undefined;
  const localUp = input.localConfigured && failed.local === undefined;
  const overBudget = budgetReached(input.budget);
  const claudeWhyNot = !input.claudeConfigured
    ? 'Claude is not configured'
    : failed.claude !== undefined
      ? `Claude is unavailable (${failed.claude})`
      : overBudget;

  if (!input.needsTools) {
    if (localUp)
      return {
        chain: ['local', 'offline'],
        ruleId: 'conversation-to-local',
        reason: 'conversation goes to the local model',
      };
    if (claudeUp && !overBudget)
      return {
        chain: ['claude', 'offline'],
        ruleId: 'conversation-to-local',
        reason: 'no local model; Claude answers',
      };
    return noLlm(input, claudeWhyNot);
  }

  if (claudeUp && !overBudget)
    return {
      chain: ['claude', ...(localUp ? (['local'] as const) : []), 'offline'],
      ruleId: 'tools-to-claude',
      reason: 'the turn needs tools',
    };

  const ruleId: RouterRuleId = overBudget && claudeUp ? 'budget-reached' : 'claude-unavailable';
  // The local model has no tools: an action it cannot take is better served by the parser, which can.
  if (input.intent === 'action')
    return {
      chain: ['offline'],
      ruleId: 'action-needs-tools',
      reason: `${claudeWhyNot ?? 'Claude is unavailable'}; the offline parser can act through the same tools`,
      notice: `${capitalise(claudeWhyNot ?? 'Claude is unavailable')}; handled by the offline command parser.`,
    };
  if (localUp)
    return {
      chain: ['local', 'offline'],
      ruleId,
      reason: `${claudeWhyNot ?? 'Claude is unavailable'}; the local model answers without tools`,
      notice: `${capitalise(claudeWhyNot ?? 'Claude is unavailable')}; answered by the local model, which cannot use tools.`,
    };
  return noLlm(input, claudeWhyNot);
}

function noLlm(input: RouterInput, claudeWhyNot: string | undefined): RouteDecision {
  const localWhyNot = !input.localConfigured
    ? 'no local model is configured'
    : `the local model is unavailable (${input.failed?.local ?? 'error'})`;
  const why = [claudeWhyNot ?? 'Claude is not used for conversation', localWhyNot].join('; ');
  return {
    chain: ['offline'],
    ruleId: 'no-llm',
    reason: why,
    notice: `No language model is reachable (${why}); handled by the offline command parser.`,
  };
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Prices per million tokens, USD. */
export interface LlmPrice {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}

export const DEFAULT_LLM_PRICES: Readonly<Record<string, LlmPrice>> = Object.freeze({
  'claude-sonnet-5-5': Object.freeze({ inputPerMTok: 3, outputPerMTok: 15 }),
  'claude-sonnet-4-5': Object.freeze({ inputPerMTok: 3, outputPerMTok: 15 }),
  'claude-haiku-4-5': Object.freeze({ inputPerMTok: 1, outputPerMTok: 5 }),
  'claude-opus-4-1': Object.freeze({ inputPerMTok: 15, outputPerMTok: 75 }),
});

/** The cost of one call. A local model is free; an unknown Claude model is priced as the dearest known one, never as free. */
export function costUsd(
  provider: LlmProvider,
  model: string,
  usage: { inputTokens: number; outputTokens: number },
  prices: Readonly<Record<string, LlmPrice>> = DEFAULT_LLM_PRICES,
): number {
  if (provider !== 'claude') return 0;
  const price =
    prices[model] ??
    Object.values(prices).reduce<LlmPrice>(
      (a, b) => (b.inputPerMTok + b.outputPerMTok > a.inputPerMTok + a.outputPerMTok ? b : a),
      { inputPerMTok: 15, outputPerMTok: 75 },
    );
  const usd = (usage.inputTokens * price.inputPerMTok + usage.outputTokens * price.outputPerMTok) / 1_000_000;
  return Math.round(usd * 1e6) / 1e6;
}
