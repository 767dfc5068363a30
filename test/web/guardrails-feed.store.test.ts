import { createPinia, setActivePinia } from 'pinia';
import {
  auditQuery,
  feedSourceOf,
  NO_AUDIT_FILTER,
  useActivityStore,
  type AuditFilter,
} from '../../apps/web/src/stores/activity';
import { useGuardrailsStore, type GuardrailsView } from '../../apps/web/src/stores/guardrails';
import { useTimelineStore } from '../../apps/web/src/stores/timeline';
import { envelope, fakeApi } from './support/fake-api';

beforeEach(() => setActivePinia(createPinia()));

const VIEW: GuardrailsView = {
  killSwitch: { engaged: false },
  limits: { maxAttemptsPerIncident: 3 },
  runbooks: [
    {
      class: 'vm-crashed',
      autonomy: 'L3',
      defaultAutonomy: 'L3',
      actionTool: 'guest.start',
      tier: 'YELLOW',
      steps: ['restart', 'verify'],
    },
    {
      class: 'disk-high',
      autonomy: 'L2',
      defaultAutonomy: 'L2',
      actionTool: null,
      tier: 'GREEN',
      steps: ['alert', 'recommend'],
    },
  ],
};

describe('the guardrails store', () => {
  it('shows the kill switch as the API answered, never as it was asked', async () => {
    const api = fakeApi({
      'GET /api/guardrails': { status: 200, body: VIEW },
      'PUT /api/guardrails/kill-switch': { status: 200, body: { engaged: true, updatedBy: 'operator' } },
    });
    const store = useGuardrailsStore();
    await store.load();
    expect(store.view?.killSwitch.engaged).toBe(false);
    expect(await store.setKillSwitch(true)).toBe(true);
    expect(store.view?.killSwitch).toEqual({ engaged: true, updatedBy: 'operator' });
    expect(api.calls.at(-1)).toMatchObject({ method: 'PUT', body: { engaged: true }, authorization: 'Bearer tok' });
  });

  it('keeps the old state and reports the error when the switch cannot be set', async () => {
    fakeApi({
      'GET /api/guardrails': { status: 200, body: VIEW },
      'PUT /api/guardrails/kill-switch': { status: 503, body: envelope('UNAVAILABLE', 'the guardian is not running') },
    });
    const store = useGuardrailsStore();
    await store.load();
    expect(await store.setKillSwitch(true)).toBe(false);
    expect(store.view?.killSwitch.engaged).toBe(false);
    expect(store.error).toBe('the guardian is not running');
    expect(store.busy).toBe(false);
  });

  it("replaces only the changed runbook's autonomy level", async () => {
    fakeApi({
      'GET /api/guardrails': { status: 200, body: VIEW },
      'PUT /api/guardrails/autonomy/vm-crashed': { status: 200, body: { ...VIEW.runbooks[0], autonomy: 'L2' } },
    });
    const store = useGuardrailsStore();
    await store.load();
    expect(await store.setAutonomy('vm-crashed', 'L2')).toBe(true);
    expect(store.view?.runbooks.map((r) => [r.class, r.autonomy])).toEqual([
      ['vm-crashed', 'L2'],
      ['disk-high', 'L2'],
    ]);
  });
});

describe("the guardrails store: an incident's failures", () => {
  const KEY = 'remediate:node-down:agent';
  const attempt = { attemptId: 'attempt-1', at: '2026-12-03T16:00:00Z', outcome: 'failed', workflowId: KEY };
  const counting = {
    incidentKey: KEY,
    counted: 1,
    escalates: false,
    attempts: [{ ...attempt, counted: true, otherCluster: false }],
  };

  it('resets through the API, then shows what the guardian counts now', async () => {
    let reset = false;
    const api = fakeApi({
      'GET /api/guardrails': () => ({
        status: 200,
        body: {
          ...VIEW,
          failures: [
            reset
              ? {
                  ...counting,
                  counted: 0,
                  attempts: [
                    {
                      ...counting.attempts[0],
                      counted: false,
                      cleared: { kind: 'reset', at: attempt.at, by: 'operator' },
                    },
                  ],
                }
              : counting,
          ],
        },
      }),
      [`POST /api/guardrails/failures/${KEY}/reset`]: () => {
        reset = true;
        return { status: 200, body: { incidentKey: KEY, reset: 1, by: 'operator', at: attempt.at } };
      },
    });
    const store = useGuardrailsStore();
    await store.load();
    expect(store.view?.failures?.[0]?.counted).toBe(1);
    expect(await store.resetFailures(KEY, 'fixed the firmware')).toBe(true);
    expect(api.calls.find((c) => c.method === 'POST')).toMatchObject({ body: { reason: 'fixed the firmware' } });
    expect(store.view?.failures?.[0]).toMatchObject({ counted: 0 });
    expect(store.busy).toBe(false);
  });

  it('keeps the history and reports the error when the guardian cannot reset', async () => {
    fakeApi({
      'GET /api/guardrails': { status: 200, body: { ...VIEW, failures: [counting] } },
      [`POST /api/guardrails/failures/${KEY}/reset`]: {
        status: 503,
        body: envelope('TEMPORAL_UNAVAILABLE', 'the guardian is not running: there are no failures to reset'),
      },
    });
    const store = useGuardrailsStore();
    await store.load();
    expect(await store.resetFailures(KEY)).toBe(false);
    expect(store.error).toContain('the guardian is not running');
    expect(store.view?.failures?.[0]?.counted).toBe(1);
  });
});

