import { type ClusterSim } from './cluster';
import { assertUnlocked, guestLock, haEnforce, markRunning, markStopped } from './guest-lifecycle';
import { type SimGuest, type SimNode, type SimSnapshot } from './model';
import { bool, type Params } from './params';
import { handlerDie, NO_QUORUM, paramError } from './pve-errors';
import { TaskFailure, type TaskPlan } from './tasks';

export const GUEST_ACTIONS = ['start', 'stop', 'shutdown', 'reboot', 'suspend', 'resume', 'reset'] as const;
export type GuestAction = (typeof GUEST_ACTIONS)[number];

interface ActionCall {
  sim: ClusterSim;
  node: SimNode;
  guest: SimGuest;
  action: GuestAction;
  params: Params;
  user: string;
}

function label(g: SimGuest): string {
  return `${g.type === 'qemu' ? 'VM' : 'CT'} ${g.vmid}`;
}

export function haSid(g: SimGuest): string {
  return `${g.type === 'qemu' ? 'vm' : 'ct'}:${g.vmid}`;
}

function requireQuorum(sim: ClusterSim): void {
  if (!sim.quorate()) throw handlerDie(NO_QUORUM);
}

/**
 * start/stop/shutdown on an HA resource only ask the CRM (qemu-server and pve-container fork
 * hastart/hastop). The task ends OK almost at once; the guest changes seconds later via the LRM.
 */
function haRedirect(call: ActionCall): string {
  const { sim, node, guest, action, params, user } = call;
  const ha = guest.ha;
  if (!ha) throw new Error('haRedirect on an unmanaged guest');
  if (action === 'stop' && bool(params, 'overrule-shutdown')) {
    throw paramError({ 'overrule-shutdown': 'Not applicable for HA resources.' });
  }
  requireQuorum(sim);
  const starting = action === 'start';
  const stopMode = action === 'shutdown' ? 'shutdown' : 'stop';
  const task = sim.tasks.fork({
    node,
    type: starting ? 'hastart' : 'hastop',
    id: String(guest.vmid),
    user,
    body: (ctx) => {
      ctx.log(`Requesting HA ${starting ? 'start' : 'stop'} for ${label(guest)}`);
      return {
        durationMs: sim.timing.haTask(),
        finish: () => {
          if (ha.crmState === 'error' && starting) {
            throw new TaskFailure(`service '${haSid(guest)}' in error state, must be disabled and fixed first`);
          }
          ha.state = starting ? 'started' : 'stopped';
          ha.restarts = 0;
          ha.crmState = starting ? (guest.status === 'running' ? 'started' : 'request_start') : 'request_stop';
          sim.scheduler.after(sim.timing.haApply(), () => haEnforce(sim, guest, stopMode));
        },
      };
    },
  });
  return task.upid;
}

/** Checks PVE makes in the API handler, before any worker exists: these are HTTP 500s. */
function syncChecks(call: ActionCall): void {
  const { sim, guest: g, action, params } = call;
  const running = g.status === 'running';
  if (action === 'start') requireQuorum(sim);
  if (g.type === 'lxc') {
    if (action === 'start' && running) throw handlerDie(`CT ${g.vmid} already running`);
    if (action !== 'start' && !running) throw handlerDie(`CT ${g.vmid} not running`);
    return;
  }
  if ((action === 'reboot' || action === 'suspend' || action === 'reset') && !running)
    throw handlerDie(`VM ${g.vmid} not running`);
  if (action === 'resume' && !running && !bool(params, 'nocheck')) throw handlerDie(`VM ${g.vmid} not running`);
  if ((action === 'shutdown' || action === 'reboot') && g.paused && !bool(params, 'forceStop')) {
    throw handlerDie('VM is paused - cannot shutdown');
  }
  if (action === 'suspend' && bool(params, 'todisk') && g.ha && g.ha.state !== 'ignored') {
    throw handlerDie('Cannot suspend HA managed VM to disk');
  }
}

/** The worker body: what the task itself checks and does once it holds the config lock. */
function workerPlan(call: ActionCall): TaskPlan {
  const { sim, guest: g, action, params } = call;
  const skiplock = bool(params, 'skiplock');
  const noun = g.type === 'qemu' ? 'vm' : 'CT';
  const running = g.status === 'running';
  const quick = sim.timing.failFast();
  switch (action) {
    case 'start':
      if (g.template) throw new TaskFailure(`you can't start a ${noun} if it's a template`);
      // A running VM under a backup lock is merely paused by vzdump; start resumes it.
      if (g.type === 'qemu' && running && g.lock === 'backup') {
        return {
          durationMs: quick,
          finish: () => {
            g.paused = false;
          },
        };
      }
      assertUnlocked(g, skiplock, g.type === 'qemu' ? ['suspended'] : ['mounted']);
      if (running) throw new TaskFailure(`${label(g)} already running`);
      return { durationMs: sim.timing.task('start'), finish: () => markRunning(sim, g) };
    case 'stop':
    case 'shutdown':
      if (!running) return { durationMs: quick };
      assertUnlocked(g, skiplock);
      return { durationMs: sim.timing.task(action), finish: () => markStopped(sim, g) };
    case 'reboot':
      assertUnlocked(g, false);
      return {
        durationMs: sim.timing.task('reboot'),
        finish: () => {
          markStopped(sim, g);
          markRunning(sim, g);
        },
      };
    case 'suspend':
      assertUnlocked(g, skiplock);
      if (bool(params, 'todisk')) {
        return {
          durationMs: sim.timing.task('suspend') * 3,
          finish: () => {
            markStopped(sim, g);
            g.lock = 'suspended';
          },
        };
      }
      return {
        durationMs: sim.timing.task('suspend'),
        finish: () => {
          g.paused = true;
        },
      };
    case 'reset':
      assertUnlocked(g, skiplock);
      // system_reset reboots the guest OS inside the same QEMU process: uptime and pid stay.
      return {
        durationMs: quick,
        finish: () => {
          g.cpu = Math.min(1, g.cpuBase * 2 + 0.05);
        },
      };
    case 'resume':
      assertUnlocked(g, skiplock, ['backup']);
      return {
        durationMs: sim.timing.task('resume'),
        finish: () => {
          g.paused = false;
        },
      };
  }
}

