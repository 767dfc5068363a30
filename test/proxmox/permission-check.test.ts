import { PermissionSelfCheck, taskVisibilityOf, type PermissionCheckStore } from '@jarvis/activities';
import { type StoredPermissionCheck } from '@jarvis/db';

/** The token self-check's caching and sharing, over a stub client and a memory store. */
describe('PermissionSelfCheck', () => {
  const ROOT = { '/': { 'Sys.Audit': 1, 'VM.Audit': 1, 'VM.PowerMgmt': 1 } };
  const setup = (answer: () => Promise<unknown>) => {
    let calls = 0;
    let stored: StoredPermissionCheck | null = null;
    const store: PermissionCheckStore = {
      read: () => Promise.resolve(stored),
      write: (c) => {
        stored = c;
        return Promise.resolve();
      },
    };
    const check = new PermissionSelfCheck({
      pve: {
        apiUser: 'jarvis@pve!ops',
        permissions: () => {
          calls++;
          return answer();
        },
      },
      store,
      everyMs: 60_000,
    });
    return { check, calls: () => calls, stored: () => stored, put: (c: StoredPermissionCheck) => (stored = c) };
  };

  it('checks on its first ask even when the store holds a fresh check, then trusts the newest for a while', async () => {
    const s = setup(() => Promise.resolve(ROOT));
    s.put({ checkedAt: new Date().toISOString(), tokenUser: 'old', privileges: {} });
    const first = await s.check.current();
    expect(s.calls()).toBe(1);
    expect(first.tokenUser).toBe('jarvis@pve!ops');
    expect(first.capabilities.find((c) => c.id === 'guest.power')?.status).toBe('available');
    expect(s.stored()?.privileges).toEqual(ROOT);
    await s.check.current();
    expect(s.calls()).toBe(1);
    // A newer check by another process (the dashboard's "check again") is taken as it is.
    s.put({ checkedAt: new Date(Date.now() + 1000).toISOString(), tokenUser: 'jarvis@pve!ops', privileges: {} });
    expect((await s.check.current()).capabilities.every((c) => c.status === 'unavailable')).toBe(true);
    expect(s.calls()).toBe(1);
    // One from far in the future is not trusted for ever.
    s.put({ checkedAt: new Date(Date.now() + 3_600_000).toISOString(), tokenUser: 'x', privileges: {} });
    await s.check.current();
    expect(s.calls()).toBe(2);
  });

  it('shares one call between concurrent asks', async () => {
    const s = setup(() => new Promise((r) => setTimeout(() => r(ROOT), 20)));
    await Promise.all([s.check.current(), s.check.current(), s.check.checkNow()]);
    expect(s.calls()).toBe(1);
  });

  it('a failed read is a report: nothing available, the reason kept, tried again sooner', async () => {
    const s = setup(() => Promise.reject(new Error('connect ECONNREFUSED')));
    const report = await s.check.current();
    expect(report.error).toContain('ECONNREFUSED');
    expect(report.capabilities.every((c) => c.status === 'unavailable')).toBe(true);
    expect(taskVisibilityOf(report)).toMatchObject({
      othersVisible: false,
      reason: expect.stringContaining('could not be read'),
    });
    // Trusted for 30 s only, not the 60 s a good check is.
    jest.useFakeTimers({ now: Date.now() + 31_000, doNotFake: ['setTimeout', 'setImmediate', 'nextTick'] });
    try {
      await s.check.current();
      expect(s.calls()).toBe(2);
    } finally {
      jest.useRealTimers();
    }
  });

  it('a caller that gives up does not end the check others wait for', async () => {
    const s = setup(() => new Promise((r) => setTimeout(() => r(ROOT), 30)));
    const abort = new AbortController();
    const mine = s.check.checkNow(abort.signal);
    const theirs = s.check.current();
    abort.abort(new Error('cancelled'));
    await expect(mine).rejects.toThrow('cancelled');
    expect((await theirs).error).toBeUndefined();
    expect(s.calls()).toBe(1);
  });

  it("other users' tasks: visible only when tasks.others is available, else the missing privilege is named", async () => {
    const report = (privileges: unknown) => setup(() => Promise.resolve(privileges)).check.checkNow();
    expect(taskVisibilityOf(await report({ '/': { 'Sys.Audit': 1 } })).othersVisible).toBe(true);
    expect(taskVisibilityOf(await report({ '/': { 'Sys.Audit': 0 } }))).toMatchObject({
      othersVisible: false,
      reason: expect.stringContaining('Sys.Audit on /nodes'),
    });
    expect(taskVisibilityOf(await report({ '/nodes/pve': { 'Sys.Audit': 1 } }))).toMatchObject({
      othersVisible: false,
      reason: expect.stringContaining('Sys.Audit on /,'),
    });
  });
});
