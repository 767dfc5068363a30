import { type Socket } from 'socket.io-client';
import { type ClusterState } from '@jarvis/activities';
import { type FeedItem, type GuestActionAccepted, type KillSwitchState, type Timeline } from '@jarvis/api';
import { ArchiveRepository, type ApprovalView, type ArchiveSummary } from '@jarvis/db';
import { type ApprovalSnapshot, type VmActionResult } from '@jarvis/workflows/api';
import { eventually, ledger, powerCalls, simControl } from '../support/vm-action.fixtures';
import { OPERATOR, SECOND } from '../support/stack';
import {
  expectEnvelope,
  handshake,
  pendingApproval,
  recordEvents,
  startApi,
  workflowResult,
  type ApiHarness,
} from './api-harness';

/**
 * The first durable action end to end, over HTTP and socket.io against the real stack: a YELLOW
 * stop waits for an approval, a second operator approves it, PVE stops the guest exactly once,
 * and the timeline, audit, feed and live socket all tell the same story.
 */
let api: ApiHarness;
let operator: string;
let second: string;
let live: Socket;
let events: ReturnType<typeof recordEvents>;

type Items<T> = { items: T[] };
type StepEvent = { workflowId: string; kind: string };

beforeAll(async () => {
  api = await startApi({ worker: true });
  operator = await api.login(OPERATOR.username, OPERATOR.password);
  second = await api.login(SECOND.username, SECOND.password);
  live = api.socket('/live', operator);
  events = recordEvents(live);
  expect(await handshake(live)).toEqual({ connected: true });
}, 60_000);
afterAll(() => api.close());

const as = (token: string) => ({
  get: <T>(path: string) => api.call<T>('GET', path, { token }),
  post: <T>(path: string, body: unknown = {}) => api.call<T>('POST', path, { token, body }),
  put: <T>(path: string, body: unknown) => api.call<T>('PUT', path, { token, body }),
});

const pendingFor = (workflowId: string): Promise<ApprovalView> => pendingApproval(api, operator, workflowId);
const resultOf = (workflowId: string): Promise<VmActionResult> => workflowResult(api, workflowId);

