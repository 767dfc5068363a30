import { createPinia, setActivePinia } from 'pinia';
import { configureHttp, HttpError, request } from '../../apps/web/src/api/http';
import { renewalDelayMs, tokenSubject, useAuthStore } from '../../apps/web/src/stores/auth';
import { freshness, STALE_AFTER_MS } from '../../apps/web/src/stores/connection';
import { useSettingsStore } from '../../apps/web/src/stores/settings';
import { type KeyValueStorage } from '../../apps/web/src/stores/storage';
import { envelope, fakeApi } from './support/fake-api';

beforeEach(() => setActivePinia(createPinia()));

function memoryStorage(seed: Record<string, string> = {}): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map(Object.entries(seed));
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (sub: string) => `${b64({ alg: 'HS256' })}.${b64({ sub, exp: 9e9 })}.sig`;

describe('logging in', () => {
  it('keeps the token and the operator named in it', async () => {
    const api = fakeApi({
      'POST /api/auth/login': { status: 200, body: { token: jwt('operator'), expiresAt: '2099-01-01T00:00:00.000Z' } },
    });
    const auth = useAuthStore();
    await expect(auth.login('Operator ', 'pw')).resolves.toBeNull();
    expect(auth.loggedIn).toBe(true);
    expect(auth.username).toBe('operator');
    expect(api.calls[0]).toMatchObject({ body: { username: 'Operator ', password: 'pw' }, authorization: null });
  });

  it('says clearly when the password is wrong, without logging anyone out', async () => {
    const api = fakeApi({
      'POST /api/auth/login': { status: 401, body: envelope('UNAUTHORIZED', 'wrong username or password') },
    });
    const result = await useAuthStore().login('operator', 'nope');
    expect(result).toEqual({ kind: 'credentials', message: 'Wrong username or password.' });
    expect(api.unauthorizedCount()).toBe(0);
  });

  it('says how long to wait after too many attempts (429 with Retry-After)', async () => {
    fakeApi({
      'POST /api/auth/login': {
        status: 429,
        body: envelope('RATE_LIMITED', 'too many failed logins', { retryAfterSeconds: 30 }),
        headers: { 'retry-after': '42' },
      },
    });
    expect(await useAuthStore().login('operator', 'x')).toEqual({
      kind: 'rate-limited',
      message: 'Too many failed attempts. Try again in 42 s.',
      retryAfterSeconds: 42,
    });
  });

  it('falls back to the envelope when there is no Retry-After header', async () => {
    fakeApi({
      'POST /api/auth/login': { status: 429, body: envelope('RATE_LIMITED', 'x', { retryAfterSeconds: 30 }) },
    });
    expect(await useAuthStore().login('operator', 'x')).toMatchObject({ retryAfterSeconds: 30 });
  });

  it('reports an unreachable API as such', async () => {
    const auth = useAuthStore();
    fakeApi({});
    // A fetch that throws is a network failure, not a wrong password.
    configureHttp({ fetch: () => Promise.reject(new TypeError('fetch failed')) });
    expect(await auth.login('operator', 'x')).toMatchObject({ kind: 'unreachable' });
  });

  it('reads the operator from a token, and nothing from garbage', () => {
    expect(tokenSubject(jwt('second'))).toBe('second');
    expect(tokenSubject('not-a-token')).toBeUndefined();
  });
});

