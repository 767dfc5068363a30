import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SessionsRepository } from '@jarvis/db';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { type AuthUser } from '../common/http.types';
import { ApiError } from '../errors/api-error';
import { isDatabaseUnavailable } from '../errors/error-mapping';
import { signJwt, verifyJwt } from './jwt';
import { LoginRateLimiter } from './login-rate-limiter';
import { OperatorDirectory } from './operators';
import { SessionRevocations } from './session-revocations';

export interface LoginResult {
  readonly token: string;
  readonly expiresAt: string;
}

/** A new access token, and the refresh token the controller puts in the cookie (absent: keep it). */
export interface IssuedTokens {
  readonly result: LoginResult;
  readonly refresh?: { readonly value: string; readonly expiresAt: Date };
}

export interface VerifiedSession {
  readonly user: AuthUser & { readonly sessionId: string; readonly authTime: number };
  readonly expiresAtMs: number;
}

/** `<session id>.<secret>`: the session is looked up by ID, the secret compared by hash. */
const REFRESH_TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;
const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

@Injectable()
export class AuthService {
  private readonly logger = new Logger('Auth');

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly operators: OperatorDirectory,
    private readonly limiter: LoginRateLimiter,
    private readonly sessions: SessionsRepository,
    private readonly revocations: SessionRevocations,
  ) {}

  async login(username: string, password: string, address: string): Promise<IssuedTokens> {
    const gate = this.limiter.check(address, username);
    if (!gate.allowed) {
      throw new ApiError('RATE_LIMITED', 'too many failed logins; try again later', {
        retryAfterSeconds: gate.retryAfterSeconds,
      });
    }
    const who = await this.operators.authenticate(username, password);
    if (!who) {
      this.limiter.recordFailure(address, username);
      throw new ApiError('UNAUTHORIZED', 'wrong username or password');
    }
    this.limiter.recordSuccess(username);
    const sid = randomBytes(16).toString('base64url');
    const authTime = nowSeconds();
    const refresh = `${sid}.${randomBytes(32).toString('base64url')}`;
    const expiresAt = new Date(
      (authTime + Math.min(this.config.sessionIdleSeconds, this.config.sessionMaxSeconds)) * 1000,
    );
    try {
      await this.sessions.create({
        id: sid,
        operator: who,
        authTime: new Date(authTime * 1000),
        expiresAt,
        refreshHash: sha256(refresh),
      });
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      // Postgres down: the operator can still log in and watch the cluster (as before sessions
      // existed), with a token that cannot be refreshed; logout still ends it in this process.
      this.logger.warn('the database is unavailable: this login gets no refresh cookie');
      return { result: this.issue(who, sid, authTime, expiresAt) };
    }
    return { result: this.issue(who, sid, authTime, expiresAt), refresh: { value: refresh, expiresAt } };
  }

  /**
   * A new access token for the refresh cookie, and the cookie's next value (rotated every time).
   * A refresh token that is not the session's current one was either stolen and used, or is the
   * victim's copy after the thief used it: either way the session ends (reuse detection).
   */
  async refresh(presented: string | undefined): Promise<IssuedTokens> {
    const refused = new ApiError('UNAUTHORIZED', 'no valid session; log in again');
    const match = presented ? REFRESH_TOKEN.exec(presented) : null;
    const sid = match?.[1];
    if (!sid || !presented) throw refused;
    const session = await this.sessions.get(sid);
    if (!session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) throw refused;
    if (!this.operators.has(session.operator) || this.revocations.isRevoked(sid)) throw refused;
    const presentedHash = sha256(presented);
    const maxExpiresAt = new Date(session.authTime.getTime() + this.config.sessionMaxSeconds * 1000);
    const next = `${sid}.${randomBytes(32).toString('base64url')}`;
    const current = timingSafeEqual(presentedHash, session.refreshHash);
    const expiresAt = current
      ? await this.sessions.rotate(sid, presentedHash, sha256(next), this.config.sessionIdleSeconds, maxExpiresAt)
      : undefined;
    if (!expiresAt) {
      await this.end(sid, session.operator, 'refresh-reuse');
      this.logger.warn(`an old refresh token of ${session.operator} came back: their session ${sid} is ended`);
      throw refused;
    }
    const authTime = Math.floor(session.authTime.getTime() / 1000);
    return {
      result: this.issue(session.operator, sid, authTime, expiresAt),
      refresh: { value: next, expiresAt },
    };
  }

  /** Ends the caller's session: its access and refresh tokens are refused and its sockets dropped. */
  async logout(user: AuthUser): Promise<void> {
    if (user.sessionId) await this.end(user.sessionId, user.username, 'logout');
  }

  /** Ends every session of the caller's operator, on every API instance (within one poll). */
  async logoutAll(user: AuthUser): Promise<void> {
    if (user.sessionId) this.revocations.add(user.sessionId, user.username);
    const ended = await this.sessions.revokeAllOf(user.username, 'logout-all');
    for (const id of ended) this.revocations.add(id, user.username);
  }

  /** Called whenever a session ends, here or (within a poll) on another API instance. */
  onSessionEnded(listener: (sessionId: string, operator: string) => void): () => void {
    return this.revocations.onRevoked(listener);
  }

  /** The session a bearer token proves, or undefined: any failure is the same "no" to the caller. */
  verify(token: string): VerifiedSession | undefined {
    const result = verifyJwt(token, this.config.jwtSecret);
    // A token for an operator removed from the configuration dies with the restart that removed them.
    if (!result.ok || !this.operators.has(result.claims.sub)) return undefined;
    const { sub, sid, auth_time: authTime, exp } = result.claims;
    if (this.revocations.isRevoked(sid)) return undefined;
    return { user: { username: sub, sessionId: sid, authTime }, expiresAtMs: exp * 1000 };
  }

  private async end(sid: string, operator: string, reason: 'logout' | 'refresh-reuse'): Promise<void> {
    // In memory first: this process refuses the session at once even if the write below fails.
    this.revocations.add(sid, operator);
    try {
      await this.sessions.revoke(sid, reason);
    } catch (err) {
      if (!isDatabaseUnavailable(err)) throw err;
      this.logger.warn(`the database is unavailable: session ${sid} is ended in this process only`);
    }
  }

  /** An access token, never outliving its session. */
  private issue(operator: string, sid: string, authTime: number, sessionExpiresAt: Date): LoginResult {
    const left = Math.floor((sessionExpiresAt.getTime() - Date.now()) / 1000);
    const ttl = Math.max(1, Math.min(this.config.jwtTtlSeconds, left));
    const { token, claims } = signJwt({ sub: operator, sid, authTime }, ttl, this.config.jwtSecret);
    return { token, expiresAt: new Date(claims.exp * 1000).toISOString() };
  }
}
