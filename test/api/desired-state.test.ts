import { type ClusterState } from '@jarvis/activities';
import { DesiredStateRepository, SettingsRepository, taskVisibilitySetting } from '@jarvis/db';
import { OPERATOR } from '../support/stack';
import { startApi, type ApiHarness } from './api-harness';

/**
 * The desired state on the API: guests carry `desired` from the Postgres projection (never from
 * worker code), and the guardrails and health views say when Jarvis cannot see other users' tasks.
 */
let api: ApiHarness;
let token: string;

beforeAll(async () => {
  api = await startApi({ worker: false });
  token = await api.login(OPERATOR.username, OPERATOR.password);
}, 60_000);
afterAll(() => api.close());

const get = <T>(path: string) => api.call<T>('GET', path, { token });

it('GET /api/cluster: each guest carries its desired state, a recorded wish over what it is now', async () => {
  const repo = new DesiredStateRepository(api.stack.pool);
  const at = new Date().toISOString();
  await repo.record({
    cluster: api.stack.cluster,
    vmid: 100,
    node: 'pve',
    desired: 'stopped',
    source: 'test',
    setAt: at,
  });
  await repo.record({
    cluster: api.stack.cluster,
    vmid: 107,
    node: 'pve',
    desired: 'running',
    source: 'test',
    setAt: at,
  });
  // Another cluster's wishes are not this cluster's.
  await repo.record({
    cluster: `${api.stack.cluster}-x`,
    vmid: 101,
    node: 'home',
    desired: 'stopped',
    source: 'test',
    setAt: at,
  });

  const res = await get<ClusterState>('/api/cluster');
  expect(res.status).toBe(200);
  const guest = (vmid: number) => res.json.guests.find((g) => g.vmid === vmid);
  expect(guest(100)).toMatchObject({ status: 'running', desired: 'stopped' });
  expect(guest(107)).toMatchObject({ status: 'stopped', desired: 'running' });
  expect(guest(101)).toMatchObject({ status: 'running', desired: 'running' });
  expect(guest(105)).toMatchObject({ status: 'stopped', desired: 'stopped' });
  // An HA guest's desired state is the HA manager's request state.
  expect(guest(102)).toMatchObject({ hastate: 'started', desired: 'running' });
  expect(guest(9000)).not.toHaveProperty('desired');
});

it('GET /api/guardrails and /api/health say why the crashed-VM runbook asks without Sys.Audit', async () => {
  const settings = new SettingsRepository(api.stack.pool);
  const key = taskVisibilitySetting(api.stack.cluster);
  await settings.set(
    key,
    { othersVisible: false, reason: 'the API token lacks Sys.Audit on /', checkedAt: new Date().toISOString() },
    'test',
  );

  type Guardrails = {
    taskVisibility: { othersVisible: boolean; reason: string } | null;
    runbooks: Array<{ class: string; heldAt?: { level: string; reason: string } }>;
  };
  const held = await get<Guardrails>('/api/guardrails');
  expect(held.status).toBe(200);
  expect(held.json.taskVisibility).toMatchObject({
    othersVisible: false,
    reason: expect.stringContaining('Sys.Audit'),
  });
  expect(held.json.runbooks.find((r) => r.class === 'vm-crashed')?.heldAt).toEqual({
    level: 'L2',
    reason: expect.stringContaining('Sys.Audit') as string,
  });
  expect(held.json.runbooks.filter((r) => r.heldAt)).toHaveLength(1);

  type Health = { components: Record<string, { status: string; detail?: string }> };
  const health = await get<Health>('/api/health');
  expect(health.json.components['proxmoxTasks']).toMatchObject({
    status: 'degraded',
    detail: expect.stringContaining('Sys.Audit'),
  });
  // Without a token: the status, never the reason.
  const open = await api.call<Health>('GET', '/api/health');
  expect(open.json.components['proxmoxTasks']).toEqual({ status: 'degraded', latencyMs: expect.any(Number) });
  expect(open.text).not.toContain('Sys.Audit');

  await settings.set(
    key,
    { othersVisible: true, reason: 'the API token has Sys.Audit on /', checkedAt: new Date().toISOString() },
    'test',
  );
  const clear = await get<Guardrails>('/api/guardrails');
  expect(clear.json.runbooks.find((r) => r.class === 'vm-crashed')).not.toHaveProperty('heldAt');
  // /api/health caches for a second.
  await new Promise((r) => setTimeout(r, 1_100));
  const ok = await api.call<{ components: Record<string, { status: string }> }>('GET', '/api/health');
  expect(ok.json.components['proxmoxTasks']).toMatchObject({ status: 'ok' });
});
