import { ClusterTaskWatch, outsideIntent, type PveTaskListEntry } from '@jarvis/activities';
import { capCrashAutonomy } from '@jarvis/worker';
import { type PermitDecision, type PermitRequest } from '@jarvis/workflows/api';

const ME = 'jarvis@pve!ops';
const T = 1_767_000_000;

function task(over: Partial<PveTaskListEntry> = {}): PveTaskListEntry {
  const t = { node: 'pve', type: 'qmstop', id: '100', user: 'root@pam', starttime: T, status: 'OK', ...over };
  return {
    upid: `UPID:${t.node}:00001234:00000001:${t.starttime.toString(16).toUpperCase()}:${t.type}:${t.id}:${t.user}:`,
    ...t,
  };
}

describe('outsideIntent: the wish a Proxmox task by another user expresses', () => {
  it.each<[string, Partial<PveTaskListEntry>, string | undefined]>([
    ['qmstop by root@pam', {}, 'stopped'],
    ['vzshutdown by a user', { type: 'vzshutdown', user: 'alice@pve' }, 'stopped'],
    ['qmstart by another token of the same user', { type: 'qmstart', user: 'jarvis@pve!other' }, 'running'],
    ['vzstart still running', { type: 'vzstart', status: 'RUNNING' }, 'running'],
    ['a running task has no status yet', { type: 'qmreboot', status: undefined }, 'running'],
    ['hastop (an HA guest stopped from the UI)', { type: 'hastop' }, 'stopped'],
    ['Jarvis’s own task (its wish was recorded before the call)', { user: ME }, undefined],
    ['a failed stop changed nothing', { status: 'VM is locked (backup)' }, undefined],
    ['a stop that ended with warnings did stop', { status: 'WARNINGS: 1' }, 'stopped'],
    ['a suspend says nothing', { type: 'qmsuspend' }, undefined],
    ['a backup says nothing', { type: 'vzdump', id: '' }, undefined],
    ['a migration says nothing', { type: 'qmigrate' }, undefined],
    ['a task with no guest id', { id: '' }, undefined],
    ['a guest id that is not a VMID', { id: '10a' }, undefined],
    ['a look-alike type', { type: 'qmstopx' }, undefined],
  ])('%s → %s', (_label, over, desired) => {
    const intent = outsideIntent(task(over), ME);
    expect(intent?.desired).toBe(desired);
    if (intent) {
      expect(intent).toMatchObject({
        vmid: Number(over.id ?? '100'),
        node: 'pve',
        setAt: new Date(T * 1000).toISOString(),
      });
      expect(intent.source).toBe(`pve-task:${task(over).upid}`);
    }
  });
});

describe('ClusterTaskWatch: one request for the whole cluster, at a bounded cadence', () => {
  const setup = (
    tasks: PveTaskListEntry[],
    perms: Record<string, Record<string, boolean>> = { '/': { 'Sys.Audit': true } },
  ) => {
    const recorded: Array<{ vmid: number; desired: string }> = [];
    let calls = 0;
    let permissionCalls = 0;
    const seen: unknown[] = [];
    const watch = new ClusterTaskWatch({
      pve: {
        apiUser: ME,
        clusterTasks: () => {
          calls++;
          return Promise.resolve(tasks);
        },
        permissions: () => {
          permissionCalls++;
          return Promise.resolve(perms);
        },
      },
      store: {
        record: (i) => {
          recorded.push({ vmid: i.vmid, desired: i.desired });
          return Promise.resolve(true);
        },
        observe: () => Promise.resolve(),
        list: () => Promise.resolve([]),
      },
      minIntervalMs: 60_000,
      onVisibility: (v) => {
        seen.push(v);
      },
    });
    return { watch, recorded, calls: () => calls, permissionCalls: () => permissionCalls, seen };
  };

  it('reads once per interval unless forced, and records the newest task of a guest last', async () => {
    const s = setup([
      task({ type: 'qmstart', starttime: T + 5 }),
      task({ starttime: T }),
      task({ user: ME, id: '101' }),
    ]);
    expect(await s.watch.sync(false)).toBe(2);
    expect(await s.watch.sync(false)).toBe(0);
    expect(s.calls()).toBe(1);
    await s.watch.sync(true);
    expect(s.calls()).toBe(2);
    // Oldest first: the stop, then the newer start, which the store keeps.
    expect(s.recorded.slice(0, 2)).toEqual([
      { vmid: 100, desired: 'stopped' },
      { vmid: 100, desired: 'running' },
    ]);
  });

  it.each<[string, Record<string, Record<string, boolean>>, boolean]>([
    ['Sys.Audit on /', { '/': { 'Sys.Audit': true } }, true],
    ['no Sys.Audit', { '/': { 'VM.PowerMgmt': true } }, false],
    ['Sys.Audit held as 0', { '/': { 'Sys.Audit': false } }, false],
    ['Sys.Audit only on one node (the cluster list needs /)', { '/nodes/pve': { 'Sys.Audit': true } }, false],
    ['no privileges at all', {}, false],
  ])('visibility with %s', async (_label, perms, visible) => {
    const s = setup([], perms);
    const v = await s.watch.visibility();
    expect(v.othersVisible).toBe(visible);
    if (!visible) expect(v.reason).toMatch(/Sys\.Audit|privileges/);
    // Cached: a second ask does not call PVE again, and the store was told once.
    await s.watch.visibility();
    expect(s.permissionCalls()).toBe(1);
    expect(s.seen).toHaveLength(1);
  });
});

describe('capCrashAutonomy: without Sys.Audit the crashed-VM runbook asks', () => {
  const request = (over: Partial<PermitRequest> = {}): PermitRequest => ({
    requestId: 'r1',
    workflowId: 'remediate:vm-crashed:100',
    incident: {
      key: 'remediate:vm-crashed:100',
      class: 'vm-crashed',
      severity: 'major',
      subject: { node: 'pve', vmid: 100 },
      evidence: {},
    },
    tier: 'YELLOW',
    ...over,
  });
  const allow: PermitDecision = {
    kind: 'allow',
    ruleId: 'autonomy-act-and-report',
    reason: 'vm-crashed is at L3: act and report',
    autonomy: 'L3',
    attemptId: 'attempt-1',
    attemptsInWindow: 1,
  };
  const hidden = { othersVisible: false, reason: 'the API token lacks Sys.Audit on /', checkedAt: '' };
  const visible = { ...hidden, othersVisible: true };

  it('turns an unapproved allow into an L2 ask, without the attempt', () => {
    const capped = capCrashAutonomy(request(), allow, hidden);
    expect(capped).toMatchObject({ kind: 'ask', ruleId: 'autonomy-recommend', autonomy: 'L2', attemptsInWindow: 0 });
    expect(capped?.reason).toContain('Sys.Audit');
    expect(capped).not.toHaveProperty('attemptId');
  });

  it.each<[string, PermitRequest, PermitDecision, typeof hidden]>([
    ['Sys.Audit held', request(), allow, visible],
    ['an operator approved it', request({ approvedBy: 'operator' }), allow, hidden],
    ['another incident class', request({ incident: { ...request().incident, class: 'node-down' } }), allow, hidden],
    ['the guardian already waits', request(), { ...allow, kind: 'wait', ruleId: 'kill-switch' }, hidden],
    ['the guardian already denies', request(), { ...allow, kind: 'deny', ruleId: 'protected-resource' }, hidden],
  ])('leaves the decision alone when %s', (_label, req, decision, v) => {
    expect(capCrashAutonomy(req, decision, v)).toBeUndefined();
  });
});
