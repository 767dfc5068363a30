/**
 * Failed-login throttling, in memory (one API process; a restart forgetting it is acceptable for
 * a homelab, and no shared store exists yet). Two independent brakes:
 * - per client address, a sliding window, so one client cannot spray many names (the address is
 *   the real client's only through TRUSTED_PROXIES, see client-address.ts);
 * - per user name, whatever the address, an exponential backoff after a few free failures, so an
 *   attacker rotating addresses still gets only a handful of guesses an hour at one account, while
 *   one attacker behind a shared proxy slows down the names they guess, not every operator.
 * Successful logins are never counted and clear the name's backoff; while a brake is on, every
 * attempt is refused before the password is checked, so a lucky guess during it reveals nothing.
 */
export interface LoginRateLimits {
  readonly perAddress: number;
  readonly windowMs: number;
  /** Failures of one name (from anywhere) before the backoff starts. */
  readonly freeFailuresPerUser: number;
  /** The first wait; each further failure doubles it, up to `backoffMaxMs`. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** A name's failures are forgotten this long after its last one. */
  readonly userMemoryMs: number;
  /** Bound on remembered keys, so a flood of distinct names cannot grow memory without end. */
  readonly maxKeys: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginRateLimits = {
  perAddress: 20,
  windowMs: 5 * 60_000,
  freeFailuresPerUser: 5,
  backoffBaseMs: 30_000,
  backoffMaxMs: 15 * 60_000,
  userMemoryMs: 60 * 60_000,
  maxKeys: 10_000,
};

export type RateDecision = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

interface UserFailures {
  count: number;
  lastMs: number;
}

export class LoginRateLimiter {
  private readonly byAddress = new Map<string, number[]>();
  private readonly byUser = new Map<string, UserFailures>();

  constructor(
    private readonly limits: LoginRateLimits = DEFAULT_LOGIN_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  check(address: string, username: string): RateDecision {
    const now = this.now();
    const wait = Math.max(this.addressWait(address, now), this.userWait(userKey(username), now));
    return wait > 0 ? { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) } : { allowed: true };
  }

  recordFailure(address: string, username: string): void {
    const now = this.now();
    const recent = this.recentOf(address, now);
    recent.push(now);
    touch(this.byAddress, address, recent);
    const key = userKey(username);
    const previous = this.currentUser(key, now);
    touch(this.byUser, key, { count: (previous?.count ?? 0) + 1, lastMs: now });
    bound(this.byAddress, this.limits.maxKeys);
    bound(this.byUser, this.limits.maxKeys);
  }

  /** The right password clears the name's backoff (the address window stays: it counts failures only). */
  recordSuccess(username: string): void {
    this.byUser.delete(userKey(username));
  }

  /** Milliseconds until the address's window has room again; 0 when it has room now. */
  private addressWait(address: string, now: number): number {
    const recent = this.recentOf(address, now);
    if (recent.length < this.limits.perAddress) return 0;
    const oldestCounted = recent[recent.length - this.limits.perAddress] ?? now;
    return oldestCounted + this.limits.windowMs - now;
  }

  private userWait(key: string, now: number): number {
    const failures = this.currentUser(key, now);
    if (!failures || failures.count < this.limits.freeFailuresPerUser) return 0;
    const exponent = Math.min(failures.count - this.limits.freeFailuresPerUser, 30);
    const backoff = Math.min(this.limits.backoffMaxMs, this.limits.backoffBaseMs * 2 ** exponent);
    return Math.max(0, failures.lastMs + backoff - now);
  }

  private currentUser(key: string, now: number): UserFailures | undefined {
    const failures = this.byUser.get(key);
    if (failures && now - failures.lastMs >= this.limits.userMemoryMs) {
      this.byUser.delete(key);
      return undefined;
    }
    return failures;
  }

  private recentOf(address: string, now: number): number[] {
    const kept = (this.byAddress.get(address) ?? []).filter((t) => now - t < this.limits.windowMs);
    if (kept.length === 0) this.byAddress.delete(address);
    return kept;
  }
}

const userKey = (username: string): string => username.toLowerCase().slice(0, 128);

/** Re-inserts, so Map order stays "least recently failed first" for `bound`. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
}

function bound(map: Map<string, unknown>, max: number): void {
  while (map.size > max) {
    const oldest = map.keys().next().value;
    if (oldest === undefined) break;
    map.delete(oldest);
  }
}
