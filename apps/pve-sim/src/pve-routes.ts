import { pathNode } from './lookup';
import { nodeCommand, wakeOnLan } from './node-power';
import { bool, NODE_PARAM, STORAGE_PARAM, str, type ParamSchema } from './params';
import { paramError } from './pve-errors';
import { type PveRoute, type RoutePermission } from './router';
import { nodeRrd, TIMEFRAMES, type Timeframe } from './rrd';
import {
  clusterResourcesView,
  clusterStatusView,
  haResourcesView,
  haStatusView,
  nodesListView,
  poolsView,
} from './views-cluster';
import { nodeStatusView, storageListEntry, storageStatusView } from './views-node';

const NODE: ParamSchema = { node: NODE_PARAM };
/** `check => ['perm', '/', ['Sys.Audit']]`: /cluster/status and the HA reads. */
const SYS_AUDIT_ROOT: RoutePermission = { path: '/', privs: ['Sys.Audit'] };
export const RRD_PARAMS: ParamSchema = {
  timeframe: { type: 'string', enum: TIMEFRAMES },
  cf: { type: 'string', enum: ['AVERAGE', 'MAX'], optional: true },
};

/** /version: answered by the node this endpoint is, 8.4.14 here even though one node still runs 8.0. */
const version: PveRoute = {
  method: 'GET',
  path: '/version',
  params: {},
  proxied: false,
  handler: () => ({ data: { version: '8.4.14', release: '8.4', repoid: 'b502d23c55afcba1' } }),
};

const clusterRoutes: PveRoute[] = [
  version,
  {
    method: 'GET',
    path: '/cluster/status',
    params: {},
    proxied: false,
    permission: SYS_AUDIT_ROOT,
    handler: ({ sim, local }) => ({ data: clusterStatusView(sim, local) }),
  },
  {
    method: 'GET',
    path: '/cluster/resources',
    params: { type: { type: 'string', optional: true, enum: ['vm', 'storage', 'node', 'sdn', 'pool'] } },
    proxied: false,
    handler: ({ sim, params, caller }) => ({ data: clusterResourcesView(sim, str(params, 'type'), caller) }),
  },
  {
    method: 'GET',
    path: '/cluster/ha/resources',
    params: { type: { type: 'string', optional: true, enum: ['ct', 'vm'] } },
    proxied: false,
    permission: SYS_AUDIT_ROOT,
    handler: ({ sim, params }) => ({ data: haResourcesView(sim, str(params, 'type')) }),
  },
  {
    method: 'GET',
    path: '/cluster/ha/status/current',
    params: {},
    proxied: false,
    permission: SYS_AUDIT_ROOT,
    handler: ({ sim, local }) => ({ data: haStatusView(sim, local) }),
  },
  {
    method: 'GET',
    path: '/nodes',
    params: {},
    proxied: false,
    handler: ({ sim, caller }) => ({ data: nodesListView(sim, caller) }),
  },
  {
    // PVE 8 lists the pools the caller may audit; with `poolid`, that pool's members too.
    method: 'GET',
    path: '/pools',
    params: {
      poolid: { type: 'string', optional: true },
      type: { type: 'string', optional: true, enum: ['qemu', 'lxc', 'storage'] },
    },
    proxied: false,
    handler: ({ sim, params, caller }) => ({
      data: poolsView(sim, caller, str(params, 'poolid'), str(params, 'type')),
    }),
  },
];

const nodeRoutes: PveRoute[] = [
  {
    method: 'GET',
    path: '/nodes/{node}/status',
    params: NODE,
    proxied: true,
    permission: { path: '/nodes/{node}', privs: ['Sys.Audit'] },
    handler: ({ sim, params }) => ({ data: nodeStatusView(sim, pathNode(sim, params)) }),
  },
  {
    method: 'POST',
    path: '/nodes/{node}/status',
    params: { ...NODE, command: { type: 'string', enum: ['reboot', 'shutdown'] } },
    proxied: true,
    permission: { path: '/nodes/{node}', privs: ['Sys.PowerMgmt'] },
    action: (params) => String(params['command']),
    handler: ({ sim, params }) => {
      nodeCommand(sim, pathNode(sim, params), params['command'] === 'reboot' ? 'reboot' : 'shutdown');
      return { data: null };
    },
  },
  {
    // No proxyto: the receiving node sends the magic packet, so an offline target is fine.
    method: 'POST',
    path: '/nodes/{node}/wakeonlan',
    params: NODE,
    proxied: false,
    permission: { path: '/nodes/{node}', privs: ['Sys.PowerMgmt'] },
    handler: ({ sim, params, local }) => ({ data: wakeOnLan(sim, String(params['node']), local) }),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/rrddata',
    params: { ...NODE, ...RRD_PARAMS },
    proxied: true,
    permission: { path: '/nodes/{node}', privs: ['Sys.Audit'] },
    handler: ({ sim, params }) => ({
      data: nodeRrd(sim, pathNode(sim, params), params['timeframe'] as Timeframe, str(params, 'cf') ?? 'AVERAGE'),
    }),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/storage',
    params: {
      ...NODE,
      content: { type: 'string', optional: true },
      enabled: { type: 'boolean', optional: true },
      format: { type: 'boolean', optional: true },
      storage: { ...STORAGE_PARAM, optional: true },
      target: { ...NODE_PARAM, optional: true },
    },
    proxied: true,
    handler: ({ sim, params, caller }) => {
      const node = pathNode(sim, params);
      const content = str(params, 'content');
      const only = str(params, 'storage');
      const list = sim.model.storages
        .filter((s) => s.nodes.includes(node.name))
        .filter((s) => caller.can(`/storage/${s.storage}`, 'Datastore.Audit', 'Datastore.AllocateSpace'))
        .filter((s) => only === undefined || s.storage === only)
        .filter((s) => !bool(params, 'enabled') || s.enabled)
        .filter((s) => content === undefined || s.content.split(',').includes(content))
        .map((s) => storageListEntry(s, node.name));
      return { data: list };
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/storage/{storage}/status',
    params: { ...NODE, storage: STORAGE_PARAM },
    proxied: true,
    permission: { path: '/storage/{storage}', privs: ['Datastore.Audit', 'Datastore.AllocateSpace'] },
    handler: ({ sim, params }) => {
      const node = pathNode(sim, params);
      const s = sim.model.storages.find((x) => x.storage === params['storage'] && x.nodes.includes(node.name));
      if (!s) throw paramError({ storage: 'No such storage.' });
      return { data: storageStatusView(s, node.name) };
    },
  },
];

export const CLUSTER_AND_NODE_ROUTES: PveRoute[] = [...clusterRoutes, ...nodeRoutes];
