import { OPERATOR, SECOND } from '../support/stack';
import { type HealthReport, type LoginResult } from '@jarvis/api';
import {
  errorOf,
  expectEnvelope,
  handshake,
  signToken,
  startApi,
  type ApiHarness,
  type ApiResponse,
} from './api-harness';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { security?: Array<Record<string, unknown>> }>>;
}

/**
 * Authentication over real HTTP and socket.io: login, the login rate limit, and every route
 * in the OpenAPI document refusing missing, forged, alg-none, re-signed and expired tokens.
 */
let api: ApiHarness;
let token: string;
let secret: string;

beforeAll(async () => {
  api = await startApi({ worker: false });
  secret = api.stack.env['JWT_SECRET']!;
  token = await api.login(OPERATOR.username, OPERATOR.password);
});
afterAll(() => api.close());

const now = (): number => Math.floor(Date.now() / 1000);

describe('POST /api/auth/login', () => {
  it('returns an HS256 token and its expiry for the right password', async () => {
    const res = await api.call<LoginResult>('POST', '/api/auth/login', {
      body: { username: OPERATOR.username, password: OPERATOR.password },
    });
    expect(res.status).toBe(200);
    const [header, payload] = res.json.token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, number>) as [
      unknown,
      Record<string, number>,
    ];
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ sub: 'operator', exp: expect.any(Number), iat: expect.any(Number) });
    expect(Date.parse(res.json.expiresAt)).toBe(payload['exp']! * 1000);
    expect(Date.parse(res.json.expiresAt)).toBeGreaterThan(Date.now());
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses a wrong password and an unknown user alike, with 401 and the envelope', async () => {
    const wrong = await api.call('POST', '/api/auth/login', {
      body: { username: OPERATOR.username, password: 'not-the-password' },
    });
    const unknown = await api.call('POST', '/api/auth/login', {
      body: { username: 'nobody', password: 'whatever-pass' },
    });
    expectEnvelope(wrong, 401, 'UNAUTHORIZED');
    expectEnvelope(unknown, 401, 'UNAUTHORIZED');
    expect(errorOf(unknown).message).toBe(errorOf(wrong).message);
    expect(wrong.text).not.toContain('not-the-password');
  });

  it('answers a missing or mistyped field with 400, not 401 or 500', async () => {
    expectEnvelope(await api.call('POST', '/api/auth/login', { body: { username: 'operator' } }), 400, 'BAD_REQUEST');
    expectEnvelope(
      await api.call('POST', '/api/auth/login', { body: { username: 1, password: ['x'] } }),
      400,
      'BAD_REQUEST',
    );
    const malformed = await api.call('POST', '/api/auth/login', {
      rawBody: '{"username":"operator","password":"secret-in-broken-json',
    });
    expectEnvelope(malformed, 400, 'BAD_REQUEST');
    expect(malformed.text).not.toContain('secret-in-broken-json');
  });

  it('limits failed attempts per user with 429 and Retry-After, even for the right password', async () => {
    const statuses: number[] = [];
    let limited: ApiResponse | undefined;
    for (let i = 0; i < 30; i++) {
      const res = await api.call('POST', '/api/auth/login', {
        body: { username: SECOND.username, password: `wrong-${i}` },
      });
      statuses.push(res.status);
      if (res.status === 429) {
        limited = res;
        break;
      }
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    if (!limited) throw new Error(`30 wrong logins never got 429: ${statuses.join(',')}`);
    expectEnvelope(limited, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(300);
    // Locked out means locked out: a correct guess now must not be distinguishable.
    expect((await api.call('POST', '/api/auth/login', { body: SECOND })).status).toBe(429);
    // Another operator from the same address is not locked out, and successes are never counted.
    for (let i = 0; i < 8; i++)
      expect((await api.call('POST', '/api/auth/login', { body: OPERATOR })).status).toBe(200);
  });
});

