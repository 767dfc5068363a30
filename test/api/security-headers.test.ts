import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '@jarvis/api';
import { apiForFile } from './api-harness';

/** Every answer of the API, whatever route or error made it, carries the browser security headers. */
// A stand-in for the built dashboard: an index and one asset.
const dist = mkdtempSync(join(tmpdir(), 'jarvis-web-'));
writeFileSync(join(dist, 'index.html'), '<!doctype html><title>JARVIS</title>');
mkdirSync(join(dist, 'assets'));
writeFileSync(join(dist, 'assets', 'app.js'), 'console.log("app")');
const file = apiForFile({ env: { WEB_DIST: dist } });

const EXPECTED = {
  'content-security-policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; media-src 'self' blob:; " +
    "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; " +
    // xterm.js's run-time <style> elements (see security-headers.ts); style attributes stay refused.
    "style-src-elem 'self' 'unsafe-inline'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
};

const headersOf = (res: Response) => Object.fromEntries(Object.keys(EXPECTED).map((h) => [h, res.headers.get(h)]));

describe('security headers', () => {
  it('exports the policy the issue asks for', () => {
    expect(CONTENT_SECURITY_POLICY).toBe(EXPECTED['content-security-policy']);
  });

  it.each<[string, string, RequestInit & { auth?: boolean }, number]>([
    ['the dashboard index', '/', {}, 200],
    ['a client-side route', '/approvals', {}, 200],
    ['an asset', '/assets/app.js', {}, 200],
    ['a missing asset', '/assets/missing.js', {}, 404],
    ['a JSON route', '/api/cluster', { auth: true }, 200],
    ['the public health route', '/api/health', {}, 200],
    ['a 401', '/api/cluster', {}, 401],
    ['a 404 API route', '/api/nope', { auth: true }, 404],
    [
      'a body the parser refuses',
      '/api/auth/login',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' },
      400,
    ],
    ['the OpenAPI document', '/api/docs-json', {}, 200],
    ["socket.io's polling handshake", '/socket.io/?EIO=4&transport=polling', {}, 200],
  ])('are on %s', async (_name, path, init, status) => {
    const { auth, ...rest } = init;
    const { api, token } = file;
    const res = await fetch(`${api.origin}${path}`, {
      ...rest,
      headers: { ...(rest.headers as Record<string, string>), ...(auth ? { authorization: `Bearer ${token}` } : {}) },
    });
    expect({ status: res.status, headers: headersOf(res) }).toEqual({ status, headers: EXPECTED });
  });

  it("allow inline style attributes only on Swagger UI's page, which is not ours, and keep it unframeable", async () => {
    const res = await fetch(`${file.api.origin}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(
      `${EXPECTED['content-security-policy']}; style-src-attr 'unsafe-inline'`,
    );
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });
});
