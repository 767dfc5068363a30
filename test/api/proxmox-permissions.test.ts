import { readTaskVisibility } from '@jarvis/activities';
import { SettingsRepository } from '@jarvis/db';
import { type PermissionReport } from '@jarvis/policies';
import { OPERATOR } from '../support/stack';
import { simControl } from '../support/vm-action.fixtures';
import { startApi, type ApiHarness } from './api-harness';

/**
 * The token self-check on the API, against the simulator's `/access/permissions`: what the token
 * can do, checked on demand and stored where the worker reads it; /api/health says it, with the
 * capabilities for an operator only.
 */
let api: ApiHarness;
let token: string;

beforeAll(async () => {
  api = await startApi({ worker: false });
  token = await api.login(OPERATOR.username, OPERATOR.password);
}, 60_000);
afterAll(async () => {
  await simControl(api.stack, 'PUT', '/config', { sysAudit: true }).catch(() => undefined);
  await api.close();
});

type Health = { components: Record<string, { status: string; detail?: string }> };
const statusOf = (r: PermissionReport, id: string) => r.capabilities.find((c) => c.id === id)?.status;

it('needs an operator, like every route', async () => {
  expect((await api.call('GET', '/api/proxmox/permissions')).status).toBe(401);
  expect((await api.call('POST', '/api/proxmox/permissions/check')).status).toBe(401);
  expect((await api.call('POST', '/api/proxmox/permissions/check', { token: 'not-a-token' })).status).toBe(401);
});

it('full token: every capability available; without Sys.Audit other users’ tasks are not, and the runbook cap follows', async () => {
  const full = await api.call<PermissionReport>('POST', '/api/proxmox/permissions/check', { token });
  expect(full.status).toBe(200);
  expect(full.json.tokenUser).toMatch(/^[^@]+@[^!]+![\w-]+$/);
  expect(full.json.capabilities.every((c) => c.status === 'available')).toBe(true);
  expect((await api.call<PermissionReport>('GET', '/api/proxmox/permissions', { token })).json).toEqual(full.json);

  await simControl(api.stack, 'PUT', '/config', { sysAudit: false });
  const { json: without } = await api.call<PermissionReport>('POST', '/api/proxmox/permissions/check', { token });
  expect(statusOf(without, 'tasks.others')).toBe('unavailable');
  expect(without.capabilities.find((c) => c.id === 'tasks.others')?.missing).toContainEqual({
    privilege: 'Sys.Audit',
    path: '/',
  });
  expect(statusOf(without, 'guest.power')).toBe('available');
  // One source of truth: the visibility the crashed-VM runbook is capped by is this check's.
  const visibility = await readTaskVisibility(new SettingsRepository(api.stack.pool), api.stack.cluster);
  expect(visibility).toMatchObject({ othersVisible: false, checkedAt: without.checkedAt });
  expect((await api.call<PermissionReport>('GET', '/api/proxmox/permissions', { token })).json).toEqual(without);

  // /api/health caches for a second.
  await new Promise((r) => setTimeout(r, 1_100));
  const health = await api.call<Health>('GET', '/api/health', { token });
  expect(health.json.components['proxmoxPermissions']).toMatchObject({
    status: 'degraded',
    detail: expect.stringContaining('tasks.others unavailable (needs Sys.Audit on /'),
  });
  const open = await api.call<Health>('GET', '/api/health');
  expect(open.json.components['proxmoxPermissions']).toEqual({ status: 'degraded', latencyMs: expect.any(Number) });
  expect(open.text).not.toContain('Sys.Audit');
  expect(open.text).not.toContain('tasks.others');

  await simControl(api.stack, 'PUT', '/config', { sysAudit: true });
  const { json: back } = await api.call<PermissionReport>('POST', '/api/proxmox/permissions/check', { token });
  expect(statusOf(back, 'tasks.others')).toBe('available');
  await new Promise((r) => setTimeout(r, 1_100));
  expect((await api.call<Health>('GET', '/api/health')).json.components['proxmoxPermissions']?.status).toBe('ok');
});

it('is in the OpenAPI document, behind bearer auth', async () => {
  const doc = await api.call<{ paths: Record<string, Record<string, { security?: unknown[] }>> }>(
    'GET',
    '/api/docs-json',
  );
  expect(doc.json.paths['/api/proxmox/permissions']?.['get']?.security).toEqual([{ bearer: [] }]);
  expect(doc.json.paths['/api/proxmox/permissions/check']?.['post']?.security).toEqual([{ bearer: [] }]);
});