describe('a YELLOW stop approved by a second operator', () => {
  let workflowId: string;
  let approval: ApprovalView;

  it('shows the cluster over HTTP and on the socket', async () => {
    const cluster = await as(operator).get<ClusterState>('/api/cluster');
    expect(cluster.status).toBe(200);
    expect(cluster.json.nodes.length).toBeGreaterThanOrEqual(4);
    expect(cluster.json.guests.find((g) => g.vmid === 100)).toMatchObject({
      node: 'pve',
      status: 'running',
      type: 'qemu',
    });
    expect(cluster.json).toMatchObject({ quorum: { quorate: true }, stale: false, storage: expect.any(Array) });
    const pushed = await eventually(() => Promise.resolve(events.seen<ClusterState>('cluster')));
    expect(pushed.guests).toHaveLength(cluster.json.guests.length);
  });

  it('accepts the request with 202 and tier YELLOW', async () => {
    const res = await as(operator).post<GuestActionAccepted>('/api/guests/pve/100/actions', {
      action: 'stop',
      reason: 'maintenance window',
    });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({
      workflowId: expect.stringMatching(/^vm-action:pve:100:stop:[0-9A-HJKMNP-TV-Z]{26}$/),
      tier: 'YELLOW',
      state: expect.any(String),
    });
    expect(['evaluating', 'awaiting-approval']).toContain(res.json.state);
    workflowId = res.json.workflowId;
  });

  it('lists the approval as pending, in the CONTRACT shape, and pushes it on /live', async () => {
    approval = await pendingFor(workflowId);
    expect(approval).toMatchObject({
      id: expect.any(String),
      state: 'pending',
      tier: 'YELLOW',
      action: 'stop',
      target: { node: 'pve', vmid: 100, type: 'qemu' },
      reason: 'maintenance window',
      requestedBy: { kind: 'operator', id: 'operator' },
      requestedAt: expect.any(String),
      expiresAt: expect.any(String),
      fingerprint: expect.any(String),
      blastRadius: { guests: [100], nodes: ['pve'] },
      decisions: [],
    });
    await eventually(() =>
      Promise.resolve(events.seen<ApprovalView>('approval', (a) => a.id === approval.id && a.state === 'pending')),
    );
  });

  it('refuses a decision without the fingerprint shown with 400, before it reaches the workflow', async () => {
    for (const body of [{}, { comment: 'go' }, { fingerprint: '' }, { fingerprint: null }, { fingerprint: 7 }]) {
      for (const verdict of ['approve', 'reject']) {
        const res = await as(second).post(`/api/approvals/${approval.id}/${verdict}`, body);
        expectEnvelope(res, 400, 'BAD_REQUEST');
        expect(res.json.error?.message).toMatch(/fingerprint/);
      }
    }
    const still = (await as(operator).get<Items<ApprovalView>>('/api/approvals?state=pending')).json.items;
    expect(still.find((a) => a.id === approval.id)).toMatchObject({ state: 'pending', decisions: [] });
  });

  it('refuses a decision for a different fingerprint with 409 and leaves no trace', async () => {
    const res = await as(second).post(`/api/approvals/${approval.id}/approve`, { fingerprint: 'f'.repeat(64) });
    expectEnvelope(res, 409, 'FINGERPRINT_MISMATCH');
    const still = (await as(operator).get<Items<ApprovalView>>('/api/approvals?state=pending')).json.items;
    expect(still.find((a) => a.id === approval.id)).toMatchObject({ state: 'pending', decisions: [] });
  });

  it('takes the approval of the second operator and stops the guest exactly once', async () => {
    // A slow PVE task keeps the workflow running, so a late second decision meets the validator.
    await simControl(api.stack, 'PUT', '/config', { taskMs: 1500 });
    const res = await as(second).post<ApprovalSnapshot>(`/api/approvals/${approval.id}/approve`, {
      comment: 'go ahead',
      confirm: true,
      fingerprint: approval.fingerprint,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: approval.id,
      status: 'approved',
      decisions: [{ by: 'second', verdict: 'approve', comment: 'go ahead' }],
    });
    expectEnvelope(
      await as(operator).post(`/api/approvals/${approval.id}/reject`, { fingerprint: approval.fingerprint }),
      409,
      'NOT_PENDING',
    );
    expect(await resultOf(workflowId)).toMatchObject({ outcome: 'done', tier: 'YELLOW', finalStatus: 'stopped' });
    await simControl(api.stack, 'PUT', '/config', { taskMs: 100 });
    expect(powerCalls(await ledger(api.stack), 100, 'stop')).toHaveLength(1);
    await eventually(async () => {
      const g = (await as(operator).get<ClusterState>('/api/cluster')).json.guests.find((x) => x.vmid === 100);
      return g?.status === 'stopped' ? g : undefined;
    });
  });

  it('refuses a decision on the request once its workflow has finished with 409', async () => {
    for (const verdict of ['approve', 'reject']) {
      expectEnvelope(
        await as(operator).post(`/api/approvals/${approval.id}/${verdict}`, { fingerprint: approval.fingerprint }),
        409,
        'WORKFLOW_CLOSED',
      );
    }
    const decided = (await as(operator).get<Items<ApprovalView>>('/api/approvals?state=decided')).json.items;
    expect(decided.find((a) => a.id === approval.id)).toMatchObject({
      state: 'approved',
      decisions: [{ by: 'second', verdict: 'approve' }],
    });
  });

  it('tells the story in the timeline: requested, tier, approved by second, the PVE task', async () => {
    const res = await as(operator).get<Timeline>(`/api/workflows/${workflowId}/timeline`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ workflowId, kind: 'vmActionWorkflow', status: 'COMPLETED', source: 'temporal' });
    const steps = res.json.steps;
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(steps.map((s) => s.kind)).toEqual(
      expect.arrayContaining(['requested', 'tier', 'waiting', 'approved', 'task', 'verified']),
    );
    expect(steps.find((s) => s.kind === 'approved')).toMatchObject({ by: 'second' });
    expect(steps.find((s) => s.kind === 'task')?.detail?.['upid']).toMatch(/^UPID:pve:/);
    expect(steps.every((s) => !Number.isNaN(Date.parse(s.at)))).toBe(true);
  });

  it('pushed the decision and the steps on /live as they happened', async () => {
    await eventually(() =>
      Promise.resolve(events.seen<ApprovalView>('approval', (a) => a.id === approval.id && a.state === 'approved')),
    );
    const steps = events.all<StepEvent>('step').filter((s) => s.workflowId === workflowId);
    expect(steps.map((s) => s.kind)).toEqual(expect.arrayContaining(['requested', 'approved', 'task']));
  });

  it('shows the steps in the activity feed, newest first', async () => {
    const feed = (await as(operator).get<Items<FeedItem>>('/api/feed?source=vm-action&limit=50')).json.items;
    const mine = feed.filter((i) => i.workflowId === workflowId);
    expect(mine.length).toBeGreaterThanOrEqual(4);
    expect(mine[0]).toMatchObject({ source: 'operator', family: 'vm-action', kind: 'verified' });
    const times = feed.map((i) => Date.parse(i.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('archives the run: listed in /audit, history exported, timeline served from the archive', async () => {
    const item = await eventually(async () => {
      const res = await as(operator).get<Items<ArchiveSummary>>('/api/audit?vmid=100&node=pve');
      return res.json.items.find((i) => i.workflowId === workflowId);
    }, 20_000);
    expect(item).toMatchObject({
      kind: 'vmActionWorkflow',
      status: 'COMPLETED',
      outcome: 'done',
      node: 'pve',
      vmid: 100,
      action: 'stop',
    });
    const blocked = (await as(operator).get<Items<ArchiveSummary>>('/api/audit?outcome=blocked')).json.items;
    expect(blocked.some((i) => i.workflowId === workflowId)).toBe(false);
    const history = await as(operator).get<{ events: unknown[] }>(`/api/audit/${workflowId}/history`);
    expect(history.status).toBe(200);
    expect(history.json.events.length).toBeGreaterThan(5);

    // A run Temporal no longer has (retention passed) exists only in the archive: store this
    // run's history under an ID Temporal never saw, and the timeline must come from there.
    const onlyArchived = `${workflowId}-archived`;
    await new ArchiveRepository(api.stack.pool).store({ ...item, workflowId: onlyArchived, history: history.json });
    const archived = await as(operator).get<Timeline>(`/api/workflows/${onlyArchived}/timeline`);
    expect(archived.json).toMatchObject({
      workflowId: onlyArchived,
      kind: 'vmActionWorkflow',
      status: 'COMPLETED',
      source: 'archive',
    });
    const fromTemporal = await as(operator).get<Timeline>(`/api/workflows/${workflowId}/timeline`);
    expect(archived.json.steps).toEqual(fromTemporal.json.steps);
  });
});

describe('other outcomes', () => {
  it("blocks stopping Jarvis's own VM with 403 POLICY_BLOCKED, records the refusal, and never calls PVE", async () => {
    const res = await as(operator).post('/api/guests/agent1/103/actions', { action: 'stop' });
    expectEnvelope(res, 403, 'POLICY_BLOCKED');
    const details = res.json.error?.details ?? {};
    expect(details).toEqual({
      tier: 'BLACK',
      workflowId: expect.stringMatching(/^vm-action:agent1:103:stop:/),
      reason: expect.stringContaining('protected'),
    });
    expect(await resultOf(details['workflowId'] as string)).toMatchObject({ outcome: 'blocked', tier: 'BLACK' });
    expect(powerCalls(await ledger(api.stack), 103, 'stop')).toHaveLength(0);
  });

  it('a rejection ends the workflow without touching the guest', async () => {
    const res = await as(operator).post<GuestActionAccepted>('/api/guests/agent1/104/actions', { action: 'shutdown' });
    expect(res.json).toMatchObject({ tier: 'YELLOW' });
    const approval = await pendingFor(res.json.workflowId);
    const rejected = await as(operator).post<ApprovalSnapshot>(`/api/approvals/${approval.id}/reject`, {
      fingerprint: approval.fingerprint,
      comment: 'not now',
    });
    expect(rejected.json).toMatchObject({
      status: 'rejected',
      decisions: [{ by: 'operator', verdict: 'reject', comment: 'not now' }],
    });
    expect(await resultOf(res.json.workflowId)).toMatchObject({ outcome: 'rejected' });
    expect(powerCalls(await ledger(api.stack), 104, 'shutdown')).toHaveLength(0);
  });

  it('records the kill switch with who engaged it, and audits each change', async () => {
    const before = await as(operator).get<{ killSwitch: KillSwitchState }>('/api/guardrails');
    expect(before.json.killSwitch).toMatchObject({ engaged: false });
    const engaged = await as(second).put<KillSwitchState>('/api/guardrails/kill-switch', { engaged: true });
    expect(engaged.status).toBe(200);
    // `applied` says whether a running guardian took the change (none runs in this suite's stack).
    expect(engaged.json).toMatchObject({ engaged: true, updatedBy: 'second', updatedAt: expect.any(String) });
    const after = await as(operator).get<{ killSwitch: KillSwitchState }>('/api/guardrails');
    expect(after.json.killSwitch).toMatchObject({ engaged: true, updatedBy: 'second' });
    await as(operator).put('/api/guardrails/kill-switch', { engaged: false });
    // Other test files share the database: look only at this test's changes, oldest first.
    const since = Date.parse(engaged.json.updatedAt ?? '');
    const feed = (await as(operator).get<Items<FeedItem>>('/api/feed?source=guardrails')).json.items;
    const mine = feed
      .filter((i) => Date.parse(i.at) >= since && ['operator', 'second'].includes(i.actor ?? ''))
      .reverse();
    expect(mine.map((i) => [i.kind, i.actor])).toEqual(
      expect.arrayContaining([
        ['kill-switch-engaged', 'second'],
        ['kill-switch-released', 'operator'],
      ]),
    );
    const order = mine.map((i) => i.kind);
    expect(order.indexOf('kill-switch-engaged')).toBeLessThan(order.lastIndexOf('kill-switch-released'));
  });
});
