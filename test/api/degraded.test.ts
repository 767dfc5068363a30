import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { type Socket } from 'socket.io-client';
import { type ClusterState } from '@jarvis/activities';
import { type ClusterDiff, type GuestActionAccepted, type HealthReport } from '@jarvis/api';
import { AuditRepository } from '@jarvis/db';
import { eventually, ledger, powerCalls, simControl } from '../support/vm-action.fixtures';
import { OPERATOR } from '../support/stack';
import { errorOf, expectEnvelope, handshake, recordEvents, startApi, type ApiHarness } from './api-harness';

/**
 * When parts are missing or failing: an offline node, no worker, PVE unreachable, Temporal
 * down, Postgres down. The API stays up, says what is wrong in the envelope, and never 500s.
 */
let api: ApiHarness;
let token: string;

beforeAll(async () => {
  api = await startApi({ worker: true });
  token = await api.login(OPERATOR.username, OPERATOR.password);
}, 60_000);
afterAll(() => api.close());

describe('the event listener loses its Postgres connection', () => {
  it('reconnects and relays events again', async () => {
    const live = api.socket('/live', token);
    const events = recordEvents(live);
    expect(await handshake(live)).toEqual({ connected: true });
    const mine = `jarvis-api-events:${process.pid}`;
    const listeners = async (): Promise<number[]> =>
      (
        await api.stack.pool.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()',
          [mine],
        )
      ).rows.map((r) => r.pid);
    const [before] = await eventually(async () => ((await listeners()).length === 1 ? listeners() : undefined));
    await api.stack.pool.query('SELECT pg_terminate_backend($1)', [before]);
    const [after] = await eventually(async () => {
      const pids = await listeners();
      return pids.length === 1 && pids[0] !== before ? pids : undefined;
    }, 10_000);
    expect(after).not.toBe(before);
    // A listener connected but not yet LISTENing would miss an event; write probes until one arrives.
    const audit = new AuditRepository(api.stack.pool);
    const workflowId = `test:listener:${process.pid}:${Date.now()}`;
    let n = 0;
    const step = await eventually(
      async () => {
        await audit.record({
          workflowId,
          activityId: `probe-${++n}`,
          kind: 'probe',
          title: 'probe',
          at: new Date().toISOString(),
        });
        return events.seen<{ workflowId: string }>('step', (s) => s.workflowId === workflowId);
      },
      10_000,
      300,
    );
    expect(step).toMatchObject({ workflowId, kind: 'probe' });
    live.close();
  });
});

describe('a node goes offline', () => {
  let live: Socket;
  let events: ReturnType<typeof recordEvents>;

  afterAll(async () => {
    await simControl(api.stack, 'POST', '/faults', { kind: 'node-online', node: 'home' });
    await simControl(api.stack, 'DELETE', '/faults');
  });

  it('shows the node offline over HTTP and as a diff on /live', async () => {
    live = api.socket('/live', token);
    events = recordEvents(live);
    expect(await handshake(live)).toEqual({ connected: true });
    await eventually(() => Promise.resolve(events.seen<ClusterState>('cluster')));
    await simControl(api.stack, 'POST', '/faults', { kind: 'node-offline', node: 'home' });
    const node = await eventually(async () => {
      const cluster = await api.call<ClusterState>('GET', '/api/cluster', { token });
      const home = cluster.json.nodes.find((x) => x.name === 'home');
      return home?.status === 'offline' ? home : undefined;
    });
    expect(node).toMatchObject({ name: 'home', status: 'offline', temperature: null });
    const offline = (d: ClusterDiff): boolean =>
      d.nodes.changed.some((n) => n.name === 'home' && n.status === 'offline');
    const diff = await eventually(() => Promise.resolve(events.seen<ClusterDiff>('cluster.diff', offline)), 10_000);
    expect(diff).toMatchObject({ updatedAt: expect.any(String), nodes: { removed: [] } });
    expect(diff.guests.changed.filter((g) => g.node === 'home').every((g) => g.status === 'unknown')).toBe(true);
  });

  it('answers an action on a guest of the offline node with 409 NODE_OFFLINE, not a 5xx, and calls nothing', async () => {
    const res = await api.call('POST', '/api/guests/home/101/actions', { token, body: { action: 'stop' } });
    expectEnvelope(res, 409, 'NODE_OFFLINE');
    expect(errorOf(res).message).toContain('home');
    expect(powerCalls(await ledger(api.stack), 101, 'stop')).toHaveLength(0);
  });

  it('answers cluster.sync with the full state', async () => {
    const full = new Promise<ClusterState>((resolve) => live.once('cluster', resolve));
    live.emit('cluster.sync');
    expect((await full).nodes.find((n) => n.name === 'home')?.status).toBe('offline');
  });
});

