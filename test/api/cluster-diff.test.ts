import { type ClusterGuest, type ClusterNode, type ClusterState } from '@jarvis/activities';
import { diffCluster } from '../../apps/api/src/live/cluster-diff';

const node = (name: string, over: Partial<ClusterNode> = {}): ClusterNode => ({
  name,
  status: 'online',
  cpu: 0.1,
  mem: 1,
  maxmem: 2,
  disk: 1,
  maxdisk: 2,
  uptime: 10,
  temperature: null,
  ...over,
});
const guest = (vmid: number, over: Partial<ClusterGuest> = {}): ClusterGuest => ({
  vmid,
  node: 'pve',
  type: 'qemu',
  name: `vm${vmid}`,
  status: 'running',
  template: false,
  tags: [],
  cpu: 0,
  mem: 1,
  maxmem: 2,
  uptime: 5,
  ...over,
});
const state = (over: Partial<ClusterState> = {}): ClusterState => ({
  quorum: { quorate: true, nodes: 2 },
  nodes: [node('pve'), node('home')],
  guests: [guest(100), guest(101)],
  storage: [
    {
      node: 'pve',
      storage: 'local',
      type: 'dir',
      shared: false,
      used: 1,
      total: 2,
      usedFraction: 0.5,
      status: 'available',
    },
  ],
  updatedAt: '2025-01-01T00:00:00.000Z',
  stale: false,
  ...over,
});

describe('diffCluster', () => {
  it('is undefined when only the timestamp moved', () => {
    expect(diffCluster(state(), state({ updatedAt: '2025-01-01T00:00:02.000Z' }))).toBeUndefined();
  });

  it('carries changed and removed nodes by name and guests by vmid, with the full objects', () => {
    const after = state({
      nodes: [node('pve'), node('home', { status: 'offline' })],
      guests: [guest(100, { status: 'stopped' }), guest(102)],
      updatedAt: 'later',
    });
    expect(diffCluster(state(), after)).toEqual({
      updatedAt: 'later',
      stale: false,
      nodes: { changed: [node('home', { status: 'offline' })], removed: [] },
      guests: { changed: [guest(100, { status: 'stopped' }), guest(102)], removed: [101] },
      storage: { changed: [], removed: [] },
    });
  });

  it('reports quorum, staleness and storage changes', () => {
    const diff = diffCluster(state(), state({ quorum: { quorate: false, nodes: 1 }, stale: true, storage: [] }));
    expect(diff).toMatchObject({
      quorum: { quorate: false, nodes: 1 },
      stale: true,
      storage: { changed: [], removed: ['pve/local'] },
    });
  });
});

describe('diffCluster and refused reads', () => {
  it('sends what Proxmox refuses when it changes, and [] once it can read everything again', () => {
    const base = {
      quorum: { quorate: true, nodes: 1, expected: 1 },
      nodes: [],
      guests: [],
      storage: [],
      updatedAt: '2026-01-01T00:00:00.000Z',
      stale: false,
    };
    const refused = [
      {
        read: '/cluster/status',
        code: 'PERMISSION',
        reason: 'Permission check failed (/, Sys.Audit)',
        unknown: 'quorum and cluster membership',
      },
    ];
    const partial = {
      ...base,
      quorum: { quorate: false, nodes: 1, expected: 1, unknown: true as const },
      unavailable: refused,
    };
    expect(diffCluster(base, partial)).toMatchObject({ unavailable: refused, quorum: partial.quorum });
    expect(diffCluster(partial, { ...partial, updatedAt: '2026-01-01T00:00:01.000Z' })).toBeUndefined();
    expect(diffCluster(partial, base)).toMatchObject({ unavailable: [] });
  });
});
