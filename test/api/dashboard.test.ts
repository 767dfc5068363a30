import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApi, type ApiHarness } from './api-harness';

/** The built dashboard served by the API at `/`, with the SPA fallback, never shadowing /api or socket.io. */
let api: ApiHarness;
const dist = mkdtempSync(join(tmpdir(), 'jarvis-web-'));

beforeAll(async () => {
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>JARVIS</title>');
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(join(dist, '.env'), 'SECRET=1');
  api = await startApi({ worker: false, env: { WEB_DIST: dist } });
});
afterAll(() => api.close());

const get = async (path: string) => {
  const res = await fetch(`${api.origin}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
};

describe('the dashboard', () => {
  it('serves index.html at / and for client-side routes', async () => {
    for (const path of ['/', '/approvals', '/workflows/vm-action:pve:100:stop:X']) {
      const res = await get(path);
      expect({ path, status: res.status, html: res.text.includes('JARVIS') }).toEqual({
        path,
        status: 200,
        html: true,
      });
    }
  });

  it('serves assets with their type, and a missing asset is a 404 rather than the app', async () => {
    expect(await get('/assets/app.js')).toMatchObject({ status: 200, type: expect.stringContaining('javascript') });
    expect((await get('/assets/missing.js')).status).toBe(404);
  });

  it('never serves dotfiles or anything outside its folder', async () => {
    for (const path of ['/.env', '/..%2F..%2Fetc%2Fpasswd', '/assets/..%2F..%2F..%2Fetc%2Fhostname']) {
      const res = await get(path);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.text).not.toContain('SECRET');
      expect(res.text).not.toMatch(/root:|localhost/);
    }
  });

  it('leaves unknown API routes as JSON 404s and socket.io to socket.io', async () => {
    const res = await get('/api/not-a-route');
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const io = await get('/socket.io/?EIO=4&transport=polling');
    expect(io.status).toBe(200);
    expect(io.text).toContain('"sid"');
  });
});
