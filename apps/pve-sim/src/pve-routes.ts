import { pathNode } from './lookup';
import { nodeCommand, wakeOnLan } from './node-power';
import { bool, NODE_PARAM, STORAGE_PARAM, str, type ParamSchema } from './params';
import { paramError } from './pve-errors';
import { type PveRoute } from './router';
import { nodeRrd, TIMEFRAMES, type Timeframe } from './rrd';
import { clusterResourcesView, clusterStatusView, haResourcesView, haStatusView, nodesListView } from './views-cluster';
import { nodeStatusView, storageListEntry, storageStatusView } from './views-node';

const NODE: ParamSchema = { node: NODE_PARAM };
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
    handler: ({ sim, local }) => ({ data: clusterStatusView(sim, local) }),
  },
  {
    method: 'GET',
    path: '/cluster/resources',
    params: { type: { type: 'string', optional: true, enum: ['vm', 'storage', 'node', 'sdn'] } },
    proxied: false,
    handler: ({ sim, params }) => ({ data: clusterResourcesView(sim, str(params, 'type')) }),
  },
  {
    method: 'GET',
    path: '/cluster/ha/resources',
    params: { type: { type: 'string', optional: true, enum: ['ct', 'vm'] } },
    proxied: false,
    handler: ({ sim, params }) => ({ data: haResourcesView(sim, str(params, 'type')) }),
  },
  {
    method: 'GET',
    path: '/cluster/ha/status/current',
    params: {},
    proxied: false,
    handler: ({ sim, local }) => ({ data: haStatusView(sim, local) }),
  },
  { method: 'GET', path: '/nodes', params: {}, proxied: false, handler: ({ sim }) => ({ data: nodesListView(sim) }) },
];

const nodeRoutes: PveRoute[] = [
  {
    method: 'GET',
    path: '/nodes/{node}/status',
    params: NODE,
    proxied: true,
    handler: ({ sim, params }) => ({ data: nodeStatusView(sim, pathNode(sim, params)) }),
  },
  {
    method: 'POST',
    path: '/nodes/{node}/status',
    params: { ...NODE, command: { type: 'string', enum: ['reboot', 'shutdown'] } },
    proxied: true,
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
    handler: ({ sim, params, local }) => ({ data: wakeOnLan(sim, String(params['node']), local) }),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/rrddata',
    params: { ...NODE, ...RRD_PARAMS },
    proxied: true,
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
    handler: ({ sim, params }) => {
      const node = pathNode(sim, params);
      const content = str(params, 'content');
      const only = str(params, 'storage');
      const list = sim.model.storages
        .filter((s) => s.nodes.includes(node.name))
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
    handler: ({ sim, params }) => {
      const node = pathNode(sim, params);
      const s = sim.model.storages.find((x) => x.storage === params['storage'] && x.nodes.includes(node.name));
      if (!s) throw paramError({ storage: 'No such storage.' });
      return { data: storageStatusView(s, node.name) };
    },
  },
];

export const CLUSTER_AND_NODE_ROUTES: PveRoute[] = [...clusterRoutes, ...nodeRoutes];
