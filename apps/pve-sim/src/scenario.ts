import { type SimGuest, type SimModel, type SimNode, type SimStorage, type StorageSize } from './model';
import { GUEST_SPECS, NODE_SPECS, POOL_SPECS, type GuestSpec, type NodeSpec } from './scenario-specs';
import { SeededRandom } from './random';

const GiB = 1024 ** 3;
const DAY_S = 86_400;

function fingerprintFrom(rng: SeededRandom): string {
  return (rng.hex(64).toUpperCase().match(/../g) ?? []).join(':');
}

/** oui is the vendor half; BC:24:11 is the prefix PVE uses for generated guest NICs. */
function macFrom(rng: SeededRandom, oui: string): string {
  return [oui, rng.hex(2), rng.hex(2), rng.hex(2)].join(':').toUpperCase();
}

/** Both arguments are evaluated (a seeded draw must happen either way); the first wins when given. */
function preferred(given: string | undefined, drawn: string): string {
  return given ?? drawn;
}

/** Where each node is reached: its cluster IP and, when it has an endpoint, its certificate's fingerprint. */
export interface NodeIdentities {
  /** The cluster IP of the node at `index` in node order. */
  ip(index: number): string;
  fingerprint(name: string): string | undefined;
}

function buildNode(spec: NodeSpec, index: number, rng: SeededRandom, nowMs: number, ids: NodeIdentities): SimNode {
  const uptimeS = rng.int(5 * DAY_S, 60 * DAY_S);
  const bootMs = nowMs - uptimeS * 1000;
  return {
    name: spec.name,
    nodeid: index + 1,
    ip: ids.ip(index),
    cpuModel: spec.cpuModel,
    sockets: spec.sockets,
    cores: spec.cores,
    maxcpu: spec.threads,
    mhz: spec.mhz,
    maxmem: spec.memGiB * GiB - rng.int(200, 600) * 1024 * 1024,
    swapTotal: 8 * GiB,
    pveversion: spec.legacy ? 'pve-manager/8.0.4/d258a813cfa6b390' : 'pve-manager/8.4.14/b502d23c55afcba1',
    kernelRelease: spec.legacy ? '6.2.16-3-pve' : '6.8.12-15-pve',
    kernelBuild: spec.legacy
      ? '#1 SMP PREEMPT_DYNAMIC PVE 6.2.16-3 (2023-06-17T05:58Z)'
      : '#1 SMP PREEMPT_DYNAMIC PMX 6.8.12-15 (2025-09-12T11:02Z)',
    bootMode: spec.bootMode,
    legacyStringVmids: spec.legacy,
    wolMac: spec.wol ? macFrom(rng, 'D8:5E:D3') : undefined,
    // A made-up one is drawn for every node but the first, used or not, so the seeded figures after it stay put.
    sslFingerprint: preferred(ids.fingerprint(spec.name), index === 0 ? '' : fingerprintFrom(rng)),
    powered: true,
    faultOffline: false,
    bootMs,
    // The reboot that started the current uptime: RRD history shows a gap there.
    downtimes: [{ fromMs: bootMs - rng.int(60, 180) * 1000, toMs: bootMs }],
    cpu: 0,
    cpuBase: rng.between(0.005, 0.03),
    wait: rng.between(0, 0.002),
    loadavg: [0, 0, 0],
    memBase: rng.between(1.8, 3.2) * GiB,
    swapUsed: rng.int(0, 200) * 1024 * 1024,
    netRateIn: rng.between(2e3, 60e3),
    netRateOut: rng.between(2e3, 40e3),
    nextPid: rng.int(200_000, 3_000_000),
  };
}

