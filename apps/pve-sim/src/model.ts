/** The simulator's internal picture of the cluster. Views turn it into PVE's wire shapes. */

export type GuestType = 'qemu' | 'lxc';

export interface Interval {
  fromMs: number;
  toMs?: number;
}

export interface SimSnapshot {
  name: string;
  snaptime: number;
  description: string;
  vmstate: boolean;
  parent?: string;
  snapstate?: 'prepare';
}

export type HaRequestState = 'started' | 'stopped' | 'disabled' | 'ignored';

export interface SimHa {
  state: HaRequestState;
  group?: string;
  maxRestart: number;
  maxRelocate: number;
  /** What the CRM currently reports (started, stopped, request_stop, error, ...). */
  crmState: string;
  /** Crashes since the guest last stayed up; HA gives up past maxRestart. */
  restarts: number;
}

export interface SimGuest {
  vmid: number;
  type: GuestType;
  node: string;
  name: string;
  tags: string[];
  template: boolean;
  lock?: string;
  onboot: boolean;
  agent: boolean;
  cpus: number;
  maxmem: number;
  maxdisk: number;
  maxswap: number;
  status: 'running' | 'stopped';
  /** qmpstatus 'paused' while status stays 'running'. */
  paused: boolean;
  startedAtMs?: number;
  pid?: number;
  /** Past and current running periods, for RRD history. */
  runs: Interval[];
  cpu: number;
  cpuBase: number;
  mem: number;
  memFraction: number;
  /** LXC rootfs usage; QEMU reports 0 without an agent query, as PVE does. */
  diskUsed: number;
  swap: number;
  netin: number;
  netout: number;
  diskread: number;
  diskwrite: number;
  netRate: number;
  diskRate: number;
  snapshots: SimSnapshot[];
  /** The snapshot 'current' descends from. */
  snapParent?: string;
  ha?: SimHa;
  flapping: boolean;
  mac: string;
}

export interface SimNode {
  name: string;
  nodeid: number;
  ip: string;
  cpuModel: string;
  sockets: number;
  cores: number;
  maxcpu: number;
  mhz: string;
  maxmem: number;
  swapTotal: number;
  pveversion: string;
  kernelRelease: string;
  kernelBuild: string;
  bootMode: 'efi' | 'legacy-bios';
  /** Nodes still on 8.0 report LXC vmids as strings (pve-container before 81aa4bd). */
  legacyStringVmids: boolean;
  wolMac?: string;
  sslFingerprint: string;
  powered: boolean;
  /** Set by the node-offline fault: the machine runs but the cluster cannot reach it. */
  faultOffline: boolean;
  bootMs: number;
  downtimes: Interval[];
  cpu: number;
  cpuBase: number;
  wait: number;
  loadavg: [number, number, number];
  memBase: number;
  swapUsed: number;
  netRateIn: number;
  netRateOut: number;
  nextPid: number;
}

export interface StorageSize {
  total: number;
  used: number;
}

export interface SimStorage {
  storage: string;
  type: 'dir' | 'lvmthin' | 'nfs';
  content: string;
  shared: boolean;
  enabled: boolean;
  nodes: string[];
  /** Keyed by node; a shared storage maps every node to the same object. */
  sizes: Record<string, StorageSize>;
}

/** A resource pool (user.cfg `pool:`): the guests in it inherit what is granted on `/pool/<poolid>`. */
export interface SimPool {
  poolid: string;
  comment?: string;
  members: number[];
}

export interface SimModel {
  clusterName: string;
  configVersion: number;
  /**
   * The node the simulator's main address is (local:1 in /cluster/status there); each node's own
   * endpoint answers as that node. Also the HA master.
   */
  localNode: string;
  nodes: SimNode[];
  guests: SimGuest[];
  storages: SimStorage[];
  pools: SimPool[];
}

export function isOnline(node: SimNode): boolean {
  return node.powered && !node.faultOffline;
}
