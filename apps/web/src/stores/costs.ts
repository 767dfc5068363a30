import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import { http, isHttpError } from '../api/http';

export type CostPeriod = 'day' | 'week' | 'month';
export const COST_PERIODS: readonly CostPeriod[] = ['day', 'week', 'month'];

export interface ProviderCost {
  readonly provider: string;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface CostBudget {
  readonly dailyCapUsd: number | null;
  readonly monthlyCapUsd: number | null;
  readonly spentTodayUsd: number;
  readonly spentMonthUsd: number;
}

/** GET /api/costs?period=… */
export interface CostView {
  readonly period: CostPeriod;
  readonly since: string;
  readonly items: readonly ProviderCost[];
  readonly totalUsd: number;
  readonly budget: CostBudget;
}

const round = (usd: number): number => Math.round(usd * 1e6) / 1e6;

/** One LLM call's cost added to a period's totals (a cost event carries no tokens: the refetch brings them). */
export function addCost(view: CostView, provider: string, usd: number): CostView {
  const has = view.items.some((i) => i.provider === provider);
  const items = has
    ? view.items.map((i) =>
        i.provider === provider ? { ...i, calls: i.calls + 1, costUsd: round(i.costUsd + usd) } : i,
      )
    : [...view.items, { provider, calls: 1, inputTokens: 0, outputTokens: 0, costUsd: round(usd) }];
  return {
    ...view,
    items,
    totalUsd: round(view.totalUsd + usd),
    budget: {
      ...view.budget,
      spentTodayUsd: round(view.budget.spentTodayUsd + usd),
      spentMonthUsd: round(view.budget.spentMonthUsd + usd),
    },
  };
}

/** How much of a cap is used, 0–1 (null without a cap). */
export function capUsed(spent: number, cap: number | null): number | null {
  if (cap === null || cap <= 0) return null;
  return Math.min(1, Math.max(0, spent / cap));
}

/** LLM spend for the day, week and month, kept live from the /chat socket's cost events. */
export const useCostsStore = defineStore('costs', () => {
  const views = shallowRef<Partial<Record<CostPeriod, CostView>>>({});
  const error = ref<string | null>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function load(): Promise<void> {
    try {
      const all = await Promise.all(COST_PERIODS.map((p) => http.get<CostView>(`/api/costs?period=${p}`)));
      views.value = Object.fromEntries(all.map((v, i) => [COST_PERIODS[i]!, Object.freeze(v)]));
      error.value = null;
    } catch (err) {
      error.value = isHttpError(err) ? err.message : String(err);
    }
  }

  /** A call was billed: every period shows it at once; the tokens follow with one reload after a burst. */
  function onCost(e: { provider: string; costUsd: number }): void {
    if (!Number.isFinite(e.costUsd)) return;
    const next: Partial<Record<CostPeriod, CostView>> = {};
    for (const p of COST_PERIODS) {
      const v = views.value[p];
      if (v) next[p] = Object.freeze(addCost(v, e.provider, e.costUsd));
    }
    views.value = next;
    clearTimeout(timer);
    timer = setTimeout(() => void load(), 2000);
  }

  function reset(): void {
    clearTimeout(timer);
    views.value = {};
    error.value = null;
  }

  return { views, error, load, onCost, reset };
});
