import { OPERATOR } from '../support/stack';
import { expectEnvelope, startApi, type ApiHarness } from './api-harness';

/** GET /api/nodes/:node/rrd: the sparkline history, behind the same auth, validation and envelope as every route. */
let api: ApiHarness;
let token: string;

beforeAll(async () => {
  api = await startApi({ worker: false });
  token = await api.login(OPERATOR.username, OPERATOR.password);
});
afterAll(() => api.close());

interface Rrd {
  node: string;
  timeframe: string;
  items: Array<{ time: number } & Record<string, number>>;
}

describe('node RRD history', () => {
  it("returns a node's hour of samples, oldest first, with CPU and memory columns", async () => {
    const res = await api.call<Rrd>('GET', '/api/nodes/pve/rrd?timeframe=hour', { token });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ node: 'pve', timeframe: 'hour' });
    const { items } = res.json;
    // PVE keeps 70 rows per archive, one a minute for the hour view.
    expect(items).toHaveLength(70);
    const times = items.map((r) => r.time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[1]! - times[0]!).toBe(60);
    const sampled = items.filter((r) => r['cpu'] !== undefined);
    expect(sampled.length).toBeGreaterThan(60);
    for (const r of sampled) {
      expect(r['cpu']).toBeGreaterThanOrEqual(0);
      expect(r['cpu']).toBeLessThanOrEqual(1);
      expect(r['memused']).toBeLessThanOrEqual(r['memtotal']!);
    }
  });

  it('defaults to the hour view and accepts the other timeframes and MAX', async () => {
    const plain = await api.call<Rrd>('GET', '/api/nodes/home/rrd', { token });
    expect({ status: plain.status, timeframe: plain.json.timeframe }).toEqual({ status: 200, timeframe: 'hour' });
    const day = await api.call<Rrd>('GET', '/api/nodes/home/rrd?timeframe=day&cf=MAX', { token });
    expect(day.status).toBe(200);
    expect(day.json.items[1]!.time - day.json.items[0]!.time).toBe(1800);
  });

  it('needs a token', async () => {
    expectEnvelope(await api.call('GET', '/api/nodes/pve/rrd'), 401, 'UNAUTHORIZED');
  });

  it.each([
    ['an unknown timeframe', '/api/nodes/pve/rrd?timeframe=decade'],
    ['an unknown consolidation', '/api/nodes/pve/rrd?cf=MIN'],
    ['a traversal in the node', '/api/nodes/..%2Fetc/rrd'],
    ['a node with a trailing hyphen', '/api/nodes/pve-/rrd'],
  ])('refuses %s with 400', async (_name, path) => {
    expectEnvelope(await api.call('GET', path, { token }), 400, 'BAD_REQUEST');
  });

  it('answers an unknown node with a 404, not an upstream fault', async () => {
    expectEnvelope(await api.call('GET', '/api/nodes/nosuchnode/rrd', { token }), 404, 'NOT_FOUND');
  });

  it('is published in the OpenAPI document', async () => {
    const doc = await api.call<{ paths: Record<string, unknown> }>('GET', '/api/docs-json');
    expect(Object.keys(doc.json.paths)).toContain('/api/nodes/{node}/rrd');
  });
});