describe('no worker is polling', () => {
  let lonely: ApiHarness;
  let lonelyToken: string;

  beforeAll(async () => {
    lonely = await startApi({ worker: false });
    lonelyToken = await lonely.login(OPERATOR.username, OPERATOR.password);
  });
  afterAll(() => lonely.close());

  it("queues a YELLOW request and answers 202 with the API's own tier", async () => {
    const started = Date.now();
    const res = await lonely.call<GuestActionAccepted>('POST', '/api/guests/pve/100/actions', {
      token: lonelyToken,
      body: { action: 'reboot' },
    });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({
      workflowId: expect.stringMatching(/^vm-action:pve:100:reboot:/),
      tier: 'YELLOW',
      state: 'queued',
    });
    expect(Date.now() - started).toBeLessThan(6000);
    const description = await lonely.stack.client.workflow.getHandle(res.json.workflowId).describe();
    expect(description.status.name).toBe('RUNNING');
    const kind = defineSearchAttributeKey('JarvisKind', SearchAttributeType.KEYWORD);
    expect(description.typedSearchAttributes.get(kind)).toBe('vm-action');
  });

  it('still refuses a protected guest with 403 POLICY_BLOCKED and the workflow that will record it', async () => {
    const res = await lonely.call('POST', '/api/guests/agent1/103/actions', {
      token: lonelyToken,
      body: { action: 'shutdown' },
    });
    expectEnvelope(res, 403, 'POLICY_BLOCKED');
    expect(errorOf(res).details).toMatchObject({
      tier: 'BLACK',
      workflowId: expect.stringMatching(/^vm-action:agent1:103:shutdown:/),
    });
  });
});

describe('upstreams down', () => {
  it('PVE unreachable with nothing cached: 502 with the reason; health degraded; /live reports it', async () => {
    const h = await startApi({ stack: api.stack, env: { PVE_URL: 'https://127.0.0.1:1/api2/json' } });
    try {
      const t = await h.login(OPERATOR.username, OPERATOR.password);
      const cluster = await h.call('GET', '/api/cluster', { token: t });
      expectEnvelope(cluster, 502, 'PROXMOX_UNREACHABLE');
      expect(errorOf(cluster).details).toMatchObject({ proxmoxCode: expect.any(String) });
      const action = await h.call('POST', '/api/guests/pve/100/actions', { token: t, body: { action: 'stop' } });
      expectEnvelope(action, 502, 'PROXMOX_UNREACHABLE');
      const health = await h.call<HealthReport>('GET', '/api/health');
      expect(health.status).toBe(200);
      expect(health.json).toMatchObject({
        status: 'degraded',
        components: { proxmox: { status: 'down' }, temporal: { status: 'ok' } },
      });
      const socket = h.socket('/live', t);
      const error = await new Promise<unknown>((resolve) => socket.once('cluster.error', resolve));
      expect(error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    } finally {
      await h.close();
    }
  });

  it('Temporal unreachable: the API starts, health is down (503), actions are a 503, Postgres reads work', async () => {
    const h = await startApi({ stack: api.stack, env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    try {
      const t = await h.login(OPERATOR.username, OPERATOR.password);
      const health = await h.call<HealthReport>('GET', '/api/health');
      expect(health.status).toBe(503);
      expect(health.json).toMatchObject({
        status: 'down',
        components: { temporal: { status: 'down' }, database: { status: 'ok' } },
      });
      const action = await h.call('POST', '/api/guests/pve/100/actions', { token: t, body: { action: 'stop' } });
      expectEnvelope(action, 503, 'TEMPORAL_UNAVAILABLE');
      const timeline = await h.call('GET', '/api/workflows/vm-action:pve:1:stop:X/timeline', { token: t });
      expectEnvelope(timeline, 503, 'TEMPORAL_UNAVAILABLE');
      const decision = await h.call('POST', '/api/approvals/x/approve', {
        token: t,
        body: { fingerprint: 'f'.repeat(64) },
      });
      expectEnvelope(decision, 404, 'APPROVAL_NOT_FOUND');
      expect((await h.call('GET', '/api/approvals', { token: t })).status).toBe(200);
    } finally {
      await h.close();
    }
  }, 30_000);

  it('Postgres unreachable: the API starts, health is down (503), database reads are a 503, login works', async () => {
    const h = await startApi({ stack: api.stack, env: { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/jarvis' } });
    try {
      const t = await h.login(OPERATOR.username, OPERATOR.password);
      const health = await h.call<HealthReport>('GET', '/api/health');
      expect(health.status).toBe(503);
      expect(health.json.components['database']?.status).toBe('down');
      expectEnvelope(await h.call('GET', '/api/approvals', { token: t }), 503, 'DATABASE_UNAVAILABLE');
      expectEnvelope(await h.call('GET', '/api/feed', { token: t }), 503, 'DATABASE_UNAVAILABLE');
      expect((await h.call('GET', '/api/cluster', { token: t })).status).toBe(200);
    } finally {
      await h.close();
    }
  }, 30_000);
});
