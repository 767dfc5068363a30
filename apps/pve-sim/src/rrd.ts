import { type ClusterSim } from './cluster';
import { type Interval, type SimGuest, type SimNode } from './model';
import { pointNoise } from './random';
import { nodeRoot } from './stats';

type Json = Record<string, unknown>;

export const TIMEFRAMES = ['hour', 'day', 'week', 'month', 'year'] as const;
export type Timeframe = (typeof TIMEFRAMES)[number];

// pmxcfs status.c: 70 rows per archive at 1 min, 30 min, 3 h, 12 h and 1 week resolution.
const STEP_S: Record<Timeframe, number> = { hour: 60, day: 1800, week: 10_800, month: 43_200, year: 604_800 };
const ROWS = 70;
// pvestatd occasionally misses a cycle; those buckets lose every key but time.
const GAP_RATE = 0.006;

function within(intervals: readonly Interval[], tS: number, nowMs: number): boolean {
  return intervals.some((i) => i.fromMs / 1000 <= tS && tS < (i.toMs ?? nowMs + 1) / 1000);
}

function rowTimes(timeframe: Timeframe, nowMs: number): number[] {
  const step = STEP_S[timeframe];
  const end = Math.floor(nowMs / 1000 / step) * step;
  return Array.from({ length: ROWS }, (_, i) => end - (ROWS - 1 - i) * step);
}

/** MAX rows sit above AVERAGE rows by a spiky, repeatable margin. */
function peak(cf: string, n: number): number {
  return cf === 'MAX' ? 1.15 + n * 0.6 : 1;
}

function nodeDown(node: SimNode, tS: number, nowMs: number): boolean {
  return within(node.downtimes, tS, nowMs);
}

export function nodeRrd(sim: ClusterSim, node: SimNode, timeframe: Timeframe, cf: string): Json[] {
  const now = sim.now();
  const root = nodeRoot(sim.model, node);
  const guests = sim.model.guests.filter((g) => g.node === node.name);
  return rowTimes(timeframe, now).map((t) => {
    const key = (k: string) => pointNoise(sim.seed, `node/${node.name}/${k}/${timeframe}`, t);
    if (nodeDown(node, t, now) || key('gap') < GAP_RATE) return { time: t };
    const up = guests.filter((g) => within(g.runs, t, now));
    const guestCpu = up.reduce((s, g) => s + g.cpuBase * g.cpus, 0) / node.maxcpu;
    const cpu = Math.min(1, (node.cpuBase + guestCpu) * (0.6 + key('cpu') * 0.8) * peak(cf, key('peak')));
    const memused = node.memBase + up.reduce((s, g) => s + g.maxmem * g.memFraction, 0) * (0.95 + key('mem') * 0.1);
    const netGuests = up.reduce((s, g) => s + g.netRate, 0);
    return {
      cpu,
      iowait: node.wait * (0.5 + key('io')) * peak(cf, key('peak')),
      loadavg: cpu * node.maxcpu * (0.8 + key('load') * 0.4),
      maxcpu: node.maxcpu,
      memtotal: node.maxmem,
      memused: Math.min(node.maxmem * 0.97, memused),
      netin: (node.netRateIn + netGuests) * (0.5 + key('netin')) * peak(cf, key('peak')),
      netout: (node.netRateOut + netGuests * 0.35) * (0.5 + key('netout')) * peak(cf, key('peak')),
      roottotal: root.total,
      rootused: root.used * (0.98 + key('root') * 0.02),
      swaptotal: node.swapTotal,
      swapused: node.swapUsed,
      time: t,
    };
  });
}

export function guestRrd(sim: ClusterSim, node: SimNode, g: SimGuest, timeframe: Timeframe, cf: string): Json[] {
  const now = sim.now();
  return rowTimes(timeframe, now).map((t) => {
    const key = (k: string) => pointNoise(sim.seed, `${g.type}/${g.vmid}/${k}/${timeframe}`, t);
    if (nodeDown(node, t, now) || key('gap') < GAP_RATE) return { time: t };
    const fixed = { maxcpu: g.cpus, maxmem: g.maxmem, maxdisk: g.maxdisk };
    // A stopped guest still reports its limits and disk, nothing else (go-proxmox pve8x capture).
    if (!within(g.runs, t, now)) return { ...fixed, disk: 0, time: t };
    const p = peak(cf, key('peak'));
    return {
      cpu: Math.min(1, g.cpuBase * (0.5 + key('cpu')) * p),
      disk: g.type === 'lxc' ? g.diskUsed : 0,
      diskread: g.diskRate * 0.4 * (0.2 + key('dr') * 1.6) * p,
      diskwrite: g.diskRate * (0.2 + key('dw') * 1.6) * p,
      ...fixed,
      mem: Math.min(g.maxmem, g.maxmem * g.memFraction * (0.9 + key('mem') * 0.15)),
      netin: g.netRate * (0.4 + key('ni') * 1.2) * p,
      netout: g.netRate * 0.35 * (0.4 + key('no') * 1.2) * p,
      time: t,
    };
  });
}
