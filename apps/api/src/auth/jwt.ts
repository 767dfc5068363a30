import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JSON Web Tokens, by hand on node:crypto (no JWT library is installed). Deliberately
 * narrow: the header must say exactly `alg: "HS256"` (so `none`, RS/HS confusion and any
 * other algorithm are refused before the signature is looked at), the signature is compared in
 * constant time, and `sub`, `iat`, `exp`, `sid` and `auth_time` are required.
 */
export interface TokenClaims {
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  /** The server-side session (operator_sessions.id): revoking it refuses this token at once. */
  readonly sid: string;
  /** Seconds since the epoch of the password login, unchanged through refreshes (step-up reads it). */
  readonly auth_time: number;
}

/** Who a new access token is for: the operator, their session and when they typed the password. */
export interface TokenSubject {
  readonly sub: string;
  readonly sid: string;
  readonly authTime: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly claims: TokenClaims }
  | { readonly ok: false; readonly reason: 'malformed' | 'signature' | 'expired' };

const HEADER = { alg: 'HS256', typ: 'JWT' } as const;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_TOKEN_LENGTH = 4096;
/** Session IDs are 22 base64url characters (16 random bytes); see SessionIds in auth.service. */
export const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
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
  subject: TokenSubject,
  ttlSeconds: number,
  secret: string,
  nowMs = Date.now(),
): { token: string; claims: TokenClaims } {
  const iat = Math.floor(nowMs / 1000);
  const claims: TokenClaims = {
    sub: subject.sub,
    iat,
    exp: iat + ttlSeconds,
    jti: randomBytes(12).toString('base64url'),
    sid: subject.sid,
    auth_time: subject.authTime,
  };
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
  const { sub, iat, exp, jti, nbf, sid, auth_time } = payload;
  if (
    typeof sub !== 'string' ||
    sub.length === 0 ||
    !isIntSeconds(iat) ||
    !isIntSeconds(exp) ||
    typeof jti !== 'string' ||
    typeof sid !== 'string' ||
    !SESSION_ID.test(sid) ||
    !isIntSeconds(auth_time) ||
    auth_time > iat
  ) {
    return { ok: false, reason: 'malformed' };
  }
  const now = Math.floor(nowMs / 1000);
  if (iat > now + CLOCK_SKEW_S || (nbf !== undefined && (!isIntSeconds(nbf) || nbf > now + CLOCK_SKEW_S))) {
    return { ok: false, reason: 'malformed' };
  }
  if (exp <= now) return { ok: false, reason: 'expired' };
  return { ok: true, claims: { sub, iat, exp, jti, sid, auth_time } };
}