describe('bearer tokens on every protected route of the OpenAPI document', () => {
  let routes: Array<{ method: string; path: string }>;

  beforeAll(async () => {
    const doc = await api.call<OpenApiDoc>('GET', '/api/docs-json');
    expect(doc.status).toBe(200);
    routes = Object.entries(doc.json.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
        .map((method) => ({ method: method.toUpperCase(), path })),
    );
  });

  it('documents the implemented routes and nothing that is not there yet', () => {
    const names = routes.map((r) => `${r.method} ${r.path}`).sort();
    expect(names).toEqual(
      [
        'GET /api/health',
        'POST /api/auth/login',
        'POST /api/auth/refresh',
        'POST /api/auth/logout',
        'POST /api/auth/logout-all',
        'GET /api/cluster',
        'POST /api/guests/{node}/{vmid}/actions',
        'GET /api/approvals',
        'POST /api/approvals/{id}/approve',
        'POST /api/approvals/{id}/reject',
        'GET /api/workflows/{workflowId}/timeline',
        'GET /api/audit',
        'GET /api/audit/{workflowId}/history',
        'POST /api/audit/{workflowId}/replay',
        'GET /api/feed',
        'GET /api/nodes/{node}/rrd',
        'GET /api/guardrails',
        'PUT /api/guardrails/kill-switch',
        'PUT /api/guardrails/autonomy/{incidentClass}',
        'POST /api/guardrails/failures/{incidentKey}/reset',
        'GET /api/incidents',
        'POST /api/chat/sessions',
        'GET /api/chat/sessions/{id}',
        'POST /api/chat/sessions/{id}/messages',
        'GET /api/costs',
        'POST /api/terminal/tickets',
        'GET /api/terminal/recordings',
        'GET /api/terminal/recordings/{id}',
        'GET /api/proxmox/permissions',
        'POST /api/proxmox/permissions/check',
      ].sort(),
    );
  });

  it('marks every protected operation with bearer security, refresh with its cookie, and leaves health and login open', async () => {
    const doc = (await api.call<OpenApiDoc>('GET', '/api/docs-json')).json;
    for (const { method, path } of routes) {
      const op = doc.paths[path]?.[method.toLowerCase()];
      const open = path === '/api/health' || path === '/api/auth/login';
      const cookie = path === '/api/auth/refresh';
      expect({
        route: `${method} ${path}`,
        secured: Boolean(op?.security?.some((s) => 'bearer' in s)),
        cookie: Boolean(op?.security?.some((s) => 'jarvis_refresh' in s)),
      }).toEqual({
        route: `${method} ${path}`,
        secured: !open && !cookie,
        cookie,
      });
    }
  });

  it('refuses missing, garbage, alg-none, bad-signature, expired, wrong-key, wrong-alg, unknown-user and sessionless tokens with 401', async () => {
    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const sid = payload.sid as string;
    const auth_time = payload.auth_time as number;
    const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
    const forged: Record<string, string | undefined> = {
      none: undefined,
      garbage: 'Bearer abc.def.ghi',
      notBearer: `Basic ${Buffer.from('operator:x').toString('base64')}`,
      algNone: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.`,
      algNoneResigned: `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.${s}`,
      badSig: `Bearer ${h}.${p}.${'A'.repeat(43)}`,
      expiredUnsigned: `Bearer ${h}.${b64({ ...payload, exp: 1000000000 })}.${s}`,
      expiredSigned: `Bearer ${signToken(secret, { sub: 'operator', iat: now() - 7200, exp: now() - 60, jti: 'x', sid, auth_time: now() - 7200 })}`,
      otherKey: `Bearer ${signToken('another-secret-of-at-least-32-characters!!', { sub: 'operator', iat: now(), exp: now() + 600, jti: 'x', sid, auth_time })}`,
      hs384: `Bearer ${signToken(secret, { sub: 'operator', iat: now(), exp: now() + 600, jti: 'x', sid, auth_time }, { alg: 'HS384', typ: 'JWT' })}`,
      unknownUser: `Bearer ${signToken(secret, { sub: 'mallory', iat: now(), exp: now() + 600, jti: 'x', sid, auth_time })}`,
      noExp: `Bearer ${signToken(secret, { sub: 'operator', iat: now(), jti: 'x', sid, auth_time })}`,
      futureIat: `Bearer ${signToken(secret, { sub: 'operator', iat: now() + 3600, exp: now() + 7200, jti: 'x', sid, auth_time })}`,
      // Signed with the right key but naming no session: every access token belongs to a login session.
      noSession: `Bearer ${signToken(secret, { sub: 'operator', iat: now(), exp: now() + 600, jti: 'x', auth_time })}`,
    };
    const failures: string[] = [];
    let checked = 0;
    for (const { method, path } of routes) {
      if (path === '/api/health' || path === '/api/auth/login') continue;
      const url = path.replace(/\{[^}]+\}/g, '1');
      for (const [name, authorization] of Object.entries(forged)) {
        const res = await api.call(method, url, {
          ...(authorization ? { authorization } : {}),
          ...(method === 'GET' ? {} : { rawBody: '{}' }),
        });
        checked++;
        if (res.status !== 401 || res.json?.error?.code !== 'UNAUTHORIZED')
          failures.push(`${method} ${url} with ${name}: ${res.status}`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThanOrEqual(11 * 14);
  });

  it('takes the Bearer scheme case-insensitively', async () => {
    expect((await api.call('GET', '/api/guardrails', { authorization: `bearer ${token}` })).status).toBe(200);
  });

  it('accepts a correctly signed, unexpired token of a live session for a configured operator', async () => {
    const { sid, auth_time } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
      sid: string;
      auth_time: number;
    };
    const res = await api.call('GET', '/api/guardrails', {
      authorization: `Bearer ${signToken(secret, { sub: 'operator', iat: now(), exp: now() + 60, jti: 'y', sid, auth_time })}`,
    });
    expect(res.status).toBe(200);
  });
});

describe('GET /api/health', () => {
  it('needs no token and reports each component; no LLM key means degraded and HTTP 200', async () => {
    const res = await api.call<HealthReport>('GET', '/api/health');
    expect(res.status).toBe(200);
    expect(res.json.status).toBe('degraded');
    for (const name of ['temporal', 'database', 'proxmox']) {
      expect(res.json.components[name]).toMatchObject({ status: 'ok', latencyMs: expect.any(Number) });
    }
    expect(res.json.components['llm']).toMatchObject({ status: 'degraded' });
    expect(res.json.components['tts']).toMatchObject({ status: 'degraded' });
    // The reasons (addresses, capabilities, privileges) are for operators only.
    for (const c of Object.values(res.json.components)) expect(c.detail).toBeUndefined();
  });

  it('with a token also says why', async () => {
    const res = await api.call<HealthReport>('GET', '/api/health', { token });
    expect(res.status).toBe(200);
    expect(res.json.components['llm']).toMatchObject({
      status: 'degraded',
      detail: expect.stringMatching(/^not configured/),
    });
    // Which Proxmox endpoint is in use, and the list of them (addresses: operators only).
    expect(res.json.components['proxmox']).toMatchObject({ detail: expect.stringMatching(/^using https:\/\//) });
    expect(res.json.proxmoxEndpoints?.filter((e) => e.state === 'active')).toHaveLength(1);
    const open = await api.call<HealthReport>('GET', '/api/health');
    expect(open.json.proxmoxEndpoints).toBeUndefined();
  });
});

describe('socket.io handshake', () => {
  const expired = (): string => {
    const { sid } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sid: string };
    return signToken(secret, {
      sub: 'operator',
      iat: now() - 7200,
      exp: now() - 1,
      jti: 'z',
      sid,
      auth_time: now() - 7200,
    });
  };

  it.each(['/live', '/chat', '/terminal'])(
    '%s refuses no token, a garbage token and an expired token with connect_error',
    async (ns) => {
      for (const bad of [undefined, 'garbage', expired()]) {
        const outcome = await handshake(api.socket(ns, bad));
        expect(outcome).toEqual({ connected: false, error: expect.stringContaining('unauthorized') });
      }
    },
  );

  it.each(['/live', '/chat', '/terminal'])('%s accepts a valid token', async (ns) => {
    expect(await handshake(api.socket(ns, token))).toEqual({ connected: true });
  });

  it('refuses a tokenless namespace connect at the protocol level (as the acceptance check probes it)', async () => {
    const base = `${api.origin}/socket.io/?EIO=4&transport=polling`;
    const open = await (await fetch(base)).text();
    const sid = /"sid":"([^"]+)"/.exec(open)?.[1];
    expect(sid).toBeDefined();
    await fetch(`${base}&sid=${sid}`, { method: 'POST', body: '40/live,' });
    const reply = await (await fetch(`${base}&sid=${sid}`)).text();
    expect(reply).toContain('44/live,');
    expect(reply).not.toContain('40/live,{');
  });
});
