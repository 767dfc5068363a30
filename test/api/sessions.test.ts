import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { OPERATOR, SECOND } from '../support/stack';
import { eventually } from '../support/vm-action.fixtures';
import { expectEnvelope, handshake, startApi, type ApiHarness, type ApiResponse } from './api-harness';

/**
 * Server-side login sessions over real HTTP, socket.io and Postgres: the refresh cookie and its
 * rotation, logout and logout-all refusing tokens and dropping sockets at once, short-lived
 * access tokens, and the login limiter's view of the client behind trusted proxies.
 */
jest.setTimeout(60_000);

// Names no other suite uses: logout-all ends every session of a name in the shared database.
const suffix = randomBytes(4).toString('hex');
const THIRD = { username: `third-${suffix}`, password: 'third-Secret-3' };
const FOURTH = { username: `fourth-${suffix}`, password: 'fourth-Secret-4' };
// 127.0.0.1 is an ordinary client here; 127.0.0.2 is the reverse proxy in front of the API.
const PROXY = '127.0.0.2';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApi({
    worker: false,
    env: { JARVIS_USERS: JSON.stringify([SECOND, THIRD, FOURTH]), TRUSTED_PROXIES: `${PROXY}, 127.9.0.0/16` },
  });
});
afterAll(() => api.close());

interface Sent<T = Record<string, unknown>> extends ApiResponse<T> {
  readonly rawHeaders: IncomingHttpHeaders;
}

