import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import {
  adoptionSince,
  candidateTaskTypes,
  createProxmoxActivities,
  findAdoptableTask,
  pickAdoptableTask,
  toApplicationFailure,
  type AdoptionCriteria,
} from '../../activities/src/proxmox/proxmox.activities';
import { type ProxmoxClient } from '../../activities/src/proxmox/proxmox.client';
import { ProxmoxError } from '../../activities/src/proxmox/proxmox.errors';
import { type PveTaskListEntry } from '../../activities/src/proxmox/task-records';

// Failed activities are expected here; keep the SDK's per-failure WARN logs out of the output.
const quiet = new DefaultLogger('ERROR');
const envFor = (info?: ConstructorParameters<typeof MockActivityEnvironment>[0]) =>
  new MockActivityEnvironment(info, { logger: quiet });
// MockActivityEnvironment.run cannot infer an activity's result type; this keeps tests typed.
const run = <A, R>(env: MockActivityEnvironment, fn: (arg: A) => Promise<R>, arg: A): Promise<R> =>
  env.run<[A], R, (arg: A) => Promise<R>>(fn, arg);

const ME = 'jarvis@pve!ops';
const T0 = 1_746_000_000; // seconds
const criteria: AdoptionCriteria = {
  node: 'pve',
  vmid: 100,
  kind: 'qemu',
  action: 'stop',
  notBeforeMs: T0 * 1000 + 400,
  apiUser: ME,
};

/** Records every wish, in order, into `calls` too, so a test can see it came before the Proxmox call. */
function wishes(calls: string[] = []) {
  const recorded: Array<{ vmid: number; node: string; desired: string; source: string }> = [];
  return {
    recorded,
    store: {
      record: (i: { vmid: number; node: string; desired: string; source: string }) => {
        calls.push(`record:${i.desired}`);
        recorded.push({ vmid: i.vmid, node: i.node, desired: i.desired, source: i.source });
        return Promise.resolve(true);
      },
    },
  };
}

function task(overrides: Partial<PveTaskListEntry>): PveTaskListEntry {
  const t = { node: 'pve', type: 'qmstop', id: '100', user: ME, starttime: T0 + 2, ...overrides };
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
  return { upid: `UPID:${t.node}:0000AAAA:${hex(t.starttime)}:${hex(t.starttime)}:${t.type}:${t.id}:${t.user}:`, ...t };
}

describe('pickAdoptableTask', () => {
  it('maps actions to the task types PVE records, including the HA redirection', () => {
    expect(candidateTaskTypes('qemu', 'stop')).toEqual(['qmstop', 'hastop']);
    expect(candidateTaskTypes('lxc', 'start')).toEqual(['vzstart', 'hastart']);
    expect(candidateTaskTypes('lxc', 'shutdown')).toEqual(['vzshutdown', 'hastop']);
    expect(candidateTaskTypes('qemu', 'reboot')).toEqual(['qmreboot']);
    expect(adoptionSince(criteria.notBeforeMs)).toBe(T0 - 1);
  });

  it('adopts our own matching task', () => {
    const mine = task({});
    expect(pickAdoptableTask([mine], criteria)).toBe(mine);
  });

  it('adopts an hastop left by an HA-managed guest', () => {
    const ha = task({ type: 'hastop' });
    expect(pickAdoptableTask([ha], criteria)).toBe(ha);
  });

  it.each([
    ['another user', { user: 'root@pam' }],
    ['another token of the same user', { user: 'jarvis@pve!other' }],
    ['another guest', { id: '101' }],
    ['another node', { node: 'agent1' }],
    ['another action', { type: 'qmstart' }],
    ['a task older than the action', { starttime: T0 - 2 }],
  ])('ignores %s', (_label, overrides) => {
    expect(pickAdoptableTask([task(overrides as Partial<PveTaskListEntry>)], criteria)).toBeUndefined();
  });

  it('prefers the earliest match: that is the call that got through first', () => {
    const first = task({ starttime: T0 + 1 });
    const later = task({ starttime: T0 + 5 });
    expect(pickAdoptableTask([later, first], criteria)).toBe(first);
  });

  it('findAdoptableTask asks once per candidate type, with vmid, since and source=all', async () => {
    const asked: unknown[] = [];
    const fake = {
      apiUser: ME,
      listTasks: (node: string, filter: object) => {
        asked.push({ node, ...filter });
        return Promise.resolve(
          filter && (filter as { typefilter?: string }).typefilter === 'hastop' ? [task({ type: 'hastop' })] : [],
        );
      },
    } as unknown as Pick<ProxmoxClient, 'listTasks' | 'apiUser'>;
    const found = await findAdoptableTask(fake, criteria);
    expect(found?.type).toBe('hastop');
    expect(asked).toEqual([
      { node: 'pve', vmid: 100, typefilter: 'qmstop', since: T0 - 1, source: 'all', limit: 50 },
      { node: 'pve', vmid: 100, typefilter: 'hastop', since: T0 - 1, source: 'all', limit: 50 },
    ]);
  });
});

