import { Inject, Injectable } from '@nestjs/common';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { LoginRateLimiter } from '../auth/login-rate-limiter';
import { OperatorDirectory } from '../auth/operators';
import { ApiError } from '../errors/api-error';
import { SshAccess } from '../infra/ssh.providers';
import { TerminalTickets } from './terminal-tickets';

/** Bound on remembered confirmations (one per token or session). */
const MAX_CONFIRMATIONS = 10_000;

export interface TicketRequest {
  readonly node: string;
  readonly password?: string;
  readonly confirmNode?: string;
}

export interface TicketResult {
  readonly ticket: string;
  readonly expiresAt: string;
  readonly node: string;
}

/** The claims of an already verified bearer token that step-up reads; anything else is ignored. */
interface StepUpClaims {
  readonly sub: string;
  readonly exp: number;
  /** The password login's time; absent on tokens that predate it (then `iat` stands in). */
  readonly authTime: number;
  /** The session (`sid`) or, without one, the token (`jti`) a confirmation is remembered for. */
  readonly key: string;
  /** The login session, when the token names one: a socket opened with a ticket ends with it. */
  readonly sid?: string;
}

const isSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Reads the claims step-up needs from a bearer token the AuthGuard has already verified: the
 * signature is not checked again here, and nothing is trusted that the guard did not see.
 * `auth_time` is read defensively (another part of the API adds it), falling back to `iat`.
 */
export function stepUpClaims(token: string): StepUpClaims | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  let claims: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    claims = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { sub, iat, exp, auth_time: authTime, sid, jti } = claims;
  if (typeof sub !== 'string' || !isSeconds(iat) || !isSeconds(exp)) return undefined;
  const key = typeof sid === 'string' && sid ? `sid:${sid}` : typeof jti === 'string' && jti ? `jti:${jti}` : undefined;
  if (!key) return undefined;
  // A login time after the token was issued cannot be; take the earlier, so a forged-looking value never helps.
  return {
    sub,
    exp,
    authTime: isSeconds(authTime) ? Math.min(authTime, iat) : iat,
    key,
    ...(typeof sid === 'string' && sid ? { sid } : {}),
  };
}

/**
 * Step-up for the terminal, as bastions do it: a root shell needs proof that the operator is at
 * the keyboard now, not only a bearer token that may have been copied. A ticket is issued when
 * the token's login is under TERMINAL_STEP_UP_MS (5 min) old or the password is confirmed (which
 * then counts as a fresh login for that session for as long); a wrong password counts against the login
 * limiter like a failed login. Jarvis's own node also needs its name typed, unless switched off.
 */
@Injectable()
export class TerminalAccessService {
  private readonly confirmed = new Map<string, number>();

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly operators: OperatorDirectory,
    private readonly limiter: LoginRateLimiter,
    private readonly ssh: SshAccess,
    readonly tickets: TerminalTickets,
  ) {}

  /** Nodes whose terminal needs the name typed: the node of Jarvis's own VM, and protected nodes. */
  ownNodes(): string[] {
    if (!this.config.terminalOwnNodeConfirm) return [];
    const p = this.config.protectedResources;
    return [p.jarvis.node, ...(p.nodes ?? []).map((n) => n.node)];
  }

  async issue(username: string, bearer: string, req: TicketRequest, address: string): Promise<TicketResult> {
    const claims = stepUpClaims(bearer);
    if (!claims || claims.sub !== username) throw new ApiError('UNAUTHORIZED', 'invalid token');
    if (!this.ssh.available) throw new ApiError('CONFLICT', 'SSH is not configured on this Jarvis');
    if (!this.ssh.nodes.includes(req.node)) throw new ApiError('BAD_REQUEST', `unknown node "${req.node}"`);
    if (this.ownNodes().includes(req.node) && req.confirmNode !== req.node) {
      throw new ApiError(
        'NODE_CONFIRMATION_REQUIRED',
        `${req.node} runs Jarvis itself: type the node's name to open a terminal there`,
        { node: req.node },
      );
    }
    const now = Date.now();
    if (req.password !== undefined) {
      const gate = this.limiter.check(address, username);
      if (!gate.allowed)
        throw new ApiError('RATE_LIMITED', 'too many failed attempts; try again later', {
          retryAfterSeconds: gate.retryAfterSeconds,
        });
      if ((await this.operators.authenticate(username, req.password)) !== username) {
        this.limiter.recordFailure(address, username);
        throw new ApiError('STEP_UP_FAILED', 'wrong password');
      }
      this.remember(claims.key, now);
    } else if (!this.fresh(claims, now)) {
      throw new ApiError('STEP_UP_REQUIRED', 'confirm your password to open a terminal', { node: req.node });
    }
    const { ticket, expiresAtMs } = this.tickets.issue(username, req.node, claims.exp * 1000, claims.sid);
    return { ticket, expiresAt: new Date(expiresAtMs).toISOString(), node: req.node };
  }

  private fresh(claims: StepUpClaims, now: number): boolean {
    const window = this.config.terminalStepUpMs;
    if (now - claims.authTime * 1000 < window) return true;
    const at = this.confirmed.get(claims.key);
    return at !== undefined && now - at < window;
  }

  private remember(key: string, now: number): void {
    this.confirmed.delete(key);
    this.confirmed.set(key, now);
    for (const [k, at] of this.confirmed) {
      if (this.confirmed.size <= MAX_CONFIRMATIONS && now - at < this.config.terminalStepUpMs) break;
      this.confirmed.delete(k);
    }
  }
}
