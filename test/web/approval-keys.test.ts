import { createPinia, setActivePinia } from 'pinia';
import { APPROVE_AGAIN_MS, pressApprove } from '../../apps/web/src/lib/approval-keys';
import { useApprovalsStore } from '../../apps/web/src/stores/approvals';
import { fakeApi } from './support/fake-api';
import { approval } from './support/fixtures';

/** The `a` key never approves by itself: RED goes to its confirmation, YELLOW needs a second `a`. */
beforeEach(() => setActivePinia(createPinia()));
afterEach(() => useApprovalsStore().disarm());

const yellow = approval({ id: 'y1', tier: 'YELLOW' });
const red = approval({ id: 'r1', workflowId: 'wr', tier: 'RED', twoPerson: true });
const T = 1_000_000;

describe('pressApprove', () => {
  it.each([
    ['RED, first press', red, null, T, 'confirm'],
    ['RED, even with an armed prompt', red, { id: 'r1', until: T + 1000 }, T, 'confirm'],
    ['YELLOW, first press', yellow, null, T, 'prompt'],
    ['YELLOW, second press in time', yellow, { id: 'y1', until: T + 1 }, T, 'approve'],
    ['YELLOW, second press after the prompt lapsed', yellow, { id: 'y1', until: T }, T, 'prompt'],
    ['YELLOW, armed for another request', yellow, { id: 'other', until: T + 1000 }, T, 'prompt'],
    ['a decided request', approval({ id: 'y1', state: 'approved' }), { id: 'y1', until: T + 1000 }, T, 'none'],
    ['nothing selected', undefined, null, T, 'none'],
  ] as const)('%s → %s', (_name, a, armed, now, kind) => {
    expect(pressApprove(a, armed, now).kind).toBe(kind);
  });

  it('arms the prompt for a few seconds', () => {
    expect(pressApprove(yellow, null, T)).toEqual({ kind: 'prompt', armed: { id: 'y1', until: T + APPROVE_AGAIN_MS } });
  });
});

describe('the approvals store under the keyboard', () => {
  const approved = {
    status: 200,
    body: { id: 'y1', status: 'approved', expiresAt: yellow.expiresAt, decisions: [] },
  };

  it('sends nothing on the first a of a YELLOW request, and approves on the second', async () => {
    const api = fakeApi({ 'POST /api/approvals/y1/approve': approved });
    const store = useApprovalsStore();
    store.upsert(yellow);
    store.select('y1');
    expect(store.pressApproveKey(T)).toBe('prompt');
    expect(store.armed).toEqual({ id: 'y1', until: T + APPROVE_AGAIN_MS });
    await Promise.resolve();
    expect(api.calls).toEqual([]);
    expect(store.pressApproveKey(T + 1000)).toBe('approve');
    expect(store.armed).toBeNull();
    await new Promise((r) => setTimeout(r, 10));
    expect(api.calls).toMatchObject([{ method: 'POST', path: '/api/approvals/y1/approve' }]);
  });

  it('starts over after Esc, another selection or the timeout', async () => {
    const api = fakeApi({ 'POST /api/approvals/y1/approve': approved });
    const store = useApprovalsStore();
    store.upsert(yellow);
    store.upsert(approval({ id: 'y2', workflowId: 'w2', tier: 'YELLOW' }));
    store.select('y1');

    store.pressApproveKey(T);
    store.disarm(); // Esc
    expect(store.pressApproveKey(T + 10)).toBe('prompt');

    store.select('y2');
    expect(store.armed).toBeNull();
    store.select('y1');
    expect(store.pressApproveKey(T + 20)).toBe('prompt');
    expect(store.pressApproveKey(T + 20 + APPROVE_AGAIN_MS)).toBe('prompt');

    jest.useFakeTimers();
    try {
      store.pressApproveKey(Date.now());
      expect(store.armed).not.toBeNull();
      jest.advanceTimersByTime(APPROVE_AGAIN_MS);
      expect(store.armed).toBeNull();
    } finally {
      jest.useRealTimers();
    }
    await new Promise((r) => setTimeout(r, 10));
    expect(api.calls).toEqual([]);
  });

  it('never sends a RED decision from the key: it asks for the confirmation a click asks for', async () => {
    const api = fakeApi({});
    const store = useApprovalsStore();
    store.upsert(red);
    store.select('r1');
    expect(store.pressApproveKey(T)).toBe('confirm');
    expect(store.confirming).toBe('r1');
    expect(store.pressApproveKey(T + 100)).toBe('confirm');
    await new Promise((r) => setTimeout(r, 10));
    expect(api.calls).toEqual([]);
    store.disarm();
    expect(store.confirming).toBeNull();
  });
});
