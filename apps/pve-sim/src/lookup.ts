import { type ClusterSim } from './cluster';
import { type GuestType, type SimGuest, type SimNode } from './model';
import { type Params } from './params';
import { handlerDie } from './pve-errors';

/** The node a proxied route was sent to; the dispatcher has already checked it exists. */
export function pathNode(sim: ClusterSim, params: Params): SimNode {
  const name = String(params['node']);
  const node = sim.node(name);
  if (!node)
    throw handlerDie(
      `hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`,
    );
  return node;
}

/**
 * A guest is only found through the node it lives on: PVE loads nodes/<node>/qemu-server/<id>.conf
 * on the node the call was proxied to, and that file exists on exactly one node.
 */
export function guestOn(sim: ClusterSim, node: SimNode, type: GuestType, vmid: number): SimGuest {
  const g = sim.guest(vmid);
  if (!g || g.node !== node.name || g.type !== type) {
    const dir = type === 'qemu' ? 'qemu-server' : 'lxc';
    throw handlerDie(`Configuration file 'nodes/${node.name}/${dir}/${vmid}.conf' does not exist`);
  }
  return g;
}
