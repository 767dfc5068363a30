import { type ClusterSim } from './cluster';
import { haEnforce, markRunning, markStopped } from './guest-lifecycle';
import { type SimNode } from './model';
import { handlerDie } from './pve-errors';

function powerOff(sim: ClusterSim, node: SimNode): void {
  if (!node.powered) return;
  for (const g of sim.model.guests) {
    if (g.node === node.name && g.status === 'running') markStopped(sim, g);
  }
  node.powered = false;
  node.downtimes.push({ fromMs: sim.now() });
  if (node.downtimes.length > 8) node.downtimes.shift();
  sim.refresh(sim.now());
  sim.nodesChanged();
}

/** Boot: the node rejoins, then its startall task brings up onboot guests; the LRM restarts HA ones. */
export function powerOn(sim: ClusterSim, node: SimNode): void {
  if (node.powered) return;
  const now = sim.now();
  node.powered = true;
  node.bootMs = now;
  node.loadavg = [0, 0, 0];
  const down = node.downtimes[node.downtimes.length - 1];
  if (down && down.toMs === undefined) down.toMs = now;
  sim.refresh(now);
  sim.nodesChanged();
  const onboot = sim.model.guests.filter(
    (g) => g.node === node.name && g.onboot && !g.ha && !g.template && g.status !== 'running',
  );
  sim.tasks.fork({
    node,
    type: 'startall',
    id: '',
    user: 'root@pam',
    body: (ctx) => {
      onboot.forEach((g) => ctx.log(`Starting ${g.type === 'qemu' ? 'VM' : 'CT'} ${g.vmid}`));
      return {
        durationMs: sim.timing.task('start'),
        finish: () => {
          for (const g of onboot) if (g.status !== 'running' && g.lock === undefined) markRunning(sim, g);
        },
      };
    },
  });
  for (const g of sim.model.guests) {
    if (g.node === node.name && g.ha) sim.scheduler.after(sim.timing.haApply(), () => haEnforce(sim, g, 'shutdown'));
  }
}

/** POST /nodes/{n}/status: returns null at once; the node stops its guests and drops off a little later. */
export function nodeCommand(sim: ClusterSim, node: SimNode, command: 'reboot' | 'shutdown'): void {
  sim.scheduler.after(sim.timing.nodeGoingDown(), () => {
    powerOff(sim, node);
    if (command === 'reboot') sim.scheduler.after(sim.timing.nodeBoot(), () => powerOn(sim, node));
  });
}

/**
 * POST /nodes/{target}/wakeonlan runs on the node that receives it (no proxyto) and names the
 * target in the path; that node cannot wake itself. A powered-off target boots. A target cut off by the node-offline fault is
 * treated as a node that went down hard (hung or lost power, which is what "unreachable" usually
 * is in a homelab): after the boot delay it comes back freshly booted, its guests stopped and its
 * onboot ones started, unless the fault was lifted in the meantime. This is what lets remediation
 * tests and the demo take a node "offline" and watch Jarvis wake it.
 */
export function wakeOnLan(sim: ClusterSim, targetName: string, localNode: string): string {
  if (targetName === localNode) throw handlerDie(`'${targetName}' is local node, cannot wake my self!`);
  const target = sim.node(targetName);
  if (!target) throw handlerDie(`no such cluster node '${targetName}'`);
  if (!target.wolMac) throw handlerDie(`No wake on LAN MAC address defined for '${targetName}'!`);
  if (!target.powered) sim.scheduler.after(sim.timing.nodeBoot(), () => powerOn(sim, target));
  else if (target.faultOffline) {
    sim.scheduler.after(sim.timing.nodeBoot(), () => {
      if (!target.faultOffline) return;
      powerOff(sim, target);
      target.faultOffline = false;
      powerOn(sim, target);
    });
  }
  return target.wolMac;
}