function buildGuest(spec: GuestSpec, node: SimNode, rng: SeededRandom, nowMs: number): SimGuest {
  const maxmem = spec.memGiB * GiB;
  const maxdisk = spec.diskGiB * GiB;
  const isQemu = spec.type === 'qemu';
  const guest: SimGuest = {
    vmid: spec.vmid,
    type: spec.type,
    node: spec.node,
    name: spec.name,
    tags: spec.tags,
    template: spec.template ?? false,
    lock: spec.lock,
    onboot: spec.onboot ?? false,
    agent: isQemu,
    cpus: spec.cpus,
    maxmem,
    maxdisk,
    maxswap: isQemu ? 0 : 512 * 1024 * 1024,
    status: 'stopped',
    paused: false,
    runs: [],
    cpu: 0,
    cpuBase: rng.between(0.005, isQemu ? 0.25 : 0.08),
    mem: 0,
    // Ballooned QEMU guests report most of their memory as used; that is the Pulse complaint.
    memFraction: isQemu ? rng.between(0.55, 0.97) : rng.between(0.1, 0.45),
    diskUsed: isQemu ? 0 : Math.round(maxdisk * rng.between(0.2, 0.7)),
    swap: 0,
    netin: 0,
    netout: 0,
    diskread: 0,
    diskwrite: 0,
    netRate: rng.between(500, 400e3),
    diskRate: rng.between(200, 200e3),
    snapshots: [],
    flapping: false,
    mac: macFrom(rng, 'BC:24:11'),
  };
  if (spec.ha) {
    guest.ha = {
      state: 'started',
      group: 'prefer-pve',
      maxRestart: 1,
      maxRelocate: 1,
      crmState: 'started',
      restarts: 0,
    };
  }
  if (spec.running) {
    const nodeUptimeS = Math.floor((nowMs - node.bootMs) / 1000);
    // Guests that start on boot came up a minute or two after the node; others later.
    const uptimeS =
      guest.onboot || guest.ha ? nodeUptimeS - rng.int(30, 240) : rng.int(600, Math.max(601, nodeUptimeS - 300));
    const startedAtMs = nowMs - uptimeS * 1000;
    const upS = uptimeS;
    guest.status = 'running';
    guest.startedAtMs = startedAtMs;
    guest.pid = rng.int(1000, 4_000_000);
    guest.runs = [{ fromMs: startedAtMs }];
    guest.cpu = guest.cpuBase;
    guest.mem = Math.round(maxmem * guest.memFraction);
    guest.swap = isQemu ? 0 : rng.int(0, 64) * 1024 * 1024;
    guest.netin = Math.round(guest.netRate * upS * rng.between(0.6, 1.2));
    guest.netout = Math.round(guest.netRate * upS * rng.between(0.1, 0.6));
    guest.diskread = Math.round(guest.diskRate * upS * rng.between(0.2, 0.8));
    guest.diskwrite = Math.round(guest.diskRate * upS * rng.between(0.3, 1.0));
  }
  return guest;
}

function addSnapshots(guests: SimGuest[], nowMs: number, rng: SeededRandom): void {
  const nowS = Math.floor(nowMs / 1000);
  const web = guests.find((g) => g.vmid === 100);
  if (web) {
    web.snapshots.push({
      name: 'pre-upgrade',
      snaptime: nowS - rng.int(20, 40) * DAY_S,
      description: 'Before apt full-upgrade',
      vmstate: false,
    });
    web.snapshots.push({
      name: 'after-upgrade',
      snaptime: nowS - rng.int(2, 15) * DAY_S,
      description: '',
      vmstate: false,
      parent: 'pre-upgrade',
    });
    web.snapParent = 'after-upgrade';
  }
  const db = guests.find((g) => g.vmid === 102);
  if (db) {
    db.snapshots.push({
      name: 'before-pg16',
      snaptime: nowS - rng.int(10, 50) * DAY_S,
      description: 'PostgreSQL 15 -> 16',
      vmstate: true,
    });
    db.snapParent = 'before-pg16';
  }
}

function buildStorages(nodes: SimNode[], specs: NodeSpec[], rng: SeededRandom): SimStorage[] {
  const local: Record<string, StorageSize> = {};
  const lvm: Record<string, StorageSize> = {};
  specs.forEach((spec) => {
    const rootTotal = spec.rootGiB * GiB;
    local[spec.name] = { total: rootTotal, used: Math.round(rootTotal * rng.between(0.08, 0.45)) };
    const lvmTotal = spec.lvmGiB * GiB;
    lvm[spec.name] = { total: lvmTotal, used: Math.round(lvmTotal * rng.between(0.1, 0.6)) };
  });
  const nasSize: StorageSize = { total: 3.6 * 1024 * GiB, used: Math.round(3.6 * 1024 * GiB * rng.between(0.3, 0.7)) };
  const names = nodes.map((n) => n.name);
  return [
    {
      storage: 'local',
      type: 'dir',
      content: 'backup,iso,vztmpl',
      shared: false,
      enabled: true,
      nodes: names,
      sizes: local,
    },
    {
      storage: 'local-lvm',
      type: 'lvmthin',
      content: 'images,rootdir',
      shared: false,
      enabled: true,
      nodes: names,
      sizes: lvm,
    },
    {
      storage: 'nas',
      type: 'nfs',
      content: 'backup,images,iso',
      shared: true,
      enabled: true,
      nodes: names,
      sizes: Object.fromEntries(names.map((n) => [n, nasSize])),
    },
  ];
}

/** The default cluster. Same seed, same clock → same cluster, down to the counters. */
export function buildScenario(seed: number, nowMs: number, ids: NodeIdentities): SimModel {
  const rng = SeededRandom.stream(seed, 'scenario');
  const nodes = NODE_SPECS.map((spec, i) => buildNode(spec, i, rng, nowMs, ids));
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const guests = GUEST_SPECS.map((spec) => {
    const node = byName.get(spec.node);
    if (!node) throw new Error(`scenario: guest ${spec.vmid} on unknown node ${spec.node}`);
    return buildGuest(spec, node, rng, nowMs);
  });
  addSnapshots(guests, nowMs, rng);
  return {
    clusterName: 'homelab',
    configVersion: 4,
    // The first node is the one the main address speaks for.
    localNode: NODE_SPECS[0]?.name ?? 'home',
    nodes,
    guests,
    storages: buildStorages(nodes, NODE_SPECS, rng),
    pools: POOL_SPECS.map((p) => ({ poolid: p.poolid, comment: p.comment, members: [...p.members] })),
  };
}
