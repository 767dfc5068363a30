import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JSON Web Tokens, by hand on node:crypto (no JWT library is installed). Deliberately
 * narrow: the header must say exactly `alg: "HS256"` (so `none`, RS/HS confusion and any
 * other algorithm are refused before the signature is looked at), the signature is compared in
 * constant time, and `sub`, `iat` and `exp` are required.
 */
export interface TokenClaims {
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
}

export type VerifyResult =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'signature' | 'expired' };

const HEADER = { alg: 'HS256', typ: 'JWT' } as const;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 4096;
/** Tolerated clock difference for `iat` and `nbf`, in seconds. */
const CLOCK_SKEW_S = 60;

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const hmac = (secret: string, input: string): Buffer => createHmac('sha256', secret).update(input).digest();

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const isIntSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export function signJwt(
  subject: string,
  ttlSeconds: number,
  secret: string,
  nowMs = Date.now(),
): { token: string; claims: TokenClaims } {
  const iat = Math.floor(nowMs / 1000);
  const claims: TokenClaims = { sub: subject, iat, exp: iat + ttlSeconds, jti: randomBytes(12).toString('base64url') };
  const input = `${encode(HEADER)}.${encode(claims)}`;
  return { token: `${input}.${hmac(secret, input).toString('base64url')}`, claims };
}

export function verifyJwt(token: string, secret: string, nowMs = Date.now()): VerifyResult {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => SEGMENT.test(p))) return { ok: false, reason: 'malformed' };
  const [h, p, s] = parts as [string, string, string];

  const header = decodeJson(h);
  if (
    !header ||
    header['alg'] !== 'HS256' ||
    (header['typ'] !== undefined && header['typ'] !== 'JWT') ||
    'crit' in header
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const expected = hmac(secret, `${h}.${p}`);
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'signature' };

  const payload = decodeJson(p);
  if (!payload) return { ok: false, reason: 'malformed' };
  const { sub, iat, exp, jti, nbf } = payload;
  if (
    typeof sub !== 'string' ||
    sub.length === 0 ||
    !isIntSeconds(iat) ||
    !isIntSeconds(exp) ||
    typeof jti !== 'string'
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const now = Math.floor(nowMs / 1000);
  if (iat > now + CLOCK_SKEW_S || (nbf !== undefined && (!isIntSeconds(nbf) || nbf > now + CLOCK_SKEW_S))) {
    return { ok: false, reason: 'malformed' };
  }
  if (exp <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { sub, iat, exp, jti } };
}