/** POST …/status/{action}: returns the UPID, or throws the synchronous PveError. */
export function requestGuestAction(call: ActionCall): string {
  const { sim, node, guest, action, params, user } = call;
  // Qemu.pm: "Only root may use this option." — a token is never plain root@pam.
  if (bool(params, 'skiplock') && user !== 'root@pam') throw paramError({ skiplock: 'Only root may use this option.' });
  const haManaged = guest.ha !== undefined && guest.ha.state !== 'ignored';
  if (haManaged && (action === 'start' || action === 'stop' || action === 'shutdown')) return haRedirect(call);
  syncChecks(call);
  const task = sim.tasks.fork({
    node,
    type: `${guest.type === 'qemu' ? 'qm' : 'vz'}${action}`,
    id: String(guest.vmid),
    user,
    lock: guestLock(guest),
    body: () => workerPlan(call),
  });
  return task.upid;
}

/** POST /nodes/{n}/qemu/{id}/snapshot: a qmsnapshot worker that holds lock 'snapshot' while it runs. */
export function requestSnapshot(sim: ClusterSim, node: SimNode, g: SimGuest, params: Params, user: string): string {
  const name = String(params['snapname']);
  if (name === 'current') throw handlerDie("unable to use snapshot name 'current' (reserved name)");
  if (name.toLowerCase() === 'pending') throw handlerDie("unable to use snapshot name 'pending' (reserved name)");
  requireQuorum(sim);
  const description = typeof params['description'] === 'string' ? params['description'] : '';
  const task = sim.tasks.fork({
    node,
    type: 'qmsnapshot',
    id: String(g.vmid),
    user,
    lock: guestLock(g),
    body: (ctx) => {
      assertUnlocked(g, false);
      if (g.snapshots.some((s) => s.name === name)) throw new TaskFailure(`snapshot name '${name}' already used`);
      const vmstate = bool(params, 'vmstate') && g.status === 'running';
      const snap: SimSnapshot = {
        name,
        snaptime: Math.floor(sim.now() / 1000),
        description,
        vmstate,
        parent: g.snapParent,
        snapstate: 'prepare',
      };
      g.snapshots.push(snap);
      g.lock = 'snapshot';
      if (vmstate) ctx.log(`saving VM state and RAM using storage 'local-lvm'`);
      ctx.log(`snapshotting 'drive-scsi0' (local-lvm:vm-${g.vmid}-disk-0)`);
      ctx.log(`  Logical volume "snap_vm-${g.vmid}-disk-0_${name}" created.`);
      return {
        durationMs: sim.timing.task('snapshot') * (vmstate ? 3 : 1),
        finish: () => {
          delete snap.snapstate;
          if (g.lock === 'snapshot') delete g.lock;
          g.snapParent = name;
        },
      };
    },
  });
  return task.upid;
}

/**
 * POST /nodes/{n}/qemu/{id}/snapshot/{snap}/rollback: a qmrollback worker. As PVE does, a running
 * VM is stopped first, and a snapshot without RAM state leaves it stopped (`start` starts it again).
 */
export function requestRollback(sim: ClusterSim, node: SimNode, g: SimGuest, params: Params, user: string): string {
  const name = String(params['snapname']);
  if (!g.snapshots.some((s) => s.name === name && s.snapstate === undefined))
    throw handlerDie(`snapshot '${name}' does not exist`);
  requireQuorum(sim);
  const task = sim.tasks.fork({
    node,
    type: 'qmrollback',
    id: String(g.vmid),
    user,
    lock: guestLock(g),
    body: (ctx) => {
      assertUnlocked(g, false);
      const snap = g.snapshots.find((s) => s.name === name);
      if (!snap) throw new TaskFailure(`snapshot '${name}' does not exist`);
      g.lock = 'rollback';
      if (g.status === 'running') {
        ctx.log(`stopping VM ${g.vmid} for the rollback`);
        markStopped(sim, g);
      }
      ctx.log(`  Logical volume "vm-${g.vmid}-disk-0" successfully merged from "snap_vm-${g.vmid}-disk-0_${name}"`);
      return {
        durationMs: sim.timing.task('snapshot'),
        finish: () => {
          if (g.lock === 'rollback') delete g.lock;
          g.snapParent = name;
          if (bool(params, 'start')) markRunning(sim, g);
        },
      };
    },
  });
  return task.upid;
}
