import { LoginRateLimiter, type LoginRateLimits } from '../../apps/api/src/auth/login-rate-limiter';

describe('LoginRateLimiter', () => {
  let now: number;
  const LIMITS: LoginRateLimits = {
    perAddress: 5,
    windowMs: 60_000,
    freeFailuresPerUser: 3,
    backoffBaseMs: 10_000,
    backoffMaxMs: 80_000,
    userMemoryMs: 600_000,
    maxKeys: 100,
  };
  const limiter = (limits: Partial<LoginRateLimits> = {}): LoginRateLimiter =>
    new LoginRateLimiter({ ...LIMITS, ...limits }, () => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it('backs a name off exponentially after its free failures, from whatever address they come', () => {
    const l = limiter({ perAddress: 1000 });
    for (let i = 0; i < 3; i++) {
      expect(l.check(`10.0.0.${i}`, 'op').allowed).toBe(true);
      l.recordFailure(`10.0.0.${i}`, 'op');
    }
    // Three failures from three addresses: the fourth attempt, from a fourth, waits 10 s.
    expect(l.check('127.0.10.9', 'op')).toEqual({ allowed: false, retryAfterSeconds: 10 });
    expect(l.check('127.0.10.9', 'OP').allowed).toBe(false); // names are compared case-insensitively
    expect(l.check('127.0.10.9', 'other').allowed).toBe(true); // another name is not affected
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const d = l.check('127.0.10.9', 'op');
      if (d.allowed) throw new Error('expected a wait');
      waits.push(d.retryAfterSeconds);
      now += d.retryAfterSeconds * 1000;
      expect(l.check('127.0.10.9', 'op').allowed).toBe(true);
      l.recordFailure(`10.0.1.${i}`, 'op');
    }
    expect(waits).toEqual([10, 20, 40, 80, 80]); // doubling, capped
  });

  it('clears a name’s backoff on success, and forgets old failures', () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) l.recordFailure('127.0.10.1', 'op');
    expect(l.check('127.0.10.2', 'op').allowed).toBe(false);
    l.recordSuccess('op');
    expect(l.check('127.0.10.2', 'op').allowed).toBe(true);
    for (let i = 0; i < 3; i++) l.recordFailure('127.0.10.3', 'dormant');
    now += 600_000;
    expect(l.check('127.0.10.4', 'dormant').allowed).toBe(true);
  });

  it('limits one address spraying many names, in a sliding window', () => {
    const l = limiter();
    for (let i = 0; i < 5; i++) {
      l.recordFailure('127.0.1.9', `user${i}`);
      now += 1000;
    }
    expect(l.check('127.0.1.9', 'fresh-name')).toEqual({ allowed: false, retryAfterSeconds: 55 });
    expect(l.check('127.0.1.8', 'fresh-name').allowed).toBe(true);
    now += 55_000;
    expect(l.check('127.0.1.9', 'fresh-name').allowed).toBe(true);
  });

  it('forgets the oldest keys beyond its bound instead of growing without end', () => {
    const l = limiter({ freeFailuresPerUser: 1, perAddress: 1000, maxKeys: 10 });
    l.recordFailure('a', 'first');
    for (let i = 0; i < 20; i++) l.recordFailure(`b${i}`, `x${i}`);
    expect(l.check('a', 'first').allowed).toBe(true);
    expect(l.check('b19', 'x19').allowed).toBe(false);
  });
});
