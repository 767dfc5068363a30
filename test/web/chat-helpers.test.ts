import {
  applyCard,
  applyDelta,
  applyFinal,
  applyReset,
  describeTimings,
  emptyReply,
  entriesFromHistory,
  formatUsd,
  type ChatEntry,
} from '../../apps/web/src/lib/chat-thread';
import { indexAt, isAtBottom, measuredWindow, prefixOffsets } from '../../apps/web/src/lib/measured-window';
import { resolveShortcut } from '../../apps/web/src/lib/shortcuts';
import { addCost, capUsed, type CostView } from '../../apps/web/src/stores/costs';

const WF = 'chat:s1:1';
const ids = { sessionId: 's1', workflowId: WF };
const delta = (seq: number, text: string, attempt = 1) => ({ ...ids, seq, text, attempt });
const fresh = (): ChatEntry => emptyReply(WF, '2026-01-01T00:00:00.000Z');

describe('folding the chat stream into a reply', () => {
  it('appends deltas in order and ignores a repeated or older piece', () => {
    const e = fresh();
    expect(applyDelta(e, delta(1, 'Good '))).toBe(true);
    expect(applyDelta(e, delta(2, 'evening'))).toBe(true);
    expect(applyDelta(e, delta(2, 'evening'))).toBe(false);
    expect(applyDelta(e, delta(3, ' stale', 0))).toBe(false);
    expect(e.text).toBe('Good evening');
  });

  it('drops the partial text of a retried attempt on reset, and on a newer attempt whose reset was lost', () => {
    const e = fresh();
    applyDelta(e, delta(1, 'Half an ans'));
    applyReset(e, { ...ids, attempt: 2 });
    expect(e.text).toBe('');
    applyDelta(e, delta(1, 'The whole answer', 2));
    expect(e.text).toBe('The whole answer');
    // A late piece of attempt 1 after the reset stays out.
    expect(applyDelta(e, delta(3, ' stale', 1))).toBe(false);
    expect(e.text).toBe('The whole answer');

    const lost = fresh();
    applyDelta(lost, delta(1, 'first try'));
    applyDelta(lost, delta(2, '...'));
    applyDelta(lost, delta(1, 'second try', 2));
    expect(lost.text).toBe('second try');
  });

  it("starts a new paragraph when the tool loop's next model call streams from seq 1 again", () => {
    const e = fresh();
    applyDelta(e, delta(1, 'Checking, sir.'));
    applyDelta(e, delta(1, 'All four nodes are online.'));
    expect(e.text).toBe('Checking, sir.\n\nAll four nodes are online.');
  });

  it('lets the final message replace the streamed text and freezes the reply', () => {
    const e = fresh();
    applyDelta(e, delta(1, 'partial'));
    applyFinal(e, { ...ids, text: 'Final words.', provider: 'claude', costUsd: 0.0021 });
    expect(e).toMatchObject({ text: 'Final words.', provider: 'claude', costUsd: 0.0021, state: 'done' });
    expect(applyDelta(e, delta(9, ' more'))).toBe(false);
    applyReset(e, { ...ids, attempt: 5 });
    expect(e.text).toBe('Final words.');
  });

  it('keeps one card per approval, and unknown providers off the badge', () => {
    const e = fresh();
    const card = { kind: 'confirmation' as const, approvalId: 'a1', tier: 'YELLOW' };
    expect(applyCard(e, card)).toBe(true);
    expect(applyCard(e, { ...card, tier: 'YELLOW' })).toBe(false);
    expect(applyCard(e, { kind: 'tool', tool: 'guest.start', status: 'done' })).toBe(true);
    // The same card with its keys in another order (as jsonb stores it) is the same card.
    expect(applyCard(e, { status: 'done', tool: 'guest.start', kind: 'tool' })).toBe(false);
    expect(e.cards).toHaveLength(2);
    applyFinal(e, { ...ids, text: 'x', provider: 'gpt-9', costUsd: 0 });
    expect(e.provider).toBeUndefined();
  });
});

