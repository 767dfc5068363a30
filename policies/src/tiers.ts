export const TIERS = ['GREEN', 'YELLOW', 'RED', 'BLACK'] as const;
export type Tier = (typeof TIERS)[number];

const RANK: Record<Tier, number> = { GREEN: 0, YELLOW: 1, RED: 2, BLACK: 3 };

export function isTier(value: unknown): value is Tier {
  return typeof value === 'string' && (TIERS as readonly string[]).includes(value);
}

/** The stricter of two tiers: escalation only ever raises. */
export function maxTier(a: Tier, b: Tier): Tier {
  return RANK[a] >= RANK[b] ? a : b;
}

export type DecisionKind = 'allow' | 'ask' | 'deny';

export function kindForTier(tier: Tier): DecisionKind {
  if (tier === 'GREEN') return 'allow';
  if (tier === 'BLACK') return 'deny';
  return 'ask';
}