describe('the session across reloads', () => {
  const issued = { token: jwt('operator'), expiresAt: '2099-01-01T00:00:00.000Z' };

  it('resumes from the refresh cookie, keeps the token in memory only, and clears one an older dashboard stored', async () => {
    const api = fakeApi({ 'POST /api/auth/refresh': { status: 200, body: issued } });
    const storage = memoryStorage({
      'jarvis.session': JSON.stringify({ token: 'old', username: 'x', expiresAt: 'y' }),
    });
    const auth = useAuthStore();
    await auth.restore(storage);
    expect(auth.token).toBe(issued.token);
    expect(auth.username).toBe('operator');
    expect(storage.data.size).toBe(0);
    // The cookie is the credential: no bearer token goes with the refresh.
    expect(api.calls).toEqual([
      expect.objectContaining({ method: 'POST', path: '/api/auth/refresh', authorization: null }),
    ]);
    auth.forget();
  });

  it('stays logged out when the cookie holds no session', async () => {
    fakeApi({ 'POST /api/auth/refresh': { status: 401, body: envelope('UNAUTHORIZED', 'no valid session') } });
    const auth = useAuthStore();
    await auth.restore(memoryStorage());
    expect(auth.loggedIn).toBe(false);
    expect(auth.restoring).toBe(false);
  });

  it('renews the token on a 401 and retries the call once with the new one', async () => {
    let n = 0;
    const api = fakeApi({
      'GET /api/cluster': () =>
        n++ === 0 ? { status: 401, body: envelope('UNAUTHORIZED', 'expired') } : { status: 200, body: { ok: true } },
    });
    let renewed = 0;
    configureHttp({ renew: () => Promise.resolve(`fresh-${++renewed}`) });
    await expect(request('GET', '/api/cluster')).resolves.toEqual({ ok: true });
    expect(renewed).toBe(1);
    expect(api.calls).toHaveLength(2);
    expect(api.unauthorizedCount()).toBe(0);
  });

  it('logs out when an authenticated call gets a 401 that renewing cannot cure', async () => {
    const api = fakeApi({ 'GET /api/cluster': { status: 401, body: envelope('UNAUTHORIZED', 'expired') } });
    configureHttp({ renew: () => Promise.resolve(null) });
    await expect(request('GET', '/api/cluster')).rejects.toBeInstanceOf(HttpError);
    expect(api.unauthorizedCount()).toBe(1);
  });

  it('logs out on the server, then forgets the token, even if the server already ended the session', async () => {
    for (const status of [204, 401]) {
      const api = fakeApi({ 'POST /api/auth/logout': { status } });
      let renewed = 0;
      configureHttp({ renew: () => Promise.resolve(`fresh-${++renewed}`) });
      const auth = useAuthStore(createPinia());
      auth.token = 'tok';
      await auth.logout();
      expect(api.calls.map((c) => `${c.method} ${c.path} ${c.authorization}`)).toEqual([
        'POST /api/auth/logout Bearer tok',
      ]);
      expect(renewed).toBe(0);
      expect(auth.loggedIn).toBe(false);
    }
  });

  it('renews a minute before expiry, sooner for short tokens, never in under a second', () => {
    expect(renewalDelayMs(900_000, 0)).toBe(840_000);
    expect(renewalDelayMs(60_000, 0)).toBe(45_000);
    expect(renewalDelayMs(500, 0)).toBe(1000);
    expect(renewalDelayMs(Date.parse('2099-01-01T00:00:00.000Z'), 0)).toBe(2 ** 31 - 1);
  });
});

describe('display settings', () => {
  it('persist the mode and colourway, and reject unknown values', () => {
    const storage = memoryStorage();
    const settings = useSettingsStore();
    expect(settings.cycleMode()).toBe('ops');
    settings.setColourway('arc');
    settings.dehydrate(storage);
    const again = useSettingsStore(createPinia());
    again.hydrate(storage);
    expect([again.mode, again.colourway]).toEqual(['ops', 'arc']);
    const odd = useSettingsStore(createPinia());
    odd.hydrate(memoryStorage({ 'jarvis.settings': JSON.stringify({ mode: 'disco', colourway: 'plaid' }) }));
    expect([odd.mode, odd.colourway]).toEqual(['jarvis', 'amber']);
  });

  it('cycle JARVIS → Ops → Minimal → JARVIS', () => {
    const settings = useSettingsStore();
    expect([settings.cycleMode(), settings.cycleMode(), settings.cycleMode()]).toEqual(['ops', 'minimal', 'jarvis']);
  });
});

describe('the freshness indicator', () => {
  const now = 1_000_000;
  it.each([
    ['live', 'live', false, now - 1000],
    ['stale', 'live', false, now - STALE_AFTER_MS - 1],
    ['stale', 'live', true, now],
    ['offline', 'down', false, now],
    ['connecting', 'connecting', false, null],
    ['offline', 'connecting', false, now],
    ['connecting', 'live', false, null],
  ] as const)('is %s when the socket is %s (server stale %s)', (expected, status, serverStale, receivedAt) => {
    expect(freshness(status, serverStale, receivedAt, now)).toBe(expected);
  });
});
