import { LoginRateLimiter } from '../../apps/api/src/auth/login-rate-limiter';

describe('LoginRateLimiter', () => {
  let now: number;
  const limiter = (): LoginRateLimiter =>
    new LoginRateLimiter({ perUser: 3, perAddress: 5, windowMs: 60_000, maxKeys: 100 }, () => now);
  beforeEach(() => {
    now = 1_000_000;
  });

  it('allows the limit of failures per address and name, then refuses with the wait until the oldest leaves the window', () => {
    const l = limiter();
    for (let i = 0; i < 3; i++) {
      expect(l.check('127.0.1.1', 'op').allowed).toBe(true);
      l.recordFailure('127.0.1.1', 'op');
      now += 1000;
    }
    expect(l.check('127.0.1.1', 'op')).toEqual({ allowed: false, retryAfterSeconds: 57 });
    expect(l.check('127.0.1.1', 'OP').allowed).toBe(false); // names are compared case-insensitively
    expect(l.check('127.0.1.2', 'op').allowed).toBe(true); // another address is not affected
    expect(l.check('127.0.1.1', 'other').allowed).toBe(true); // another name has its own budget
    now += 57_000;
    expect(l.check('127.0.1.1', 'op').allowed).toBe(true);
  });

  it('limits one address spraying many names', () => {
    const l = limiter();
    for (let i = 0; i < 5; i++) l.recordFailure('127.0.1.9', `user${i}`);
    expect(l.check('127.0.1.9', 'fresh-name')).toEqual({ allowed: false, retryAfterSeconds: 60 });
    expect(l.check('127.0.1.8', 'fresh-name').allowed).toBe(true);
  });

  it('forgets the oldest keys beyond its bound instead of growing without end', () => {
    const l = new LoginRateLimiter({ perUser: 1, perAddress: 1000, windowMs: 60_000, maxKeys: 10 }, () => now);
    l.recordFailure('a', 'first');
    for (let i = 0; i < 20; i++) l.recordFailure(`b${i}`, 'x');
    expect(l.check('a', 'first').allowed).toBe(true);
    expect(l.check('b19', 'x').allowed).toBe(false);
  });
});
