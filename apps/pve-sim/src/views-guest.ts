import { createHash } from 'node:crypto';
import { type ClusterSim } from './cluster';
import { type SimGuest, type SimNode } from './model';
import { uptimeSeconds } from './stats';
import { compact, tagString } from './views-cluster';

type Json = Record<string, unknown>;

const RUNNING_MACHINE = 'pc-i440fx-9.2+pve1';
const RUNNING_QEMU = '9.2.0';

/** The fields both vmstatus implementations report, live rather than from the RRD snapshot. */
function liveStats(sim: ClusterSim, g: SimGuest): Json {
  const running = g.status === 'running';
  return {
    uptime: running ? uptimeSeconds(g.startedAtMs, sim.now()) : 0,
    cpu: running ? g.cpu : 0,
    mem: running ? g.mem : 0,
    netin: running ? g.netin : 0,
    netout: running ? g.netout : 0,
    diskread: running ? g.diskread : 0,
    diskwrite: running ? g.diskwrite : 0,
  };
}

function optional(g: SimGuest): Json {
  return compact({
    pid: g.status === 'running' ? g.pid : undefined,
    template: g.template ? 1 : undefined,
    lock: g.lock,
    tags: tagString(g),
  });
}

function qmpstatus(g: SimGuest): string | undefined {
  if (g.status !== 'running') return undefined;
  return g.paused ? 'paused' : 'running';
}

export function qemuListEntry(sim: ClusterSim, g: SimGuest, full: boolean): Json {
  const entry: Json = {
    vmid: g.vmid,
    name: g.name,
    status: g.status,
    cpus: g.cpus,
    maxmem: g.maxmem,
    maxdisk: g.maxdisk,
    disk: 0,
    ...liveStats(sim, g),
    ...optional(g),
  };
  if (full && g.status === 'running') {
    Object.assign(entry, { qmpstatus: qmpstatus(g), 'running-machine': RUNNING_MACHINE, 'running-qemu': RUNNING_QEMU });
  }
  return entry;
}

/** Nodes still on 8.0 send LXC vmids as strings; clients must accept both. */
function lxcVmid(node: SimNode | undefined, g: SimGuest): number | string {
  return node?.legacyStringVmids ? String(g.vmid) : g.vmid;
}

export function lxcListEntry(sim: ClusterSim, node: SimNode | undefined, g: SimGuest): Json {
  const running = g.status === 'running';
  return {
    vmid: lxcVmid(node, g),
    name: g.name,
    status: g.status,
    type: 'lxc',
    cpus: g.cpus,
    maxmem: g.maxmem,
    maxswap: g.maxswap,
    swap: running ? g.swap : 0,
    maxdisk: g.maxdisk,
    disk: running ? g.diskUsed : 0,
    ...liveStats(sim, g),
    ...optional(g),
  };
}

function haView(g: SimGuest): Json {
  if (!g.ha) return { managed: 0 };
  return compact({ managed: 1, group: g.ha.group, state: g.ha.state });
}

function runningQemuExtras(g: SimGuest, now: number): Json {
  const tap = `tap${g.vmid}i0`;
  const totalMem = g.maxmem - 80 * 1024 * 1024;
  const freeMem = Math.max(0, totalMem - g.mem);
  return {
    shares: 1000,
    balloon: g.maxmem,
    balloon_min: g.maxmem,
    ballooninfo: {
      actual: g.maxmem,
      max_mem: g.maxmem,
      total_mem: totalMem,
      free_mem: freeMem,
      mem_swapped_in: 0,
      mem_swapped_out: 0,
      major_page_faults: Math.round(g.diskread / 1e6),
      minor_page_faults: Math.round(g.diskread / 1e3),
      last_update: Math.floor(now / 1000),
    },
    freemem: freeMem,
    blockstat: {
      scsi0: {
        rd_bytes: g.diskread,
        wr_bytes: g.diskwrite,
        rd_operations: Math.round(g.diskread / 40_960),
        wr_operations: Math.round(g.diskwrite / 16_384),
        failed_rd_operations: 0,
        failed_wr_operations: 0,
        flush_operations: Math.round(g.diskwrite / 1e6),
        account_failed: true,
        account_invalid: true,
        timed_stats: [],
      },
    },
    qmpstatus: qmpstatus(g),
    'running-machine': RUNNING_MACHINE,
    'running-qemu': RUNNING_QEMU,
    'proxmox-support': {
      'pbs-dirty-bitmap': true,
      'pbs-dirty-bitmap-migration': true,
      'pbs-dirty-bitmap-savevm': true,
      'query-bitmap-info': true,
      'pbs-masterkey': true,
      'backup-max-workers': true,
      'pbs-library-version': '1.5.2 (UNKNOWN)',
    },
    nics: { [tap]: { netin: g.netin, netout: g.netout } },
  };
}

export function qemuCurrentView(sim: ClusterSim, g: SimGuest): Json {
  const running = g.status === 'running';
  return {
    vmid: g.vmid,
    name: g.name,
    status: g.status,
    cpus: g.cpus,
    maxmem: g.maxmem,
    maxdisk: g.maxdisk,
    disk: 0,
    ha: haView(g),
    ...(g.agent ? { agent: 1 } : {}),
    ...liveStats(sim, g),
    ...optional(g),
    ...(running ? runningQemuExtras(g, sim.now()) : {}),
  };
}

export function lxcCurrentView(sim: ClusterSim, node: SimNode | undefined, g: SimGuest): Json {
  return { ...lxcListEntry(sim, node, g), ha: haView(g) };
}

/** Snapshot list: stored snapshots in no fixed order, then always 'current' last. */
export function snapshotListView(sim: ClusterSim, g: SimGuest): Json[] {
  const entries = g.snapshots.map((s) =>
    compact({
      name: s.name,
      snaptime: s.snaptime,
      description: s.description,
      vmstate: s.vmstate ? 1 : 0,
      parent: s.parent,
      snapstate: s.snapstate,
    }),
  );
  const digest = createHash('sha1')
    .update(JSON.stringify([g.vmid, g.snapshots.map((s) => s.name), g.lock]))
    .digest('hex');
  const current = compact({
    name: 'current',
    digest,
    running: g.status === 'running' ? 1 : 0,
    description: 'You are here!',
    parent: g.snapParent,
  });
  return [...sim.shuffle.shuffle(entries), current];
}
