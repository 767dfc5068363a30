import { createPinia, setActivePinia } from 'pinia';
import { useChatStore } from '../../apps/web/src/stores/chat';
import { useCostsStore } from '../../apps/web/src/stores/costs';
import { envelope, fakeApi, type FakeCall } from './support/fake-api';

beforeEach(() => setActivePinia(createPinia()));

function memoryStorage() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
    map: m,
  };
}

const SESSION = 's01TEST';
const ev = (turn: number) => ({ sessionId: SESSION, workflowId: `chat:${SESSION}:${turn}` });

describe('the chat store', () => {
  it('creates the session on the first message only, remembers it per operator, and posts the text', async () => {
    let turn = 0;
    const api = fakeApi({
      'POST /api/chat/sessions': { status: 201, body: { id: SESSION } },
      [`POST /api/chat/sessions/${SESSION}/messages`]: () => ({
        status: 202,
        body: { workflowId: `chat:${SESSION}:${++turn}` },
      }),
    });
    const storage = memoryStorage();
    const chat = useChatStore();
    chat.hydrate(storage, 'operator');
    expect(chat.sessionId).toBeNull();
    const joined: string[] = [];
    const [a, b] = await Promise.all([
      chat.send("  how's the cluster?  ", { beforePost: (id) => Promise.resolve(void joined.push(id)) }),
      chat.send('start vm 101'),
    ]);
    expect([a, b].sort()).toEqual([`chat:${SESSION}:1`, `chat:${SESSION}:2`]);
    expect(api.calls.filter((c) => c.path === '/api/chat/sessions')).toHaveLength(1);
    expect(joined).toEqual([SESSION]);
    const posted = api.calls.filter((c) => c.path.endsWith('/messages')).map((c: FakeCall) => c.body);
    expect(posted).toContainEqual({ text: "how's the cluster?" });
    // Two user bubbles, each followed by its reply placeholder, both running.
    expect(chat.entries.map((e) => [e.role, e.state])).toEqual([
      ['user', 'done'],
      ['assistant', 'running'],
      ['user', 'done'],
      ['assistant', 'running'],
    ]);
    expect(chat.running).toBe(2);
    chat.dehydrate(storage);
    expect(storage.map.get('jarvis.chat.session.operator')).toBe(SESSION);
    chat.hydrate(storage, 'second');
    expect(chat.sessionId).toBeNull();
    expect(await chat.send('   ')).toBeUndefined();
  });

  it('streams a reply, drops it on reset, and takes the final message and the stored timings', async () => {
    fakeApi({
      [`POST /api/chat/sessions/${SESSION}/messages`]: { status: 202, body: { workflowId: `chat:${SESSION}:1` } },
      [`GET /api/chat/sessions/${SESSION}`]: {
        status: 200,
        body: {
          id: SESSION,
          messages: [
            { role: 'user', text: 'hi', workflowId: `chat:${SESSION}:1`, at: '2026-01-01T00:00:00.000Z' },
            {
              role: 'assistant',
              text: 'Good evening, sir.',
              provider: 'claude',
              workflowId: `chat:${SESSION}:1`,
              cards: [{ kind: 'tool', tool: 'cluster.status', status: 'done' }],
              costUsd: 0.003,
              timings: { received: 0, 'first-token': 310, done: 900 },
              at: '2026-01-01T00:00:01.000Z',
            },
          ],
        },
      },
    });
    const chat = useChatStore();
    chat.hydrate({ getItem: () => SESSION, setItem: () => undefined, removeItem: () => undefined }, 'operator');
    await chat.send('hi');
    chat.onDelta({ ...ev(1), attempt: 1, seq: 1, text: 'Good eve' });
    const reply = () => chat.entries.find((e) => e.key === `chat:${SESSION}:1:reply`)!;
    expect(reply().text).toBe('Good eve');
    chat.onReset({ ...ev(1), attempt: 2 });
    expect(reply().text).toBe('');
    chat.onDelta({ ...ev(1), attempt: 2, seq: 1, text: 'Good evening' });
    chat.onCost({ ...ev(1), provider: 'claude', costUsd: 0.001 });
    expect(reply().costUsd).toBe(0.001);
    // Another session's events are not this conversation's.
    chat.onDelta({ sessionId: 'other', workflowId: 'chat:other:1', attempt: 1, seq: 1, text: 'nope' });
    expect(chat.entries).toHaveLength(2);

    chat.onCard({ ...ev(1), card: { kind: 'tool', status: 'done', tool: 'cluster.status' } });
    chat.onFinal({ ...ev(1), text: 'Good evening, sir.', provider: 'claude', costUsd: 0.003 });
    expect(reply()).toMatchObject({ text: 'Good evening, sir.', provider: 'claude', state: 'done' });
    await chat.refreshFinished();
    expect(reply().timings).toEqual({ received: 0, 'first-token': 310, done: 900 });
    expect(reply().cards).toEqual([{ kind: 'tool', tool: 'cluster.status', status: 'done' }]);
    expect(chat.running).toBe(0);
  });

  it("shows a turn's events that beat the POST's answer in the right order", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fakeApi({
      [`POST /api/chat/sessions/${SESSION}/messages`]: async () => {
        await gate;
        return { status: 202, body: { workflowId: `chat:${SESSION}:1` } };
      },
    });
    const chat = useChatStore();
    chat.hydrate({ getItem: () => SESSION, setItem: () => undefined, removeItem: () => undefined }, 'operator');
    const sent = chat.send('start vm 101');
    await new Promise((r) => setTimeout(r, 5));
    chat.onCard({ ...ev(1), card: { kind: 'confirmation', approvalId: 'ap1', tier: 'YELLOW', action: 'start' } });
    release();
    await sent;
    expect(chat.entries.map((e) => e.key)).toEqual([`chat:${SESSION}:1:user`, `chat:${SESSION}:1:reply`]);
    expect(chat.entries[1]!.cards).toHaveLength(1);
  });

  it('marks a message that could not be sent, and forgets a session the API no longer knows', async () => {
    fakeApi({
      [`POST /api/chat/sessions/${SESSION}/messages`]: { status: 400, body: envelope('VALIDATION', 'text too long') },
      [`GET /api/chat/sessions/${SESSION}`]: { status: 404, body: envelope('NOT_FOUND', 'no chat session') },
    });
    const chat = useChatStore();
    chat.hydrate({ getItem: () => SESSION, setItem: () => undefined, removeItem: () => undefined }, 'operator');
    expect(await chat.send('x')).toBeUndefined();
    expect(chat.entries[0]).toMatchObject({ state: 'failed', error: 'text too long' });
    await chat.loadHistory();
    expect(chat.sessionId).toBeNull();
  });

  it('loads history, keeping a reply that is streaming in over its stored placeholder', async () => {
    fakeApi({
      [`GET /api/chat/sessions/${SESSION}`]: {
        status: 200,
        body: {
          id: SESSION,
          messages: [{ role: 'user', text: 'status', workflowId: `chat:${SESSION}:1`, at: new Date().toISOString() }],
        },
      },
    });
    const chat = useChatStore();
    chat.hydrate({ getItem: () => SESSION, setItem: () => undefined, removeItem: () => undefined }, 'operator');
    chat.onDelta({ ...ev(1), attempt: 1, seq: 1, text: 'All nodes' });
    await chat.loadHistory();
    expect(chat.entries.map((e) => [e.role, e.text, e.state])).toEqual([
      ['user', 'status', 'done'],
      ['assistant', 'All nodes', 'running'],
    ]);
  });
});

