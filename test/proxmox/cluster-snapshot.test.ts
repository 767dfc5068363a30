import { ClusterSnapshot } from '../../activities/src/proxmox/cluster-snapshot';
import { parseClusterStatus, partitionResources } from '../../activities/src/proxmox/normalize';
import { ProxmoxError } from '../../activities/src/proxmox/proxmox.errors';

/** A stand-in for the two upstream calls, counting them and failing on demand. */
function fakeUpstream() {
  const calls = { status: 0, resources: 0 };
  let fail: ProxmoxError | undefined;
  let name = 'vm-a';
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  const client = {
    async clusterStatus() {
      calls.status++;
      if (gate) await gate;
      if (fail) throw fail;
      return parseClusterStatus([
        { type: 'cluster', nodes: 1, quorate: 1 },
        { type: 'node', name: 'pve', online: 1 },
      ]);
    },
    async clusterResources() {
      calls.resources++;
      if (gate) await gate;
      if (fail) throw fail;
      return partitionResources([{ type: 'qemu', vmid: 100, node: 'pve', name, status: 'running' }, { type: 'qemu' }]);
    },
  };
  return {
    client,
    calls,
    setFail: (e: ProxmoxError | undefined) => (fail = e),
    setName: (n: string) => (name = n),
    hold: (): void => {
      gate = new Promise<void>((r) => (release = r));
    },
    release: () => {
      gate = undefined;
      release?.();
    },
  };
}

describe('ClusterSnapshot', () => {
  let clock = 1_000_000;
  const now = () => clock;
  beforeEach(() => {
    clock = 1_000_000;
  });

  it('shares one in-flight fetch among concurrent callers', async () => {
    const up = fakeUpstream();
    const snap = new ClusterSnapshot({ client: up.client, ttlMs: 2000, now });
    up.hold();
    const pending = Array.from({ length: 25 }, () => snap.get());
    up.release();
    const states = await Promise.all(pending);
    expect(up.calls).toEqual({ status: 1, resources: 1 });
    expect(new Set(states.map((s) => JSON.stringify(s))).size).toBe(1);
    expect(states[0]?.guests.map((g) => g.name)).toEqual(['vm-a']);
    expect(snap.stats).toMatchObject({ fetches: 1, dropped: 1 });
  });

  it('serves from memory within the TTL and refetches after it', async () => {
    const up = fakeUpstream();
    const snap = new ClusterSnapshot({ client: up.client, ttlMs: 2000, now });
    await snap.get();
    up.setName('vm-b');
    clock += 1999;
    expect((await snap.get()).guests[0]?.name).toBe('vm-a');
    clock += 1;
    expect((await snap.get()).guests[0]?.name).toBe('vm-b');
    expect(up.calls.status).toBe(2);
  });

  it('hands each caller its own copy', async () => {
    const up = fakeUpstream();
    const snap = new ClusterSnapshot({ client: up.client, now });
    const first = await snap.get();
    first.guests.length = 0;
    expect((await snap.get()).guests).toHaveLength(1);
  });

  it('returns the last good state marked stale when upstream fails, and keeps its time', async () => {
    const up = fakeUpstream();
    const snap = new ClusterSnapshot({ client: up.client, ttlMs: 2000, now });
    const good = await snap.get();
    clock += 5000;
    up.setFail(new ProxmoxError('NODE_UNREACHABLE', 'No route to host', { status: 595 }));
    const stale = await snap.get();
    expect(stale.stale).toBe(true);
    expect(stale.updatedAt).toBe(good.updatedAt);
    expect(stale.guests).toEqual(good.guests);
    expect(snap.stats.lastError).toMatchObject({ code: 'NODE_UNREACHABLE' });

    // The failure is remembered for the TTL too: a down upstream is not hammered.
    const before = up.calls.status;
    await snap.get();
    expect(up.calls.status).toBe(before);

    clock += 2000;
    up.setFail(undefined);
    const fresh = await snap.get();
    expect(fresh.stale).toBe(false);
    expect(snap.stats.lastError).toBeUndefined();
  });

  it('throws the ProxmoxError when there never was a good state', async () => {
    const up = fakeUpstream();
    up.setFail(new ProxmoxError('AUTH', 'Authentication failed!', { status: 401 }));
    const snap = new ClusterSnapshot({ client: up.client, now });
    await expect(snap.get()).rejects.toMatchObject({ name: 'ProxmoxError', code: 'AUTH' });
    await expect(snap.get()).rejects.toMatchObject({ code: 'AUTH' });
    expect(up.calls.status).toBe(1);
  });

  it('refetches at once after invalidate()', async () => {
    const up = fakeUpstream();
    const snap = new ClusterSnapshot({ client: up.client, now });
    await snap.get();
    snap.invalidate();
    await snap.get();
    expect(up.calls.status).toBe(2);
  });
});

describe('ClusterSnapshot with a refused status read', () => {
  it('serves /cluster/resources with quorum unknown and the reason, not a failure', async () => {
    const refused = new ProxmoxError('PERMISSION', 'Permission check failed (/, Sys.Audit)', { status: 403 });
    const snapshot = new ClusterSnapshot({
      client: {
        clusterStatus: () => Promise.reject(refused),
        clusterResources: () =>
          Promise.resolve(
            partitionResources([
              { type: 'node', node: 'pve', status: 'online' },
              { type: 'qemu', vmid: 100, node: 'pve', name: 'web', status: 'running' },
            ]),
          ),
      },
    });
    const state = await snapshot.get();
    expect(state.guests.map((g) => g.vmid)).toEqual([100]);
    expect(state.quorum).toMatchObject({ unknown: true, nodes: 1 });
    expect(state.unavailable).toEqual([
      {
        read: '/cluster/status',
        code: 'PERMISSION',
        reason: 'Permission check failed (/, Sys.Audit)',
        unknown: 'quorum and cluster membership',
      },
    ]);
    expect(snapshot.stats.lastError).toBeUndefined();
  });

  it('still fails on a node that cannot be reached, which is no refusal', async () => {
    const down = new ProxmoxError('NODE_UNREACHABLE', 'No route to host', { status: 595 });
    const snapshot = new ClusterSnapshot({
      client: {
        clusterStatus: () => Promise.reject(down),
        clusterResources: () => Promise.resolve(partitionResources([])),
      },
    });
    await expect(snapshot.get()).rejects.toMatchObject({ code: 'NODE_UNREACHABLE' });
  });
});
