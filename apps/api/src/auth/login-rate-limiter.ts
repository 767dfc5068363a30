/**
 * Failed-login throttling, in memory (one API process; a restart forgetting it is acceptable for
 * a homelab, and no shared store exists yet). Two sliding windows: per address and user name, so
 * one account cannot be guessed at, and per address, so one client cannot spray many names.
 * Successful logins are never counted; while a window is full every attempt is refused before
 * the password is checked, so a lucky guess during the lock-out reveals nothing.
 */
export interface LoginRateLimits {
  readonly perUser: number;
  readonly perAddress: number;
  readonly windowMs: number;
  /** Bound on remembered keys, so a flood of distinct names cannot grow memory without end. */
  readonly maxKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginRateLimits = {
  perUser: 5,
  perAddress: 20,
  windowMs: 5 * 60_000,
  maxKeys: 10_000,
};

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits: LoginRateLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  check(address: string, username: string): RateDecision {
    const now = this.now();
    const waits = [
      this.waitFor(userKey(address, username), this.limits.perUser, now),
      this.waitFor(addressKey(address), this.limits.perAddress, now),
    ];
    const wait = Math.max(...waits);
    return wait > 0 ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) } : { allowed: true };
  }

  recordFailure(address: string, username: string): void {
    const now = this.now();
    for (const key of [userKey(address, username), addressKey(address)]) {
      const recent = this.recent(key, now);
      recent.push(now);
      this.failures.delete(key); // re-insert so Map order stays "least recently failed first"
      this.failures.set(key, recent);
    }
    while (this.failures.size > this.limits.maxKeys) {
      const oldest = this.failures.keys().next().value;
      if (oldest === undefined) break;
      this.failures.delete(oldest);
    }
  }

  /** Milliseconds until the window has room again; 0 when it has room now. */
  private waitFor(key: string, limit: number, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < limit) return 0;
    const oldestCounted = recent[recent.length - limit] ?? now;
    return oldestCounted + this.limits.windowMs - now;
  }

  private recent(key: string, now: number): number[] {
    const kept = (this.failures.get(key) ?? []).filter((t) => now - t < this.limits.windowMs);
    if (kept.length === 0) this.failures.delete(key);
    return kept;
  }
}

const userKey = (address: string, username: string): string =>
  `u\u0000${address}\u0000${username.toLowerCase().slice(0, 128)}`;
const addressKey = (address: string): string => `a\u0000${address}`;
