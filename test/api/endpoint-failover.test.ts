import { Agent, request } from 'undici';
import { type HealthReport } from '@jarvis/api';
import { OPERATOR, startStack } from '../support/stack';
import { startApi, type ApiHarness } from './api-harness';

/**
 * The API pointed at the simulator's per-node endpoints (the first node first, the cluster CA):
 * the node it talks to dies, and the dashboard's reads and /api/health go on through another node.
 */
let api: ApiHarness;
let control: Agent;
let token: string;

async function fault(body: unknown): Promise<void> {
  const res = await request(`${api.stack.sim.controlUrl}/faults`, {
    method: 'POST',
    dispatcher: control,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  await res.body.text();
  if (res.statusCode >= 300) throw new Error(`fault ${JSON.stringify(body)}: ${res.statusCode}`);
}

beforeAll(async () => {
  api = await startApi({ stack: await startStack({ worker: false, nodeEndpoints: true }) });
  control = new Agent({ connect: { ca: api.stack.sim.caPem } });
  token = await api.login(OPERATOR.username, OPERATOR.password);
});

afterAll(async () => {
  await fault({ kind: 'node-online', node: 'home' }).catch(() => undefined);
  await control.close();
  await api.close();
  await api.stack.close();
});

it('the node behind the API endpoint in use dies: the cluster is still read, and health says which endpoint serves', async () => {
  const healthy = await api.call<HealthReport>('GET', '/api/health', { token });
  expect(healthy.json.components['proxmox']).toMatchObject({ status: 'ok', detail: expect.stringContaining('(home)') });

  await fault({ kind: 'node-offline', node: 'home' });
  const cluster = await api.call<{ nodes: { name: string; status: string }[] }>('GET', '/api/cluster', { token });
  expect(cluster.status).toBe(200);
  expect(cluster.json.nodes.find((n) => n.name === 'home')?.status).toBe('offline');

  await new Promise((r) => setTimeout(r, 1_100)); // /api/health caches for a second
  const health = await api.call<HealthReport>('GET', '/api/health', { token });
  expect(health.status).toBe(200);
  expect(health.json.components['proxmox']?.status).toBe('degraded');
  expect(health.json.components['proxmox']?.detail).toMatch(
    /^using https:\/\/127\.0\.0\.1[2-4]:\d+\/api2\/json \(\w+\); 1 of 4 endpoints down$/,
  );
  expect(health.json.proxmoxEndpoints?.find((e) => e.node === 'home')).toMatchObject({ state: 'down' });
  expect(health.text).not.toContain(api.stack.sim.token.split('=')[1]);
});
