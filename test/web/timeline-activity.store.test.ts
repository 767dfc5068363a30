import { createPinia, setActivePinia } from 'pinia';
import { type Timeline } from '../../apps/web/src/lib/api-types';
import { describeWorkflowId, stepView, timelineDone, timelineSpanMs } from '../../apps/web/src/lib/timeline-view';
import { FEED_LIMIT, useActivityStore } from '../../apps/web/src/stores/activity';
import { useTimelineStore } from '../../apps/web/src/stores/timeline';
import { fakeApi, type FakeReply } from './support/fake-api';

beforeEach(() => setActivePinia(createPinia()));

const WF = 'vm-action:pve:100:stop:01J';
const steps = [
  {
    at: '2026-01-01T00:00:00.000Z',
    kind: 'requested',
    title: 'operator asked to stop guest 100 on pve',
    by: 'operator',
    durationMs: 40,
  },
  { at: '2026-01-01T00:00:00.040Z', kind: 'tier', title: 'Policy: YELLOW', durationMs: 10 },
  { at: '2026-01-01T00:00:00.050Z', kind: 'waiting', title: 'Waiting for an approval', durationMs: 5000 },
  { at: '2026-01-01T00:00:05.050Z', kind: 'approved', title: 'approved by second', by: 'second', durationMs: 30 },
  {
    at: '2026-01-01T00:00:05.080Z',
    kind: 'task',
    title: 'Proxmox task started',
    detail: { upid: 'UPID:pve:00001234:0000ABCD:6777A0B1:qmstop:100:jarvis@pve!t:' },
    durationMs: 900,
  },
  { at: '2026-01-01T00:00:05.980Z', kind: 'verified', title: 'Verified: guest is stopped' },
];

/** A deferred answer, so a test can hold a request open while more events arrive. */
function deferred() {
  let resolve!: (r: FakeReply) => void;
  const promise = new Promise<FakeReply>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the timeline store', () => {
  it('fetches the selected workflow and shows its steps', async () => {
    const body: Timeline = { workflowId: WF, kind: 'vmActionWorkflow', status: 'COMPLETED', steps };
    fakeApi({ [`GET /api/workflows/${WF}/timeline`]: { status: 200, body } });
    const store = useTimelineStore();
    await store.select(WF);
    expect(store.timeline?.steps).toHaveLength(6);
    expect(store.loading).toBe(false);
  });

  it('coalesces a burst of step events into one follow-up fetch, and ends with the newest answer', async () => {
    const answers = [deferred(), deferred()];
    let n = 0;
    const api = fakeApi({ [`GET /api/workflows/${WF}/timeline`]: () => answers[n++]!.promise });
    const store = useTimelineStore();
    const first = store.select(WF);
    void store.onWorkflowEvent(WF);
    void store.onWorkflowEvent(WF);
    void store.onWorkflowEvent('vm-action:other');
    answers[0]!.resolve({
      status: 200,
      body: { workflowId: WF, kind: 'k', status: 'RUNNING', steps: steps.slice(0, 3) },
    });
    await new Promise((r) => setTimeout(r, 0));
    answers[1]!.resolve({ status: 200, body: { workflowId: WF, kind: 'k', status: 'COMPLETED', steps } });
    await first;
    expect(api.calls).toHaveLength(2);
    expect(store.timeline?.status).toBe('COMPLETED');
  });

  it('drops an answer for a workflow that is no longer selected', async () => {
    const slow = deferred();
    fakeApi({
      [`GET /api/workflows/${WF}/timeline`]: () => slow.promise,
      'GET /api/workflows/other/timeline': {
        status: 200,
        body: { workflowId: 'other', kind: 'k', status: 'RUNNING', steps: [] },
      },
    });
    const store = useTimelineStore();
    const first = store.select(WF);
    await store.select('other');
    slow.resolve({ status: 200, body: { workflowId: WF, kind: 'k', status: 'COMPLETED', steps } });
    await first;
    expect(store.timeline?.workflowId).toBe('other');
  });

  it('says "starting" while a just-requested workflow is not visible yet', async () => {
    fakeApi({});
    const store = useTimelineStore();
    await store.select(WF);
    expect(store.error).toBe('Starting…');
  });
});

describe('timeline presentation', () => {
  it('labels each domain step, tones it, and lifts the UPID of the Proxmox task', () => {
    const views = steps.map(stepView);
    expect(views.map((v) => v.label)).toEqual(['Requested', 'Tier', 'Waiting', 'Approved', 'Proxmox task', 'Verified']);
    expect(views.map((v) => v.tone)).toEqual(['info', 'info', 'wait', 'ok', 'info', 'ok']);
    expect(views[0]?.by).toBe('operator');
    // "approved by second" already says who: no "· by second" after it.
    expect(views[3]?.by).toBeUndefined();
    expect(views[4]?.upid).toMatch(/^UPID:pve:/);
    expect(stepView({ at: 'x', kind: 'some-new-kind', title: 't' }, 0).label).toBe('some new kind');
  });

  it('knows when the story is over and how long it took', () => {
    expect(timelineDone({ status: 'RUNNING' })).toBe(false);
    expect(timelineDone({ status: 'COMPLETED' })).toBe(true);
    expect(timelineSpanMs(steps)).toBe(5980);
    expect(timelineSpanMs([])).toBeUndefined();
    expect(describeWorkflowId(WF)).toBe('stop 100 on pve');
    expect(describeWorkflowId('remediate:vm-crashed:101')).toBe('remediate:vm-crashed:101');
  });
});

describe('the activity feed', () => {
  it('loads the feed, then puts live steps on top, once each', async () => {
    fakeApi({
      [`GET /api/feed?limit=${FEED_LIMIT}`]: {
        status: 200,
        body: {
          items: [{ id: 1, at: steps[0]!.at, source: 'vm-action', workflowId: WF, kind: 'requested', title: 't' }],
        },
      },
    });
    const activity = useActivityStore();
    await activity.loadFeed();
    activity.pushStep({ workflowId: WF, kind: 'tier', title: 'Policy: YELLOW', at: steps[1]!.at });
    activity.pushStep({ workflowId: WF, kind: 'tier', title: 'Policy: YELLOW', at: steps[1]!.at });
    expect(activity.feed.map((f) => f.kind)).toEqual(['tier', 'requested']);
    expect(activity.feed[0]?.source).toBe('operator');
  });

  it('stays capped however long the display runs', () => {
    const activity = useActivityStore();
    for (let i = 0; i < FEED_LIMIT * 3; i++)
      activity.pushStep({ workflowId: `w:${i}`, kind: 'tier', title: 't', at: new Date(i).toISOString() });
    expect(activity.feed).toHaveLength(FEED_LIMIT);
    expect(activity.feed[0]?.workflowId).toBe(`w:${FEED_LIMIT * 3 - 1}`);
  });

  it('loads the audit list with its total', async () => {
    fakeApi({
      'GET /api/audit?limit=50': {
        status: 200,
        body: {
          items: [{ workflowId: WF, kind: 'vmActionWorkflow', status: 'COMPLETED', outcome: 'rejected' }],
          total: 7,
        },
      },
    });
    const activity = useActivityStore();
    await activity.loadAudit();
    expect(activity.audit[0]?.outcome).toBe('rejected');
    expect(activity.auditTotal).toBe(7);
  });
});