describe('the activity feed filter', () => {
  const step = (workflowId: string, at: string) => ({ workflowId, kind: 'detected', title: 't', at });

  it.each([
    ['monitor:default', 'monitor'],
    ['remediate:vm-crashed:101', 'runbook'],
    ['guardian:default', 'runbook'],
    ['chat:s1:3', 'chat'],
    ['vm-action:pve:100:stop:01J', 'operator'],
    ['something-else:1', 'something-else'],
  ])('files %s under %s', (workflowId, source) => {
    expect(feedSourceOf(workflowId)).toBe(source);
  });

  it('asks the server for one source and drops live steps from the others', async () => {
    const api = fakeApi({ 'GET /api/feed?limit=100&source=runbook': { status: 200, body: { items: [] } } });
    const store = useActivityStore();
    await store.setSource('runbook');
    expect(api.calls.map((c) => c.path)).toEqual(['/api/feed?limit=100&source=runbook']);
    store.pushStep(step('vm-action:pve:100:stop:01J', '2026-01-01T00:00:00Z'));
    store.pushStep({ ...step('remediate:vm-crashed:101', '2026-01-01T00:00:01Z'), source: 'runbook' });
    expect(store.feed.map((f) => f.workflowId)).toEqual(['remediate:vm-crashed:101']);
    expect(store.feed[0]?.source).toBe('runbook');
  });
});

describe('the audit filters', () => {
  const f = (patch: Partial<AuditFilter>): AuditFilter => ({ ...NO_AUDIT_FILTER, ...patch });

  it('sends only what is set', () => {
    expect(auditQuery(NO_AUDIT_FILTER)).toBe('limit=50');
    expect(
      new URLSearchParams(auditQuery(f({ node: ' pve ', incidentClass: 'vm-crashed', outcome: 'resolved' }))),
    ).toEqual(new URLSearchParams({ limit: '50', node: 'pve', incidentClass: 'vm-crashed', outcome: 'resolved' }));
  });

  it('leaves out a guest that is not a VMID and a malformed date, and encodes the rest', () => {
    const q = new URLSearchParams(auditQuery(f({ guest: '101; drop', from: 'yesterday', node: 'a&b=c' })));
    expect(q.get('guest')).toBeNull();
    expect(q.get('from')).toBeNull();
    expect(q.get('node')).toBe('a&b=c');
    expect(new URLSearchParams(auditQuery(f({ guest: '101', from: '2026-11-01' }))).get('guest')).toBe('101');
    expect(new URLSearchParams(auditQuery(f({ from: '2026-11-01' }))).get('from')).toMatch(/^2026-1[01]-\d\dT/);
  });
});

describe('replay and export on the timeline', () => {
  const WF = 'remediate:vm-crashed:101';

  it('reports whether the replay reproduced, and forgets it when another workflow is selected', async () => {
    fakeApi({
      [`GET /api/workflows/${WF}/timeline`]: {
        status: 200,
        body: { workflowId: WF, kind: 'remediation', status: 'COMPLETED', steps: [] },
      },
      [`POST /api/audit/${WF}/replay`]: { status: 200, body: { reproduced: true } },
      'GET /api/workflows/other:1/timeline': { status: 404, body: envelope('NOT_FOUND', 'no') },
    });
    const store = useTimelineStore();
    await store.select(WF);
    await store.replaySelected();
    expect(store.replay).toEqual({ workflowId: WF, reproduced: true });
    await store.select('other:1');
    expect(store.replay).toBeNull();
  });

  it('shows a failed replay call as not reproduced, with the reason', async () => {
    fakeApi({
      [`GET /api/workflows/${WF}/timeline`]: {
        status: 200,
        body: { workflowId: WF, kind: 'remediation', status: 'COMPLETED', steps: [] },
      },
      [`POST /api/audit/${WF}/replay`]: { status: 404, body: envelope('NOT_FOUND', 'not archived yet') },
    });
    const store = useTimelineStore();
    await store.select(WF);
    await store.replaySelected();
    expect(store.replay).toEqual({ workflowId: WF, reproduced: false, detail: 'not archived yet' });
    expect(store.replaying).toBe(false);
  });
});
