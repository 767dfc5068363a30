import { budgetReached, costUsd, routeTurn, type RouterInput } from '@jarvis/policies';

const base: RouterInput = {
  needsTools: true,
  intent: 'query',
  claudeConfigured: true,
  localConfigured: true,
  budget: { spentTodayUsd: 0, spentMonthUsd: 0, dailyCapUsd: 5, monthlyCapUsd: 50 },
};

describe('routeTurn', () => {
  it.each<[string, Partial<RouterInput>, string[], string, boolean]>([
    ['tools go to Claude', {}, ['claude', 'local', 'offline'], 'tools-to-claude', false],
    [
      'conversation goes to the local model',
      { needsTools: false, intent: 'none' },
      ['local', 'offline'],
      'conversation-to-local',
      false,
    ],
    [
      'conversation without a local model goes to Claude',
      { needsTools: false, intent: 'none', localConfigured: false },
      ['claude', 'offline'],
      'conversation-to-local',
      false,
    ],
    [
      'daily budget reached: local, with a notice',
      { budget: { spentTodayUsd: 5, spentMonthUsd: 5, dailyCapUsd: 5, monthlyCapUsd: 50 } },
      ['local', 'offline'],
      'budget-reached',
      true,
    ],
    [
      'monthly budget reached: local',
      { budget: { spentTodayUsd: 0, spentMonthUsd: 60, dailyCapUsd: 5, monthlyCapUsd: 50 } },
      ['local', 'offline'],
      'budget-reached',
      true,
    ],
    [
      'a NaN spend counts as reached',
      { budget: { spentTodayUsd: Number.NaN, spentMonthUsd: 0, dailyCapUsd: 5 } },
      ['local', 'offline'],
      'budget-reached',
      true,
    ],
    ['no key: local with a notice', { claudeConfigured: false }, ['local', 'offline'], 'claude-unavailable', true],
    [
      'Claude failed (529): local with a notice',
      { failed: { claude: 'overloaded' } },
      ['local', 'offline'],
      'claude-unavailable',
      true,
    ],
    [
      'an action without Claude goes to the parser, which can act',
      { claudeConfigured: false, intent: 'action' },
      ['offline'],
      'action-needs-tools',
      true,
    ],
    ['nothing configured: offline', { claudeConfigured: false, localConfigured: false }, ['offline'], 'no-llm', true],
    ['both failed: offline', { failed: { claude: 'overloaded', local: 'refused' } }, ['offline'], 'no-llm', true],
    [
      'conversation with the local model down and budget gone: offline',
      {
        needsTools: false,
        intent: 'none',
        failed: { local: 'x' },
        budget: { spentTodayUsd: 9, spentMonthUsd: 9, dailyCapUsd: 1 },
      },
      ['offline'],
      'no-llm',
      true,
    ],
  ])('%s', (_name, over, chain, ruleId, notice) => {
    const d = routeTurn({ ...base, ...over });
    expect(d.chain).toEqual(chain);
    expect(d.ruleId).toBe(ruleId);
    expect(d.notice !== undefined).toBe(notice);
    expect(d.chain.at(-1)).toBe('offline');
  });

  it('a cap of 0 means no paid call at all', () => {
    expect(budgetReached({ spentTodayUsd: 0, spentMonthUsd: 0, dailyCapUsd: 0 })).toMatch(/daily/);
    expect(budgetReached({ spentTodayUsd: 0, spentMonthUsd: 0 })).toBeUndefined();
  });

  it('prices Claude from the table, the local model at 0, and an unknown Claude model never as free', () => {
    expect(costUsd('claude', 'claude-sonnet-4-5', { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(18);
    expect(costUsd('local', 'llama', { inputTokens: 10_000, outputTokens: 10_000 })).toBe(0);
    expect(costUsd('claude', 'claude-unknown', { inputTokens: 1_000_000, outputTokens: 0 })).toBeGreaterThanOrEqual(15);
  });
});
