import { createHmac } from 'node:crypto';
import { signJwt, verifyJwt } from '../../apps/api/src/auth/jwt';

const SECRET = 'unit-test-secret-unit-test-secret-0123';
const T0 = Date.parse('2025-06-01T12:00:00Z');
const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
const sign = (input: string, secret = SECRET, alg = 'sha256'): string =>
  createHmac(alg, secret).update(input).digest('base64url');

const SID = 'abcdefghijklmnopqrstuv';
const SUBJECT = { sub: 'operator', sid: SID, authTime: T0 / 1000 - 300 };

describe('HS256 tokens', () => {
  const { token, claims } = signJwt(SUBJECT, 600, SECRET, T0);
  const [h, p, s] = token.split('.') as [string, string, string];

  it('round-trips sub, iat, exp, a random jti, the session and the login time', () => {
    expect(claims).toEqual({
      sub: 'operator',
      iat: T0 / 1000,
      exp: T0 / 1000 + 600,
      jti: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
      sid: SID,
      auth_time: T0 / 1000 - 300,
    });
    expect(verifyJwt(token, SECRET, T0 + 1000)).toEqual({ ok: true, claims });
    expect(signJwt(SUBJECT, 600, SECRET, T0).claims.jti).not.toBe(claims.jti);
  });

  it('expires at exp exactly', () => {
    expect(verifyJwt(token, SECRET, T0 + 599_999).ok).toBe(true);
    expect(verifyJwt(token, SECRET, T0 + 600_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it.each([
    ['another secret', () => verifyJwt(token, 'another-secret-another-secret-0123', T0)],
    [
      'a flipped signature',
      () => verifyJwt(`${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`, SECRET, T0),
    ],
    ['a truncated signature', () => verifyJwt(`${h}.${p}.${s.slice(0, 20)}`, SECRET, T0)],
    ['a changed payload', () => verifyJwt(`${h}.${b64({ ...claims, sub: 'second' })}.${s}`, SECRET, T0)],
  ])('refuses %s', (_name, run) => {
    expect(run()).toEqual({ ok: false, reason: 'signature' });
  });

  it.each([
    ['alg none, unsigned', `${b64({ alg: 'none', typ: 'JWT' })}.${p}.`],
    ['alg none, with a signature', `${b64({ alg: 'none' })}.${p}.${s}`],
    ['alg hs256 in lower case', ((i) => `${i}.${sign(i)}`)(`${b64({ alg: 'hs256' })}.${p}`)],
    ['alg HS512', ((i) => `${i}.${sign(i, SECRET, 'sha512')}`)(`${b64({ alg: 'HS512' })}.${p}`)],
    ['alg RS256', ((i) => `${i}.${sign(i)}`)(`${b64({ alg: 'RS256' })}.${p}`)],
    ['a crit header', ((i) => `${i}.${sign(i)}`)(`${b64({ alg: 'HS256', crit: ['exp'] })}.${p}`)],
    ['a non-JWT typ', ((i) => `${i}.${sign(i)}`)(`${b64({ alg: 'HS256', typ: 'JWE' })}.${p}`)],
    ['two segments', `${h}.${p}`],
    ['four segments', `${h}.${p}.${s}.x`],
    ['padding and symbols', `${h}=.${p}.${s}`],
    ['a header that is not JSON', ((i) => `${i}.${sign(i)}`)(`${Buffer.from('nope').toString('base64url')}.${p}`)],
    ['an array header', ((i) => `${i}.${sign(i)}`)(`${b64(['HS256'])}.${p}`)],
    ['an empty string', ''],
    ['an oversized token', 'a'.repeat(5000)],
  ])('refuses %s before trusting anything', (_name, forged) => {
    expect(verifyJwt(forged, SECRET, T0).ok).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ...(
      [
        ['no sub', { iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'x' }],
        ['an empty sub', { sub: '', iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'x' }],
        ['no exp', { sub: 'operator', iat: T0 / 1000, jti: 'x' }],
        ['a string exp', { sub: 'operator', iat: T0 / 1000, exp: String(T0 / 1000 + 60), jti: 'x' }],
        ['a fractional exp', { sub: 'operator', iat: T0 / 1000, exp: T0 / 1000 + 60.5, jti: 'x' }],
        ['no iat', { sub: 'operator', exp: T0 / 1000 + 60, jti: 'x' }],
        ['an iat in the future', { sub: 'operator', iat: T0 / 1000 + 3600, exp: T0 / 1000 + 7200, jti: 'x' }],
        [
          'an nbf in the future',
          { sub: 'operator', iat: T0 / 1000, nbf: T0 / 1000 + 3600, exp: T0 / 1000 + 7200, jti: 'x' },
        ],
        ['no jti', { sub: 'operator', iat: T0 / 1000, exp: T0 / 1000 + 60 }],
      ] as Array<[string, Record<string, unknown>]>
    ).map(([name, p]): [string, Record<string, unknown>] => [name, { sid: SID, auth_time: T0 / 1000, ...p }]),
    ['no sid', { sub: 'operator', iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'x', auth_time: T0 / 1000 }],
    [
      'a malformed sid',
      { sub: 'operator', iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'x', sid: 'x/y', auth_time: T0 / 1000 },
    ],
    ['no auth_time', { sub: 'operator', iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'x', sid: SID }],
    [
      'an auth_time after iat',
      { sub: 'operator', iat: T0 / 1000, exp: T0 / 1000 + 60, jti: 'x', sid: SID, auth_time: T0 / 1000 + 1 },
    ],
  ])('refuses a correctly signed token with %s', (_name, payload) => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
    expect(verifyJwt(`${input}.${sign(input)}`, SECRET, T0).ok).toBe(false);
  });
});
