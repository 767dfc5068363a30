import { createPinia, setActivePinia } from 'pinia';
import { confirmationProgress, describeRefusal, needsTypedName } from '../../apps/web/src/lib/approval-refusal';
import { useApprovalsStore } from '../../apps/web/src/stores/approvals';
import { envelope, fakeApi } from './support/fake-api';
import { approval } from './support/fixtures';

beforeEach(() => setActivePinia(createPinia()));

const A = approval();
const approvePath = `POST /api/approvals/${A.id}/approve`;

describe('the approvals store', () => {
  it('loads pending and decided requests, pending soonest-expiring first', async () => {
    const later = approval({ id: 'b', workflowId: 'wb', expiresAt: '2026-01-01T00:20:00.000Z' });
    const sooner = approval({ id: 'a', workflowId: 'wa', expiresAt: '2026-01-01T00:05:00.000Z' });
    const done = approval({
      id: 'c',
      state: 'rejected',
      decisions: [{ by: 'second', at: '2026-01-01T00:01:00.000Z', verdict: 'reject' }],
    });
    const api = fakeApi({
      'GET /api/approvals?state=pending': { status: 200, body: { items: [later, sooner] } },
      'GET /api/approvals?state=decided': { status: 200, body: { items: [done] } },
    });
    const store = useApprovalsStore();
    await store.load();
    expect(store.pending.map((a) => a.id)).toEqual(['a', 'b']);
    expect(store.recent.map((a) => a.id)).toEqual(['c']);
    expect(api.calls.every((c) => c.authorization === 'Bearer tok')).toBe(true);
  });

  it('keeps the newest snapshot: an older version arriving late is ignored', () => {
    const store = useApprovalsStore();
    expect(store.upsert(approval({ version: 3, state: 'approved' }))).toBe(true);
    expect(store.upsert(approval({ version: 2, state: 'pending' }))).toBe(false);
    expect(store.byId.get(A.id)?.state).toBe('approved');
    expect(store.pending).toHaveLength(0);
  });

  it('approves with the fingerprint shown and applies the answer before the socket copy arrives', async () => {
    const api = fakeApi({
      [approvePath]: {
        status: 200,
        body: {
          id: A.id,
          status: 'approved',
          tier: 'YELLOW',
          fingerprint: 'fp-1',
          expiresAt: A.expiresAt,
          decisions: [{ by: 'operator', at: '2026-01-01T00:02:00.000Z', verdict: 'approve' }],
        },
      },
    });
    const store = useApprovalsStore();
    store.upsert(A);
    await expect(store.decide(A.id, 'approve')).resolves.toBe(true);
    expect(api.calls[0]).toMatchObject({ method: 'POST', body: { confirm: true, fingerprint: 'fp-1' } });
    expect(store.byId.get(A.id)?.state).toBe('approved');
    expect(store.pending).toHaveLength(0);
  });

  it("decides a chat card's approval with the fingerprint the card showed", async () => {
    const api = fakeApi({
      [approvePath]: { status: 409, body: envelope('APPROVAL_MISMATCH', 'not the one waiting here') },
    });
    const store = useApprovalsStore();
    store.upsert(A);
    await expect(store.decide(A.id, 'approve', { fingerprint: 'fp-card' })).resolves.toBe(false);
    expect(api.calls[0]).toMatchObject({ method: 'POST', body: { fingerprint: 'fp-card' } });
    expect(store.refusals.get(A.id)).toMatchObject({ final: true });
  });

  it('keeps a refusal on the card: a lone RED approval without the name asks for it', async () => {
    const red = approval({ tier: 'RED', twoPerson: false, resourceName: 'db-01' });
    fakeApi({
      [approvePath]: { status: 403, body: envelope('TYPED_NAME_REQUIRED', 'type "db-01" to confirm a RED action') },
    });
    const store = useApprovalsStore();
    store.upsert(red);
    await expect(store.decide(red.id, 'approve')).resolves.toBe(false);
    expect(store.refusals.get(red.id)).toMatchObject({ askTypedName: true, final: false });
    expect(store.refusals.get(red.id)?.message).toContain('db-01');
    expect(store.pending).toHaveLength(1);
  });

  it('sends the typed name with a lone RED approval', async () => {
    const api = fakeApi({
      [approvePath]: {
        status: 200,
        body: {
          id: A.id,
          status: 'approved',
          decisions: [{ by: 'operator', at: 'x', verdict: 'approve' }],
          expiresAt: 'y',
        },
      },
    });
    const store = useApprovalsStore();
    store.upsert(approval({ tier: 'RED', twoPerson: false }));
    await store.decide(A.id, 'approve', { typedName: 'web-01' });
    expect(api.calls[0]?.body).toMatchObject({ typedName: 'web-01' });
  });

  it('says a RED request needs a second, different operator when the same one tries twice', async () => {
    fakeApi({
      [approvePath]: {
        status: 403,
        body: envelope('SAME_OPERATOR', 'a RED action needs a second, different operator'),
      },
    });
    const store = useApprovalsStore();
    store.upsert(approval({ tier: 'RED', twoPerson: true }));
    await store.decide(A.id, 'approve');
    expect(store.refusals.get(A.id)?.message).toMatch(/second, different operator/);
    expect(store.refusals.get(A.id)?.askTypedName).toBe(false);
  });

  it('marks a request decided elsewhere as final, and clears the refusal once the request moves on', async () => {
    fakeApi({
      [`POST /api/approvals/${A.id}/reject`]: {
        status: 409,
        body: envelope('NOT_PENDING', 'the request is already approved'),
      },
    });
    const store = useApprovalsStore();
    store.upsert(A);
    await store.decide(A.id, 'reject');
    expect(store.refusals.get(A.id)?.final).toBe(true);
    store.upsert(approval({ version: 2, state: 'approved' }));
    expect(store.refusals.has(A.id)).toBe(false);
  });

  it('walks the selection through the pending list, wrapping', () => {
    const store = useApprovalsStore();
    store.upsert(approval({ id: 'a', expiresAt: '2026-01-01T00:01:00.000Z' }));
    store.upsert(approval({ id: 'b', expiresAt: '2026-01-01T00:02:00.000Z' }));
    expect(store.step(1)?.id).toBe('a');
    expect(store.step(1)?.id).toBe('b');
    expect(store.step(1)?.id).toBe('a');
    expect(store.step(-1)?.id).toBe('b');
    store.reset();
    expect(store.step(1)).toBeUndefined();
  });
});

