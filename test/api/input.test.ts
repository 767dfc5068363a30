import { OPERATOR } from '../support/stack';
import { errorOf, expectEnvelope, startApi, type ApiHarness, type ApiResponse } from './api-harness';

/**
 * Hostile and malformed input with a valid token: always a 4xx in the error envelope, never a
 * 5xx, and never anything started. No worker runs here, so nothing could act anyway.
 */
let api: ApiHarness;
let token: string;

beforeAll(async () => {
  api = await startApi({ worker: false });
  token = await api.login(OPERATOR.username, OPERATOR.password);
});
afterAll(() => api.close());

const post = (path: string, body: unknown): Promise<ApiResponse> => api.call('POST', path, { token, body });
const get = (path: string): Promise<ApiResponse> => api.call('GET', path, { token });

function expect4xx(res: ApiResponse, status?: number): void {
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  if (status !== undefined) expect(res.status).toBe(status);
  expect(res.json?.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
}

describe('guest actions', () => {
  it.each([
    ['a non-numeric vmid', '/api/guests/pve/abc/actions'],
    ['a vmid below 100', '/api/guests/pve/99/actions'],
    ['a vmid above 999999999', '/api/guests/pve/1000000000/actions'],
    ['a hex vmid', '/api/guests/pve/0x64/actions'],
    ['an exponent vmid', '/api/guests/pve/1e3/actions'],
    ['a fractional vmid', '/api/guests/pve/100.5/actions'],
    ['SQL in the node', "/api/guests/pve'%20OR%201=1/100/actions"],
    ['a traversal in the node', '/api/guests/..%2F..%2Fetc/100/actions'],
    ['a node name too long', `/api/guests/${'a'.repeat(64)}/100/actions`],
    ['a node with a trailing hyphen', '/api/guests/pve-/100/actions'],
    ['a unicode look-alike node', '/api/guests/p%D0%B5e/100/actions'],
  ])('refuses %s with 400', async (_name, path) => {
    const res = await post(path, { action: 'stop' });
    expectEnvelope(res, 400, 'BAD_REQUEST');
  });

  it.each([
    ['an unknown action', { action: 'format-disk' }],
    ['no action', {}],
    ['an action of the wrong type', { action: ['stop'] }],
    ['a reason over 500 characters', { action: 'stop', reason: 'x'.repeat(501) }],
    ['a numeric reason', { action: 'stop', reason: 5 }],
  ])('refuses %s with 400 and names the problem', async (_name, body) => {
    const res = await post('/api/guests/pve/100/actions', body);
    expectEnvelope(res, 400, 'BAD_REQUEST');
    expect(errorOf(res).details?.['errors']).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it.each([
    ['malformed JSON', '{not json'],
    ['a JSON string', '"stop"'],
    ['a JSON array', '[{"action":"stop"}]'],
    ['a JSON null', 'null'],
    ['an empty body', ''],
  ])('refuses %s with 400', async (_name, rawBody) => {
    expect4xx(await api.call('POST', '/api/guests/pve/100/actions', { token, rawBody }), 400);
  });

  it('refuses a body over 256 KiB with 413 in the envelope, before any handler runs', async () => {
    const big = await post('/api/guests/pve/100/actions', { action: 'stop', reason: 'x'.repeat(300 * 1024) });
    expectEnvelope(big, 413, 'PAYLOAD_TOO_LARGE');
    const huge = await post('/api/guests/pve/100/actions', { action: 'stop', reason: 'x'.repeat(5_000_000) });
    expect(huge.status).toBe(413);
  });

  it('ignores a JSON body sent as text/plain rather than guessing (400, nothing started)', async () => {
    const res = await api.call('POST', '/api/guests/pve/100/actions', {
      token,
      rawBody: '{"action":"stop"}',
      contentType: 'text/plain',
    });
    expectEnvelope(res, 400, 'BAD_REQUEST');
  });

  it('strips unknown and prototype-polluting keys and still judges the guest (404 for one that does not exist)', async () => {
    const res = await api.call('POST', '/api/guests/pve/999/actions', {
      token,
      rawBody: '{"action":"stop","__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},"extra":1}',
    });
    expectEnvelope(res, 404, 'GUEST_NOT_FOUND');
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
  });

  it('answers an unknown guest with 404 GUEST_NOT_FOUND and a guest on another node with where it is', async () => {
    expectEnvelope(await post('/api/guests/pve/999999/actions', { action: 'stop' }), 404, 'GUEST_NOT_FOUND');
    const elsewhere = await post('/api/guests/home/100/actions', { action: 'stop' });
    expectEnvelope(elsewhere, 404, 'GUEST_NOT_FOUND');
    expect(errorOf(elsewhere).details).toMatchObject({ node: 'home', vmid: 100, actualNode: 'pve' });
  });
});

describe('approvals, timelines and audit', () => {
  it('refuses hostile approval IDs with 400 and an unknown one with 404', async () => {
    const shown = { fingerprint: 'f'.repeat(64) };
    expectEnvelope(await post('/api/approvals/does-not-exist/approve', shown), 404, 'APPROVAL_NOT_FOUND');
    expectEnvelope(await post('/api/approvals/does-not-exist/approve', {}), 400, 'BAD_REQUEST');
    expectEnvelope(await post('/api/approvals/a..b/reject', shown), 400, 'BAD_REQUEST');
    expectEnvelope(await post('/api/approvals/x%20y/approve', {}), 400, 'BAD_REQUEST');
    expectEnvelope(await post(`/api/approvals/${'a'.repeat(201)}/approve`, {}), 400, 'BAD_REQUEST');
    expectEnvelope(await post('/api/approvals/x/approve', { comment: 42 }), 400, 'BAD_REQUEST');
    expectEnvelope(await post('/api/approvals/x/approve', { confirm: 'yes' }), 400, 'BAD_REQUEST');
  });

  it('refuses a bad approvals filter', async () => {
    expectEnvelope(await get('/api/approvals?state=everything'), 400, 'BAD_REQUEST');
    expectEnvelope(await get('/api/approvals?state=pending&state=decided'), 400, 'BAD_REQUEST');
    expect((await get('/api/approvals?state=pending')).json).toEqual({ items: expect.any(Array) });
  });

  it('refuses traversal and junk in workflow IDs and answers an unknown one with 404', async () => {
    expectEnvelope(await get('/api/workflows/..%2F..%2Fetc%2Fpasswd/timeline'), 400, 'BAD_REQUEST');
    expectEnvelope(await get('/api/workflows/a%00b/timeline'), 400, 'BAD_REQUEST');
    expect4xx(await get('/api/workflows/%E0%A4%A/timeline'), 400);
    expectEnvelope(await get('/api/workflows/vm-action:pve:100:stop:NOPE/timeline'), 404, 'WORKFLOW_NOT_FOUND');
    expectEnvelope(await get('/api/audit/vm-action:pve:100:stop:NOPE/history'), 404, 'HISTORY_NOT_FOUND');
    expectEnvelope(await get('/api/audit/..%2Fsecrets/history'), 400, 'BAD_REQUEST');
  });

  it.each([
    'vmid=abc',
    'vmid=12',
    'node=pve%27--',
    'kind=a%20b',
    'outcome=DROP%20TABLE',
    'from=yesterday',
    'to=2024-13-45',
    'limit=0',
    'limit=501',
    'limit=-1',
    'from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z',
  ])('refuses the audit filter %s with 400', async (query) => {
    expectEnvelope(await get(`/api/audit?${query}`), 400, 'BAD_REQUEST');
  });

  it('accepts valid audit and feed filters', async () => {
    const audit = await get(
      '/api/audit?node=pve&vmid=100&kind=vmActionWorkflow&outcome=done&from=2020-01-01T00:00:00Z&limit=5',
    );
    expect(audit.status).toBe(200);
    expect(audit.json).toEqual({ items: expect.any(Array), total: expect.any(Number) });
    const feed = await get('/api/feed?source=vm-action&limit=10');
    expect(feed.status).toBe(200);
    expect(feed.json).toEqual({ items: expect.any(Array) });
  });

  it.each(['source=Bad!', 'limit=1000', 'limit=abc'])('refuses the feed filter %s with 400', async (query) => {
    expectEnvelope(await get(`/api/feed?${query}`), 400, 'BAD_REQUEST');
  });
});

describe('guardrails and routing', () => {
  it('refuses a kill-switch body without a boolean', async () => {
    for (const body of [{}, { engaged: 'yes' }, { engaged: 1 }, { engaged: null }]) {
      expectEnvelope(await api.call('PUT', '/api/guardrails/kill-switch', { token, body }), 400, 'BAD_REQUEST');
    }
  });

  it('answers unknown routes and methods with a 404 envelope', async () => {
    expectEnvelope(await get('/api/nope'), 404, 'NOT_FOUND');
    expectEnvelope(await api.call('DELETE', '/api/cluster', { token }), 404, 'NOT_FOUND');
    expectEnvelope(await get('/api/chat/sessions/x'), 404, 'NOT_FOUND');
  });

  it('serves the OpenAPI document and Swagger UI without a token', async () => {
    expect((await api.call<{ openapi: string }>('GET', '/api/docs-json')).json.openapi).toMatch(/^3\./);
    const ui = await api.call('GET', '/api/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });
});
