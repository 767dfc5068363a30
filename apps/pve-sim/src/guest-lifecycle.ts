import { type ClusterSim } from './cluster';
import { isOnline, type SimGuest } from './model';
import { TaskFailure } from './tasks';

const MAX_RUNS = 12;

/** The state change at the end of a successful start: a fresh process with fresh counters. */
export function markRunning(sim: ClusterSim, g: SimGuest): void {
  const now = sim.now();
  g.status = 'running';
  g.paused = false;
  g.startedAtMs = now;
  g.pid = sim.noise.int(1000, 4_000_000);
  g.runs.push({ fromMs: now });
  if (g.runs.length > MAX_RUNS) g.runs.splice(0, g.runs.length - MAX_RUNS);
  // QEMU's and the kernel's counters start at zero with the new process.
  g.netin = 0;
  g.netout = 0;
  g.diskread = 0;
  g.diskwrite = 0;
  g.cpu = Math.min(1, g.cpuBase * 2 + 0.05);
  g.mem = Math.round(g.maxmem * (g.type === 'qemu' ? 0.3 : g.memFraction * 0.5));
  if (g.lock === 'suspended') delete g.lock;
  if (g.ha && g.ha.crmState !== 'error') g.ha.crmState = 'started';
  if (g.flapping) scheduleFlap(sim, g, now);
}

export function markStopped(sim: ClusterSim, g: SimGuest): void {
  const now = sim.now();
  g.status = 'stopped';
  g.paused = false;
  delete g.startedAtMs;
  delete g.pid;
  const last = g.runs[g.runs.length - 1];
  if (last && last.toMs === undefined) last.toMs = now;
  g.cpu = 0;
  g.mem = 0;
  g.swap = 0;
}

function scheduleFlap(sim: ClusterSim, g: SimGuest, startedAtMs: number): void {
  sim.scheduler.after(sim.timing.flapCrash(), () => {
    if (g.flapping && g.status === 'running' && g.startedAtMs === startedAtMs) crashGuest(sim, g);
  });
}

/** Used by the flapping fault when it is injected into a guest that is already up. */
export function armFlapping(sim: ClusterSim, g: SimGuest): void {
  g.flapping = true;
  if (g.status === 'running' && g.startedAtMs !== undefined) scheduleFlap(sim, g, g.startedAtMs);
}

/**
 * The guest dies without any task (kernel panic, OOM kill). A plain guest stays down; an
 * HA-managed one is restarted by its LRM, up to max_restart + max_relocate times, after which
 * the CRM puts the service in the error state, as pve-ha-manager does.
 */
export function crashGuest(sim: ClusterSim, g: SimGuest): void {
  markStopped(sim, g);
  const ha = g.ha;
  if (!ha || ha.state !== 'started' || ha.crmState === 'error') return;
  ha.restarts++;
  if (ha.restarts > ha.maxRestart + ha.maxRelocate) {
    ha.crmState = 'error';
    return;
  }
  sim.scheduler.after(sim.timing.haApply(), () => haEnforce(sim, g, 'stop'));
}

function lockPath(g: SimGuest): string {
  return g.type === 'qemu' ? `/var/lock/qemu-server/lock-${g.vmid}.conf` : `/run/lock/lxc/pve-config-${g.vmid}.lock`;
}

export function guestLock(g: SimGuest): { key: string; path: string } {
  return { key: `${g.type}/${g.vmid}`, path: lockPath(g) };
}

/**
 * What the LRM does after the CRM accepts a request: it runs the ordinary start or stop
 * as root@pam on the guest's node, so a real qmstart/qmstop shows up in that node's task list.
 */
export function haEnforce(sim: ClusterSim, g: SimGuest, stopMode: 'stop' | 'shutdown'): void {
  const ha = g.ha;
  const node = sim.node(g.node);
  if (!ha || !node || !isOnline(node) || ha.crmState === 'error') return;
  const prefix = g.type === 'qemu' ? 'qm' : 'vz';
  if (ha.state === 'started' && g.status !== 'running') {
    sim.tasks.fork({
      node,
      type: `${prefix}start`,
      id: String(g.vmid),
      user: 'root@pam',
      lock: guestLock(g),
      body: () => ({
        durationMs: sim.timing.task('start'),
        finish: () => {
          if (g.status !== 'running') markRunning(sim, g);
        },
      }),
    });
    return;
  }
  if ((ha.state === 'stopped' || ha.state === 'disabled') && g.status === 'running') {
    sim.tasks.fork({
      node,
      type: `${prefix}${stopMode}`,
      id: String(g.vmid),
      user: 'root@pam',
      lock: guestLock(g),
      body: () => ({
        durationMs: sim.timing.task(stopMode),
        finish: () => {
          if (g.status === 'running') markStopped(sim, g);
          ha.crmState = 'stopped';
        },
      }),
    });
    return;
  }
  if (ha.state === 'stopped' || ha.state === 'disabled') ha.crmState = 'stopped';
  else if (g.status === 'running') ha.crmState = 'started';
}

/** check_lock from pve-guest-common, with the QEMU/LXC wording. */
export function assertUnlocked(g: SimGuest, skiplock: boolean, allowed: readonly string[] = []): void {
  if (skiplock || g.lock === undefined || allowed.includes(g.lock)) return;
  throw new TaskFailure(`${g.type === 'qemu' ? 'VM' : 'CT'} is locked (${g.lock})`);
}