describe('activity error mapping', () => {
  it.each([
    ['NODE_UNREACHABLE', false],
    ['TIMEOUT', false],
    ['UPSTREAM', false],
    ['NO_QUORUM', false],
    ['AUTH', true],
    ['LOCKED', true],
    ['NOT_FOUND', true],
    ['BAD_REQUEST', true],
  ] as const)('%s → nonRetryable %s', (code, nonRetryable) => {
    const failure = toApplicationFailure(new ProxmoxError(code, 'why', { status: 500 }));
    expect(failure).toMatchObject({ type: code, message: 'why', nonRetryable });
  });

  it('passes other errors through untouched', () => {
    const err = new Error('boom');
    expect(toApplicationFailure(err)).toBe(err);
  });

  it('issuePowerAction on a first attempt never looks for tasks, on a retry it adopts', async () => {
    const calls: string[] = [];
    const existing = task({ starttime: T0 + 1 });
    const fake = {
      apiUser: ME,
      listTasks: () => {
        calls.push('listTasks');
        return Promise.resolve([existing]);
      },
      powerAction: () => {
        calls.push('powerAction');
        return Promise.resolve('UPID:pve:0000BBBB:00000001:6810DB01:qmstop:100:jarvis@pve!ops:');
      },
    } as unknown as ProxmoxClient;
    const acts = createProxmoxActivities({ pve: fake, desired: wishes(calls).store });
    const input = {
      node: 'pve',
      vmid: 100,
      kind: 'qemu' as const,
      action: 'stop' as const,
      notBeforeMs: criteria.notBeforeMs,
    };

    const first = await run(envFor({ attempt: 1 }), acts.issuePowerAction, input);
    expect(first).toEqual({ upid: 'UPID:pve:0000BBBB:00000001:6810DB01:qmstop:100:jarvis@pve!ops:', adopted: false });
    expect(calls).toEqual(['record:stopped', 'powerAction']);

    calls.length = 0;
    const retry = await run(envFor({ attempt: 2 }), acts.issuePowerAction, input);
    expect(retry).toEqual({ upid: existing.upid, adopted: true });
    // The wish again, then one lookup per candidate type (qmstop, hastop), and no new stop.
    expect(calls).toEqual(['record:stopped', 'listTasks', 'listTasks']);
  });

  it.each([
    ['start', 'running'],
    ['resume', 'running'],
    ['reboot', 'running'],
    ['stop', 'stopped'],
    ['shutdown', 'stopped'],
    ['suspend', undefined],
  ] as const)('%s records the desired state %s before its Proxmox call', async (action, desired) => {
    const calls: string[] = [];
    const w = wishes(calls);
    const fake = {
      apiUser: ME,
      listTasks: () => Promise.resolve([]),
      powerAction: () => {
        calls.push('powerAction');
        return Promise.resolve(`UPID:pve:0000BBBB:00000001:6810DB01:qm${action}:100:jarvis@pve!ops:`);
      },
    } as unknown as ProxmoxClient;
    const acts = createProxmoxActivities({ pve: fake, desired: w.store });
    await run(envFor({ attempt: 1 }), acts.issuePowerAction, {
      node: 'pve',
      vmid: 100,
      kind: 'qemu',
      action,
      notBeforeMs: 0,
    });
    expect(calls).toEqual(desired ? [`record:${desired}`, 'powerAction'] : ['powerAction']);
    if (desired) {
      // The source is the workflow that asked (the mock environment's workflow ID).
      expect(w.recorded).toEqual([{ vmid: 100, node: 'pve', desired, source: expect.any(String) as string }]);
    }
  });

  it('a wish that cannot be recorded fails the attempt before Proxmox hears of the action', async () => {
    const powerAction = jest.fn();
    const fake = { powerAction, listTasks: jest.fn(), apiUser: ME } as unknown as ProxmoxClient;
    const acts = createProxmoxActivities({
      pve: fake,
      desired: { record: () => Promise.reject(new Error('database down')) },
    });
    await expect(
      run(envFor({ attempt: 1 }), acts.issuePowerAction, {
        node: 'pve',
        vmid: 100,
        kind: 'qemu',
        action: 'stop',
        notBeforeMs: 0,
      }),
    ).rejects.toThrow('database down');
    expect(powerAction).not.toHaveBeenCalled();
  });

  it('rejects a hostile node name before any call, as a non-retryable BAD_REQUEST', async () => {
    const powerAction = jest.fn();
    const listTasks = jest.fn();
    const fake = { powerAction, listTasks, apiUser: ME } as unknown as ProxmoxClient;
    const acts = createProxmoxActivities({ pve: fake, desired: wishes().store });
    const pending = run(envFor({ attempt: 3 }), acts.issuePowerAction, {
      node: 'pve/../../cluster',
      vmid: 100,
      kind: 'qemu',
      action: 'stop',
      notBeforeMs: 0,
    });
    await expect(pending).rejects.toMatchObject({
      name: 'ApplicationFailure',
      type: 'BAD_REQUEST',
      nonRetryable: true,
    });
    expect(powerAction).not.toHaveBeenCalled();
    expect(listTasks).not.toHaveBeenCalled();
  });
});
