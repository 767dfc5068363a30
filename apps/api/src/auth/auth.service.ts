import { Inject, Injectable } from '@nestjs/common';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { type AuthUser } from '../common/http.types';
import { ApiError } from '../errors/api-error';
import { signJwt, verifyJwt } from './jwt';
import { LoginRateLimiter } from './login-rate-limiter';
import { OperatorDirectory } from './operators';

export interface LoginResult {
  readonly token: string;
  readonly expiresAt: string;
}

export interface VerifiedSession {
  readonly user: AuthUser;
  readonly expiresAtMs: number;
}

@Injectable()
export class AuthService {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly operators: OperatorDirectory,
    private readonly limiter: LoginRateLimiter,
  ) {}

  async login(username: string, password: string, address: string): Promise<LoginResult> {
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
    const { token, claims } = signJwt(who, this.config.jwtTtlSeconds, this.config.jwtSecret);
    return { token, expiresAt: new Date(claims.exp * 1000).toISOString() };
  }

  /** The session a bearer token proves, or undefined: any failure is the same "no" to the caller. */
  verify(token: string): VerifiedSession | undefined {
    const result = verifyJwt(token, this.config.jwtSecret);
    // A token for an operator removed from the configuration dies with the restart that removed them.
    if (!result.ok || !this.operators.has(result.claims.sub)) return undefined;
    return { user: { username: result.claims.sub }, expiresAtMs: result.claims.exp * 1000 };
  }
}
