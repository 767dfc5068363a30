import {
  type ApprovalView,
  type ClusterGuest,
  type ClusterNode,
  type ClusterState,
  type ClusterStorage,
} from '../../../apps/web/src/lib/api-types';

export const node = (name: string, over: Partial<ClusterNode> = {}): ClusterNode => ({
  name,
  status: 'online',
  cpu: 0.1,
  mem: 4,
  maxmem: 16,
  disk: 10,
  maxdisk: 100,
  uptime: 3600,
  temperature: null,
  ...over,
});

export const guest = (vmid: number, over: Partial<ClusterGuest> = {}): ClusterGuest => ({
  vmid,
  node: 'pve',
  type: 'qemu',
  name: `vm${vmid}`,
  status: 'running',
  template: false,
  tags: [],
  cpu: 0.05,
  mem: 1,
  maxmem: 2,
  uptime: 60,
  ...over,
});

export const storage = (nodeName: string, name: string, usedFraction = 0.5): ClusterStorage => ({
  node: nodeName,
  storage: name,
  type: 'dir',
  shared: false,
  used: usedFraction * 100,
  total: 100,
  usedFraction,
  status: 'available',
});

export const clusterState = (over: Partial<ClusterState> = {}): ClusterState => ({
  quorum: { quorate: true, nodes: 2, expected: 2 },
  nodes: [node('pve'), node('home')],
  guests: [guest(100), guest(101, { node: 'home', name: 'dns' }), guest(102, { hastate: 'started' })],
  storage: [storage('pve', 'local'), storage('home', 'local')],
  updatedAt: '2026-01-01T00:00:00.000Z',
  stale: false,
  ...over,
});

export const approval = (over: Partial<ApprovalView> = {}): ApprovalView => ({
  id: 'vm-action:pve:100:stop:A:approval',
  workflowId: 'vm-action:pve:100:stop:A',
  version: 1,
  state: 'pending',
  tier: 'YELLOW',
  action: 'stop',
  target: { node: 'pve', vmid: 100, type: 'qemu' },
  resourceName: 'web-01',
  reason: 'patching',
  requestedBy: { kind: 'operator', id: 'operator' },
  requestedAt: '2026-01-01T00:00:00.000Z',
  expiresAt: '2026-01-01T00:10:00.000Z',
  fingerprint: 'fp-1',
  blastRadius: { guests: [100], nodes: ['pve'] },
  twoPerson: true,
  decisions: [],
  ...over,
});
