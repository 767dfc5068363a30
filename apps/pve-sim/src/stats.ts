import { isOnline, type SimGuest, type SimModel, type SimNode } from './model';
import { type SeededRandom } from './random';

export interface GuestSample {
  status: 'running' | 'stopped';
  uptime: number;
  cpu: number;
  mem: number;
  maxcpu: number;
  maxmem: number;
  maxdisk: number;
  disk: number;
  netin: number;
  netout: number;
  diskread: number;
  diskwrite: number;
}

export interface NodeSample {
  uptime: number;
  cpu: number;
  mem: number;
  disk: number;
  maxcpu: number;
  maxmem: number;
  maxdisk: number;
}

export interface StorageSample {
  disk: number;
  maxdisk: number;
  available: boolean;
}

/** What pvestatd last pushed: /cluster/resources and /nodes read this, not live state. */
export interface StatsSnapshot {
  atMs: number;
  nodes: Map<string, NodeSample>;
  guests: Map<number, GuestSample>;
  storages: Map<string, StorageSample>;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function uptimeSeconds(sinceMs: number | undefined, atMs: number): number {
  return sinceMs === undefined ? 0 : Math.max(0, Math.floor((atMs - sinceMs) / 1000));
}

function evolveGuest(g: SimGuest, rng: SeededRandom, dtS: number): void {
  if (g.status !== 'running') return;
  if (g.paused) {
    g.cpu = 0;
    return;
  }
  // Mean-reverting walk: noisy from sample to sample, but a busy guest stays busy.
  const jitter = (rng.next() - 0.5) * Math.max(g.cpuBase, 0.01) * 0.8;
  g.cpu = clamp(g.cpu + (g.cpuBase - g.cpu) * 0.35 + jitter, 0.0005, 1);
  const memTarget = g.maxmem * g.memFraction;
  g.mem = Math.round(
    clamp(g.mem + (memTarget - g.mem) * 0.2 + (rng.next() - 0.5) * g.maxmem * 0.01, g.maxmem * 0.03, g.maxmem),
  );
  g.netin += Math.round(g.netRate * dtS * rng.between(0.4, 1.6));
  g.netout += Math.round(g.netRate * 0.35 * dtS * rng.between(0.4, 1.6));
  g.diskread += Math.round(g.diskRate * 0.4 * dtS * rng.between(0.2, 1.8));
  g.diskwrite += Math.round(g.diskRate * dtS * rng.between(0.2, 1.8));
  if (g.type === 'lxc') g.diskUsed = Math.min(g.maxdisk, g.diskUsed + Math.round(rng.between(0, 4096) * dtS));
}

function nodeGuests(model: SimModel, node: SimNode): SimGuest[] {
  return model.guests.filter((g) => g.node === node.name && g.status === 'running');
}

function evolveNode(model: SimModel, node: SimNode, rng: SeededRandom, dtS: number): void {
  if (!node.powered) return;
  const guests = nodeGuests(model, node);
  const guestLoad = guests.reduce((sum, g) => sum + g.cpu * g.cpus, 0);
  node.cpu = clamp(node.cpuBase + guestLoad / node.maxcpu + (rng.next() - 0.5) * 0.01, 0.001, 1);
  node.wait = clamp(node.wait + (rng.next() - 0.5) * 0.001, 0, 0.05);
  // loadavg decays like the kernel's exponential averages over 1, 5 and 15 minutes.
  const runnable = node.cpu * node.maxcpu * rng.between(0.8, 1.2);
  const decay = (minutes: number) => Math.exp(-dtS / (minutes * 60));
  const [l1, l5, l15] = node.loadavg;
  node.loadavg = [
    l1 * decay(1) + runnable * (1 - decay(1)),
    l5 * decay(5) + runnable * (1 - decay(5)),
    l15 * decay(15) + runnable * (1 - decay(15)),
  ];
}

/** One pvestatd cycle's worth of change. */
export function evolve(model: SimModel, rng: SeededRandom, dtMs: number): void {
  const dtS = Math.max(0, dtMs) / 1000;
  for (const g of model.guests) evolveGuest(g, rng, dtS);
  for (const n of model.nodes) evolveNode(model, n, rng, dtS);
}

/** Starts loadavg where the CPU use says it should be, instead of climbing up from zero. */
export function settleLoadavg(model: SimModel): void {
  for (const n of model.nodes) {
    const guests = nodeGuests(model, n);
    const load = n.cpuBase * n.maxcpu + guests.reduce((s, g) => s + g.cpu * g.cpus, 0);
    n.loadavg = [load * 1.1, load, load * 0.9];
    n.cpu = clamp(load / n.maxcpu, 0.001, 1);
  }
}

export function nodeMemUsed(model: SimModel, node: SimNode): number {
  const guests = nodeGuests(model, node);
  return Math.round(Math.min(node.maxmem * 0.97, node.memBase + guests.reduce((s, g) => s + g.mem, 0)));
}

export function nodeRoot(model: SimModel, node: SimNode): { total: number; used: number } {
  const local = model.storages.find((s) => s.storage === 'local');
  const size = local?.sizes[node.name];
  return size ? { total: size.total, used: size.used } : { total: 0, used: 0 };
}

export function takeSnapshot(model: SimModel, atMs: number): StatsSnapshot {
  const nodes = new Map<string, NodeSample>();
  const guests = new Map<number, GuestSample>();
  const storages = new Map<string, StorageSample>();
  for (const n of model.nodes) {
    const root = nodeRoot(model, n);
    nodes.set(n.name, {
      uptime: n.powered ? uptimeSeconds(n.bootMs, atMs) : 0,
      cpu: n.cpu,
      mem: nodeMemUsed(model, n),
      disk: root.used,
      maxcpu: n.maxcpu,
      maxmem: n.maxmem,
      maxdisk: root.total,
    });
  }
  for (const g of model.guests) {
    const running = g.status === 'running';
    guests.set(g.vmid, {
      status: g.status,
      uptime: running ? uptimeSeconds(g.startedAtMs, atMs) : 0,
      cpu: running ? g.cpu : 0,
      mem: running ? g.mem : 0,
      maxcpu: g.cpus,
      maxmem: g.maxmem,
      maxdisk: g.maxdisk,
      disk: running && g.type === 'lxc' ? g.diskUsed : 0,
      netin: running ? g.netin : 0,
      netout: running ? g.netout : 0,
      diskread: running ? g.diskread : 0,
      diskwrite: running ? g.diskwrite : 0,
    });
  }
  for (const s of model.storages) {
    for (const nodeName of s.nodes) {
      const size = s.sizes[nodeName];
      const node = model.nodes.find((n) => n.name === nodeName);
      if (!size || !node) continue;
      storages.set(`${nodeName}/${s.storage}`, {
        disk: size.used,
        maxdisk: size.total,
        available: s.enabled && isOnline(node),
      });
    }
  }
  return { atMs, nodes, guests, storages };
}
