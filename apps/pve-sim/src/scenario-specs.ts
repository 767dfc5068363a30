import { type GuestType } from './model';

// The default cluster's fixed layout; scenario.ts adds the seeded figures.

export interface NodeSpec {
  name: string;
  cpuModel: string;
  sockets: number;
  cores: number;
  threads: number;
  mhz: string;
  memGiB: number;
  rootGiB: number;
  lvmGiB: number;
  legacy: boolean;
  wol: boolean;
  bootMode: 'efi' | 'legacy-bios';
}

// home is the node this API endpoint runs on. agent is an older box still on 8.0, so it shows the
// pre-8.1 string vmids in its LXC list; it also has no wake-on-LAN MAC, to exercise that error.
export const NODE_SPECS: NodeSpec[] = [
  {
    name: 'home',
    cpuModel: 'Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz',
    sockets: 1,
    cores: 6,
    threads: 12,
    mhz: '3200.000',
    memGiB: 32,
    rootGiB: 94,
    lvmGiB: 349,
    legacy: false,
    wol: true,
    bootMode: 'efi',
  },
  {
    name: 'pve',
    cpuModel: 'AMD Ryzen 9 5950X 16-Core Processor',
    sockets: 1,
    cores: 16,
    threads: 32,
    mhz: '3400.000',
    memGiB: 64,
    rootGiB: 94,
    lvmGiB: 1800,
    legacy: false,
    wol: true,
    bootMode: 'efi',
  },
  {
    name: 'agent1',
    cpuModel: '12th Gen Intel(R) Core(TM) i5-12500',
    sockets: 1,
    cores: 6,
    threads: 12,
    mhz: '3000.000',
    memGiB: 32,
    rootGiB: 68,
    lvmGiB: 400,
    legacy: false,
    wol: true,
    bootMode: 'efi',
  },
  {
    name: 'agent',
    cpuModel: 'Intel(R) N100',
    sockets: 1,
    cores: 4,
    threads: 4,
    mhz: '806.000',
    memGiB: 16,
    rootGiB: 58,
    lvmGiB: 150,
    legacy: true,
    wol: false,
    bootMode: 'legacy-bios',
  },
];

/** Resource pools: `lab` holds a stopped desktop VM and a running k8s node, both on `pve`. */
export const POOL_SPECS: ReadonlyArray<{ poolid: string; comment: string; members: readonly number[] }> = [
  { poolid: 'lab', comment: 'Lab machines', members: [107, 111] },
];

export interface GuestSpec {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  running: boolean;
  cpus: number;
  memGiB: number;
  diskGiB: number;
  tags: string[];
  lock?: string;
  template?: boolean;
  ha?: boolean;
  onboot?: boolean;
}

// VMID 100 is deliberately a plain running VM: it is the lowest id and scripts pick it first.
// 103 is Jarvis itself. 105 holds a stale backup lock while stopped; 102 is HA-managed.
export const GUEST_SPECS: GuestSpec[] = [
  {
    vmid: 100,
    type: 'qemu',
    node: 'pve',
    name: 'web-01',
    running: true,
    cpus: 2,
    memGiB: 4,
    diskGiB: 32,
    tags: ['prod', 'web'],
    onboot: true,
  },
  {
    vmid: 101,
    type: 'lxc',
    node: 'home',
    name: 'dns',
    running: true,
    cpus: 1,
    memGiB: 0.5,
    diskGiB: 8,
    tags: ['dns', 'infra'],
    onboot: true,
  },
  {
    vmid: 102,
    type: 'qemu',
    node: 'pve',
    name: 'db-01',
    running: true,
    cpus: 4,
    memGiB: 8,
    diskGiB: 64,
    tags: ['db', 'prod'],
    ha: true,
  },
  {
    vmid: 103,
    type: 'qemu',
    node: 'agent1',
    name: 'jarvis',
    running: true,
    cpus: 4,
    memGiB: 8,
    diskGiB: 64,
    tags: ['jarvis'],
    onboot: true,
  },
  {
    vmid: 104,
    type: 'lxc',
    node: 'agent1',
    name: 'media',
    running: true,
    cpus: 2,
    memGiB: 2,
    diskGiB: 16,
    tags: ['media'],
    onboot: true,
  },
  {
    vmid: 105,
    type: 'qemu',
    node: 'home',
    name: 'backup-test',
    running: false,
    cpus: 2,
    memGiB: 2,
    diskGiB: 32,
    tags: ['test'],
    lock: 'backup',
  },
  {
    vmid: 106,
    type: 'lxc',
    node: 'agent',
    name: 'pihole',
    running: true,
    cpus: 1,
    memGiB: 0.5,
    diskGiB: 4,
    tags: ['dns', 'infra'],
    onboot: true,
  },
  {
    vmid: 107,
    type: 'qemu',
    node: 'pve',
    name: 'win11',
    running: false,
    cpus: 4,
    memGiB: 8,
    diskGiB: 128,
    tags: ['desktop'],
  },
  {
    vmid: 108,
    type: 'lxc',
    node: 'home',
    name: 'grafana',
    running: true,
    cpus: 1,
    memGiB: 1,
    diskGiB: 8,
    tags: ['monitoring'],
    onboot: true,
  },
  {
    vmid: 109,
    type: 'lxc',
    node: 'agent',
    name: 'legacy-ct',
    running: false,
    cpus: 1,
    memGiB: 0.5,
    diskGiB: 8,
    tags: [],
  },
  {
    vmid: 110,
    type: 'qemu',
    node: 'agent1',
    name: 'k8s-node-1',
    running: true,
    cpus: 2,
    memGiB: 4,
    diskGiB: 48,
    tags: ['k8s'],
    onboot: true,
  },
  {
    vmid: 111,
    type: 'qemu',
    node: 'pve',
    name: 'k8s-node-2',
    running: true,
    cpus: 2,
    memGiB: 4,
    diskGiB: 48,
    tags: ['k8s'],
    onboot: true,
  },
  {
    vmid: 112,
    type: 'lxc',
    node: 'home',
    name: 'nginx-proxy',
    running: true,
    cpus: 1,
    memGiB: 0.5,
    diskGiB: 4,
    tags: ['infra', 'web'],
    onboot: true,
  },
  {
    vmid: 113,
    type: 'qemu',
    node: 'agent',
    name: 'dev-box',
    running: false,
    cpus: 2,
    memGiB: 4,
    diskGiB: 32,
    tags: [],
  },
  {
    vmid: 9000,
    type: 'qemu',
    node: 'pve',
    name: 'ubuntu-2404-template',
    running: false,
    cpus: 2,
    memGiB: 2,
    diskGiB: 10,
    tags: ['template'],
    template: true,
  },
];