describe('the costs store', () => {
  it('loads day, week and month and adds live cost events to each', async () => {
    const view = (period: string, total: number) => ({
      status: 200,
      body: {
        period,
        since: '2026-01-01T00:00:00.000Z',
        items: [{ provider: 'claude', calls: 1, inputTokens: 10, outputTokens: 5, costUsd: total }],
        totalUsd: total,
        budget: { dailyCapUsd: 2, monthlyCapUsd: 20, spentTodayUsd: 0.1, spentMonthUsd: 1 },
      },
    });
    const api = fakeApi({
      'GET /api/costs?period=day': view('day', 0.1),
      'GET /api/costs?period=week': view('week', 0.4),
      'GET /api/costs?period=month': view('month', 1),
    });
    jest.useFakeTimers();
    try {
      const costs = useCostsStore();
      await costs.load();
      expect(costs.views.week?.totalUsd).toBe(0.4);
      costs.onCost({ provider: 'claude', costUsd: 0.05 });
      expect(costs.views.day?.totalUsd).toBe(0.15);
      expect(costs.views.month?.items[0]).toMatchObject({ calls: 2, costUsd: 1.05 });
      expect(costs.views.day?.budget.spentTodayUsd).toBe(0.15);
      // One reload after the burst, for the tokens the event does not carry.
      costs.onCost({ provider: 'local', costUsd: 0 });
      expect(api.calls).toHaveLength(3);
      jest.advanceTimersByTime(2100);
      expect(api.calls).toHaveLength(6);
    } finally {
      jest.useRealTimers();
    }
  });
});