describe('refusal guidance', () => {
  const r = (code: string, status = 409) => describeRefusal({ status, code, message: `m-${code}` }, A);

  it('tells the operator what to do for every refusal the workflow can give', () => {
    expect(r('TYPED_NAME_REQUIRED', 403)).toMatchObject({ askTypedName: true, final: false });
    expect(r('SAME_OPERATOR', 403)).toMatchObject({ askTypedName: false, final: false });
    expect(r('EXPIRED')).toMatchObject({ final: true });
    expect(r('NOT_PENDING').message).toContain('m-NOT_PENDING');
    expect(r('WORKFLOW_CLOSED').final).toBe(true);
    expect(r('FINGERPRINT_MISMATCH').message).toMatch(/review it again/);
    expect(r('APPROVAL_MISMATCH')).toMatchObject({ final: true, message: expect.stringMatching(/earlier request/) });
    expect(r('BAD_REQUEST', 400)).toMatchObject({ final: false, message: 'Not sent: m-BAD_REQUEST' });
    expect(r('TEMPORAL_UNAVAILABLE', 503)).toMatchObject({ final: false });
    expect(r('SOMETHING_NEW', 500).message).toBe('m-SOMETHING_NEW');
  });

  it('asks for the typed name up front only for a RED request with one operator', () => {
    expect(needsTypedName({ tier: 'RED', twoPerson: false })).toBe(true);
    expect(needsTypedName({ tier: 'RED', twoPerson: true })).toBe(false);
    expect(needsTypedName({ tier: 'YELLOW', twoPerson: false })).toBe(false);
  });

  it('counts distinct approvers toward a two-person RED request', () => {
    const d = (by: string, verdict: 'approve' | 'reject' = 'approve') => ({ by, at: 'x', verdict });
    expect(confirmationProgress({ tier: 'RED', twoPerson: true, decisions: [] })).toEqual({ approvers: [], needed: 2 });
    expect(confirmationProgress({ tier: 'RED', twoPerson: true, decisions: [d('op'), d('op')] })).toEqual({
      approvers: ['op'],
      needed: 1,
    });
    expect(confirmationProgress({ tier: 'RED', twoPerson: true, decisions: [d('op'), d('two')] }).needed).toBe(0);
    expect(confirmationProgress({ tier: 'YELLOW', twoPerson: true, decisions: [d('x', 'reject')] }).needed).toBe(1);
  });
});