describe('the stored session as entries', () => {
  const now = Date.parse('2026-01-01T01:00:00.000Z');
  it('pairs replies with their turns, marks a recent unanswered turn running and an old one failed', () => {
    const entries = entriesFromHistory(
      [
        { role: 'user', text: 'hi', workflowId: 'chat:s:1', at: '2026-01-01T00:00:00.000Z' },
        {
          role: 'assistant',
          text: 'Good day',
          provider: 'offline',
          workflowId: 'chat:s:1',
          cards: [],
          costUsd: 0,
          timings: { received: 0, done: 812, 'first-token': 'x' },
          at: '2026-01-01T00:00:01.000Z',
        },
        { role: 'user', text: 'start 101', workflowId: 'chat:s:2', at: '2026-01-01T00:10:00.000Z' },
        { role: 'user', text: 'status', workflowId: 'chat:s:3', at: '2026-01-01T00:59:00.000Z' },
      ],
      now,
    );
    expect(entries.map((e) => [e.key, e.state])).toEqual([
      ['chat:s:1:user', 'done'],
      ['chat:s:1:reply', 'done'],
      ['chat:s:2:user', 'done'],
      ['chat:s:2:reply', 'failed'],
      ['chat:s:3:user', 'done'],
      ['chat:s:3:reply', 'running'],
    ]);
    expect(entries[1]).toMatchObject({ provider: 'offline', timings: { received: 0, done: 812 } });
    expect(entries[1]!.timings).not.toHaveProperty('first-token');
  });

  it('formats cost and timing for the turn footer', () => {
    expect(formatUsd(0)).toBe('$0');
    expect(formatUsd(0.00123)).toBe('$0.0012');
    expect(formatUsd(1.5)).toBe('$1.50');
    expect(formatUsd(undefined)).toBe('—');
    expect(describeTimings({ received: 0, 'first-token': 420, done: 1830 })).toBe('first token 420 ms · done 1.8 s');
    expect(describeTimings({ done: 90 })).toBe('done 90 ms');
  });
});

describe('the measured window (variable-height virtual list)', () => {
  const heights = [100, 20, 20, 300, 50, undefined, undefined];
  const offsets = prefixOffsets(heights, 40);

  it('keeps prefix offsets from measured heights and the estimate', () => {
    expect(offsets).toEqual([0, 100, 120, 140, 440, 490, 530, 570]);
    expect(indexAt(offsets, 0)).toBe(0);
    expect(indexAt(offsets, 99)).toBe(0);
    expect(indexAt(offsets, 100)).toBe(1);
    expect(indexAt(offsets, 439)).toBe(3);
    expect(indexAt(offsets, 10_000)).toBe(6);
  });

  it('renders the rows in view plus overscan, with spacers that add up to the whole height', () => {
    const w = measuredWindow(offsets, 130, 100, 0);
    expect(w).toEqual({ start: 2, end: 4, padTop: 120, padBottom: 130 });
    const over = measuredWindow(offsets, 130, 100, 1);
    expect(over).toEqual({ start: 1, end: 5, padTop: 100, padBottom: 80 });
    // Past the end clamps to the last screenful.
    const end = measuredWindow(offsets, 5000, 100, 0);
    expect(end.end).toBe(7);
    expect(end.padTop + end.padBottom).toBeLessThan(570);
    expect(measuredWindow([0], 0, 100)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it('treats the reader as at the bottom only within the slack', () => {
    expect(isAtBottom(900, 100, 1000)).toBe(true);
    expect(isAtBottom(880, 100, 1000)).toBe(true);
    expect(isAtBottom(800, 100, 1000)).toBe(false);
  });

  it('windows 500 messages of mixed heights into a few dozen rows', () => {
    const many = Array.from({ length: 500 }, (_, i) => 40 + (i % 7) * 30);
    const o = prefixOffsets(many, 80);
    const w = measuredWindow(o, o[250]!, 600, 4);
    expect(w.start).toBeLessThanOrEqual(250);
    expect(w.end).toBeGreaterThan(250);
    expect(w.end - w.start).toBeLessThan(40);
    expect(w.padTop).toBe(o[w.start]);
    expect(w.padTop + (o[w.end]! - o[w.start]!) + w.padBottom).toBe(o[500]);
  });
});

describe('cost totals', () => {
  const view: CostView = {
    period: 'day',
    since: '2026-01-01T00:00:00.000Z',
    items: [{ provider: 'claude', calls: 2, inputTokens: 100, outputTokens: 50, costUsd: 0.01 }],
    totalUsd: 0.01,
    budget: { dailyCapUsd: 1, monthlyCapUsd: null, spentTodayUsd: 0.01, spentMonthUsd: 0.5 },
  };
  it('adds a live cost event to its provider, the total and both budget counters', () => {
    const next = addCost(addCost(view, 'claude', 0.002), 'local', 0);
    expect(next.items).toEqual([
      { provider: 'claude', calls: 3, inputTokens: 100, outputTokens: 50, costUsd: 0.012 },
      { provider: 'local', calls: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 },
    ]);
    expect(next.totalUsd).toBe(0.012);
    expect(next.budget).toMatchObject({ spentTodayUsd: 0.012, spentMonthUsd: 0.502 });
    expect(view.totalUsd).toBe(0.01);
  });
  it('reports how much of a cap is used, none without a cap', () => {
    expect(capUsed(0.5, 1)).toBe(0.5);
    expect(capUsed(3, 1)).toBe(1);
    expect(capUsed(3, null)).toBeNull();
  });
});

describe('the focus-chat shortcut', () => {
  it('is c, and only outside text fields', () => {
    expect(resolveShortcut({ key: 'c' })).toBe('focus-chat');
    expect(resolveShortcut({ key: 'c', inEditable: true })).toBeUndefined();
  });
});