/** One HTTP request from a chosen loopback address, with cookies and forwarding headers as given. */
function send<T = Record<string, unknown>>(
  method: string,
  path: string,
  opts: { from?: string; headers?: Record<string, string>; body?: unknown; token?: string; origin?: string } = {},
): Promise<Sent<T>> {
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  const headers: Record<string, string> = { ...opts.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${opts.origin ?? api.origin}${path}`,
      { method, headers, localAddress: opts.from ?? '127.0.0.1' },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const h = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
          resolve({
            status: res.statusCode ?? 0,
            headers: h,
            rawHeaders: res.headers,
            text,
            json: json as Sent<T>['json'],
          });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Login {
  readonly token: string;
  readonly expiresAt: string;
  /** `jarvis_refresh=<value>`, as a browser would send it back. */
  readonly cookie: string;
  readonly setCookie: string;
}

function refreshCookieOf(res: Sent<unknown>): { cookie: string; setCookie: string } {
  const all = res.rawHeaders['set-cookie'] ?? [];
  const setCookie = all.find((c) => c.startsWith('jarvis_refresh='));
  if (!setCookie) throw new Error(`no refresh cookie in ${res.status} ${JSON.stringify(all)}`);
  return { cookie: setCookie.split(';')[0]!, setCookie };
}

async function login(who: { username: string; password: string }, headers?: Record<string, string>): Promise<Login> {
  const res = await send<{ token: string; expiresAt: string }>('POST', '/api/auth/login', {
    body: who,
    ...(headers ? { headers, from: PROXY } : {}),
  });
  if (res.status !== 200) throw new Error(`login ${who.username}: ${res.status} ${res.text}`);
  return { token: res.json.token, expiresAt: res.json.expiresAt, ...refreshCookieOf(res) };
}

const refresh = (cookie?: string) =>
  send<{ token: string; expiresAt: string }>('POST', '/api/auth/refresh', cookie ? { headers: { cookie } } : {});
const claims = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const clusterStatus = async (token: string, origin?: string) =>
  (await send('GET', '/api/cluster', { token, ...(origin ? { origin } : {}) })).status;

/** Resolves with the disconnect reason, or rejects after `ms`. */
function disconnected(socket: ReturnType<ApiHarness['socket']>, ms = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the socket stayed connected')), ms);
    socket.once('disconnect', (reason: string) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

describe('login and the refresh cookie', () => {
  it('issues a 15-minute access token naming its session and login time, and an httpOnly, SameSite=Strict, path-scoped cookie', async () => {
    const before = Math.floor(Date.now() / 1000);
    const session = await login(OPERATOR);
    const c = claims(session.token);
    expect(c['exp']).toBe((c['iat'] as number) + 15 * 60);
    expect(c['sid']).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(c['auth_time']).toBeGreaterThanOrEqual(before);
    const attributes = session.setCookie.split(';').map((a) => a.trim().toLowerCase());
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'path=/api/auth']));
    // Plain HTTP on loopback (the demo): a Secure cookie would be dropped by the browser.
    expect(attributes).not.toContain('secure');
    // Only a hash of the refresh token is stored, never the token.
    const value = session.cookie.slice('jarvis_refresh='.length);
    const { rows } = await api.stack.pool.query<{ row: string }>(
      'SELECT row_to_json(s)::text AS row FROM operator_sessions s WHERE id = $1',
      [c['sid']],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.row).not.toContain(value.split('.')[1]!);
    const { rows: hashed } = await api.stack.pool.query<{ refresh_hash: Buffer }>(
      'SELECT refresh_hash FROM operator_sessions WHERE id = $1',
      [c['sid']],
    );
    expect(hashed[0]!.refresh_hash.equals(createHash('sha256').update(value).digest())).toBe(true);
  });

  it('marks the cookie Secure when a trusted proxy says the client came over HTTPS, and only then', async () => {
    const viaProxy = await login(SECOND, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.10' });
    expect(viaProxy.setCookie.toLowerCase()).toContain('; secure');
    const spoofed = await send('POST', '/api/auth/login', {
      body: SECOND,
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(refreshCookieOf(spoofed).setCookie.toLowerCase()).not.toContain('secure');
  });

  it('refuses a refresh without a cookie, or with a garbage or unknown one, with 401 and the envelope', async () => {
    expectEnvelope(await refresh(), 401, 'UNAUTHORIZED');
    expectEnvelope(await refresh('jarvis_refresh=garbage'), 401, 'UNAUTHORIZED');
    expectEnvelope(await refresh(`jarvis_refresh=${'A'.repeat(22)}.${'B'.repeat(43)}`), 401, 'UNAUTHORIZED');
    // A bearer token is not a refresh credential.
    const { token } = await login(OPERATOR);
    expectEnvelope(await send('POST', '/api/auth/refresh', { token }), 401, 'UNAUTHORIZED');
  });

  it('rotates the cookie on each refresh, keeping the session and auth_time; a reused old cookie ends the session', async () => {
    const first = await login(THIRD);
    const r1 = await refresh(first.cookie);
    expect(r1.status).toBe(200);
    const second = refreshCookieOf(r1);
    expect(second.cookie).not.toBe(first.cookie);
    expect(claims(r1.json.token)).toMatchObject({
      sub: THIRD.username,
      sid: claims(first.token)['sid'],
      auth_time: claims(first.token)['auth_time'],
    });
    expect(await clusterStatus(r1.json.token)).toBe(200);
    const r2 = await refresh(second.cookie);
    expect(r2.status).toBe(200);
    const third = refreshCookieOf(r2);

    // The first cookie again: stolen and used, or the victim's copy after the thief used it.
    expectEnvelope(await refresh(first.cookie), 401, 'UNAUTHORIZED');
    // The whole session is over: the newest cookie and every access token of it.
    expectEnvelope(await refresh(third.cookie), 401, 'UNAUTHORIZED');
    expect(await clusterStatus(r2.json.token)).toBe(401);
    expect(await clusterStatus(first.token)).toBe(401);
    const { rows } = await api.stack.pool.query<{ revoked_reason: string }>(
      'SELECT revoked_reason FROM operator_sessions WHERE id = $1',
      [claims(first.token)['sid']],
    );
    expect(rows[0]?.revoked_reason).toBe('refresh-reuse');
  });
});

describe('logout', () => {
  it('needs a bearer token', async () => {
    expectEnvelope(await send('POST', '/api/auth/logout'), 401, 'UNAUTHORIZED');
    expectEnvelope(await send('POST', '/api/auth/logout-all'), 401, 'UNAUTHORIZED');
  });

  it('ends this session at once: REST 401, its /live socket dropped, its cookie and a new handshake refused', async () => {
    const session = await login(OPERATOR);
    const other = await login(OPERATOR);
    const live = api.socket('/live', session.token);
    expect(await handshake(live)).toEqual({ connected: true });
    const otherLive = api.socket('/live', other.token);
    expect(await handshake(otherLive)).toEqual({ connected: true });
    const dropped = disconnected(live);

    const out = await send('POST', '/api/auth/logout', { token: session.token });
    expect(out.status).toBe(204);
    expect(out.rawHeaders['set-cookie']?.some((c) => /^jarvis_refresh=;.*Max-Age=0/i.test(c))).toBe(true);
    expect(await clusterStatus(session.token)).toBe(401);
    expect(await dropped).toBe('io server disconnect');
    expectEnvelope(await refresh(session.cookie), 401, 'UNAUTHORIZED');
    expect(await handshake(api.socket('/live', session.token))).toEqual({
      connected: false,
      error: expect.stringContaining('unauthorized'),
    });
    // The same operator's other session is untouched.
    expect(await clusterStatus(other.token)).toBe(200);
    expect(otherLive.connected).toBe(true);
  });

  it('logout-all ends every session of the operator and drops all their sockets, but no one else’s', async () => {
    const a = await login(FOURTH);
    const b = await login(FOURTH);
    const someoneElse = await login(SECOND);
    const sockets = ['/live', '/chat'].map((ns) => api.socket(ns, b.token));
    for (const s of sockets) expect(await handshake(s)).toEqual({ connected: true });
    const theirs = api.socket('/live', someoneElse.token);
    expect(await handshake(theirs)).toEqual({ connected: true });
    const dropped = sockets.map((s) => disconnected(s));

    expect((await send('POST', '/api/auth/logout-all', { token: a.token })).status).toBe(204);
    expect(await clusterStatus(a.token)).toBe(401);
    expect(await clusterStatus(b.token)).toBe(401);
    expect(await Promise.all(dropped)).toEqual(['io server disconnect', 'io server disconnect']);
    expectEnvelope(await refresh(a.cookie), 401, 'UNAUTHORIZED');
    expectEnvelope(await refresh(b.cookie), 401, 'UNAUTHORIZED');
    expect(await clusterStatus(someoneElse.token)).toBe(200);
    expect(theirs.connected).toBe(true);
    expect((await refresh(someoneElse.cookie)).status).toBe(200);
  });

  it('reaches a second API instance on the same database within its poll', async () => {
    const other = await startApi({ stack: api.stack, env: { JARVIS_USERS: JSON.stringify([SECOND, THIRD, FOURTH]) } });
    try {
      const session = await login(OPERATOR);
      expect(await clusterStatus(session.token, other.origin)).toBe(200);
      const live = other.socket('/live', session.token);
      expect(await handshake(live)).toEqual({ connected: true });
      const dropped = disconnected(live, 10_000);
      expect((await send('POST', '/api/auth/logout', { token: session.token })).status).toBe(204);
      await eventually(
        async () => ((await clusterStatus(session.token, other.origin)) === 401 ? true : undefined),
        10_000,
        200,
      );
      expect(await dropped).toBe('io server disconnect');
    } finally {
      await other.close();
    }
  });
});

describe('short-lived access tokens', () => {
  it('refuses an access token once its (configured) lifetime is over; the cookie gets a new one', async () => {
    const short = await startApi({ stack: api.stack, env: { JWT_TTL_SECONDS: '5' } });
    try {
      const res = await send<{ token: string; expiresAt: string }>('POST', '/api/auth/login', {
        origin: short.origin,
        body: OPERATOR,
      });
      expect(res.status).toBe(200);
      const { token, expiresAt } = res.json;
      expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(5_000);
      expect(await clusterStatus(token, short.origin)).toBe(200);
      const live = short.socket('/live', token);
      expect(await handshake(live)).toEqual({ connected: true });
      const closed = disconnected(live, 8_000);
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(expiresAt) - Date.now()) + 1100));
      expect(await clusterStatus(token, short.origin)).toBe(401);
      expect(await closed).toBe('io server disconnect');
      const renewed = await send<{ token: string }>('POST', '/api/auth/refresh', {
        origin: short.origin,
        headers: { cookie: refreshCookieOf(res).cookie },
      });
      expect(renewed.status).toBe(200);
      expect(await clusterStatus(renewed.json.token, short.origin)).toBe(200);
    } finally {
      await short.close();
    }
  });

  it('keeps a socket open past its handshake token when handed the renewed token of the same session', async () => {
    const short = await startApi({ stack: api.stack, env: { JWT_TTL_SECONDS: '5' } });
    try {
      const res = await send<{ token: string; expiresAt: string }>('POST', '/api/auth/login', {
        origin: short.origin,
        body: OPERATOR,
      });
      const cookie = refreshCookieOf(res).cookie;
      const live = short.socket('/live', res.json.token);
      expect(await handshake(live)).toEqual({ connected: true });
      const renewed = await send<{ token: string }>('POST', '/api/auth/refresh', {
        origin: short.origin,
        headers: { cookie },
      });
      // Another session's token is not accepted as a renewal.
      const foreign = (await send<{ token: string }>('POST', '/api/auth/login', { origin: short.origin, body: SECOND }))
        .json.token;
      const ack = (token: string) =>
        live.timeout(2000).emitWithAck('auth.renew', { token }) as Promise<{ ok: boolean }>;
      expect(await ack(foreign)).toEqual({ ok: false });
      expect(await ack('garbage')).toEqual({ ok: false });
      // A token issued two seconds later outlives the handshake's by as much: renew with it.
      await new Promise((r) => setTimeout(r, 2100));
      const later = await send<{ token: string }>('POST', '/api/auth/refresh', {
        origin: short.origin,
        headers: { cookie: refreshCookieOf(renewed).cookie },
      });
      expect(await ack(later.json.token)).toMatchObject({ ok: true });
      await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(res.json.expiresAt) - Date.now()) + 500));
      expect(live.connected).toBe(true);
      expect(await clusterStatus(res.json.token, short.origin)).toBe(401);
    } finally {
      await short.close();
    }
  });
});

describe('the client address behind proxies, and the login limiter', () => {
  const wrong = (from: string, xff: string | undefined, username: string) =>
    send('POST', '/api/auth/login', {
      from,
      body: { username, password: 'wrong-password' },
      ...(xff ? { headers: { 'x-forwarded-for': xff } } : {}),
    });

  it('ignores X-Forwarded-For from an untrusted peer: rotating it does not reset the per-address limit', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await wrong('127.0.0.3', `203.0.113.${i}`, `nobody-a-${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses).toContain(429);
  });

  it('believes the right-most untrusted hop from a trusted proxy, whatever the client wrote left of it', async () => {
    // Many clients behind the proxy: each has its own budget, so none is limited.
    const many: number[] = [];
    for (let i = 0; i < 25; i++) many.push((await wrong(PROXY, `198.51.100.${i}`, `nobody-b-${i}`)).status);
    expect(many.every((s) => s === 401)).toBe(true);
    // One client forging hops to its left is still one client, seen through two trusted proxies.
    const one: number[] = [];
    for (let i = 0; i < 25; i++)
      one.push((await wrong(PROXY, `203.0.113.${i}, 192.0.2.77, 127.9.1.1`, `nobody-c-${i}`)).status);
    expect(one.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(one).toContain(429);
    // ...and only that client: its neighbour behind the same proxy logs in.
    expect(
      (
        await send('POST', '/api/auth/login', {
          from: PROXY,
          headers: { 'x-forwarded-for': '192.0.2.78' },
          body: SECOND,
        })
      ).status,
    ).toBe(200);
  });

  it('backs off one user name from any address (429 + Retry-After), without locking out another operator', async () => {
    const victim = { username: `victim-${suffix}`, password: 'never-matches' };
    const statuses: number[] = [];
    let limited: Sent | undefined;
    for (let i = 0; i < 8 && !limited; i++) {
      const res = await wrong(PROXY, `192.0.2.${100 + i}`, victim.username);
      statuses.push(res.status);
      if (res.status === 429) limited = res;
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expectEnvelope(limited!, 429, 'RATE_LIMITED');
    const retryAfter = Number(limited!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(30);
    // From yet another address, the name is still backed off; another operator from the same addresses is not.
    expect((await wrong(PROXY, '192.0.2.200', victim.username)).status).toBe(429);
    expect(
      (
        await send('POST', '/api/auth/login', {
          from: PROXY,
          headers: { 'x-forwarded-for': '192.0.2.101' },
          body: THIRD,
        })
      ).status,
    ).toBe(200);
  });
});
