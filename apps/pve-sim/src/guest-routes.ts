import { type ClusterSim } from './cluster';
import { requestGuestAction, requestRollback, requestSnapshot, type GuestAction } from './guest-actions';
import { guestConfigView } from './guest-config';
import { guestOn, pathNode } from './lookup';
import { type GuestType } from './model';
import { bool, NODE_PARAM, str, VMID_PARAM, type ParamSchema, type Params } from './params';
import { type PveRoute, type RoutePermission } from './router';
import { RRD_PARAMS } from './pve-routes';
import { guestRrd, type Timeframe } from './rrd';
import { lxcCurrentView, lxcListEntry, qemuCurrentView, qemuListEntry, snapshotListView } from './views-guest';

const NODE_VMID: ParamSchema = { node: NODE_PARAM, vmid: VMID_PARAM };
const VM_AUDIT: RoutePermission = { path: '/vms/{vmid}', privs: ['VM.Audit'] };
const SKIPLOCK: ParamSchema = { skiplock: { type: 'boolean', optional: true } };
const TIMEOUT: ParamSchema = { timeout: { type: 'integer', minimum: 0, optional: true } };
const FORCE_STOP: ParamSchema = { forceStop: { type: 'boolean', optional: true } };
const KEEP_ACTIVE: ParamSchema = { keepActive: { type: 'boolean', optional: true } };
const OVERRULE: ParamSchema = { 'overrule-shutdown': { type: 'boolean', optional: true } };
const MIGRATED_FROM: ParamSchema = { migratedfrom: { ...NODE_PARAM, optional: true } };

// The parameters each action accepts in 8.4 (apidata.js); anything else is a 400, as on a real node.
const QEMU_ACTION_PARAMS: Record<GuestAction, ParamSchema> = {
  start: {
    ...SKIPLOCK,
    ...TIMEOUT,
    ...MIGRATED_FROM,
    stateuri: { type: 'string', optional: true, maxLength: 128 },
    migration_type: { type: 'string', enum: ['secure', 'insecure'], optional: true },
    migration_network: { type: 'string', optional: true },
    machine: { type: 'string', optional: true },
    'force-cpu': { type: 'string', optional: true },
    targetstorage: { type: 'string', optional: true },
    nets: { type: 'string', optional: true },
  },
  stop: { ...SKIPLOCK, ...TIMEOUT, ...MIGRATED_FROM, ...KEEP_ACTIVE, ...OVERRULE },
  shutdown: { ...SKIPLOCK, ...TIMEOUT, ...FORCE_STOP, ...KEEP_ACTIVE },
  reboot: { ...TIMEOUT },
  suspend: {
    ...SKIPLOCK,
    todisk: { type: 'boolean', optional: true },
    statestorage: { type: 'string', optional: true },
  },
  resume: { ...SKIPLOCK, nocheck: { type: 'boolean', optional: true } },
  reset: { ...SKIPLOCK },
};

const LXC_ACTION_PARAMS: Record<Exclude<GuestAction, 'reset'>, ParamSchema> = {
  start: { ...SKIPLOCK, debug: { type: 'boolean', optional: true } },
  stop: { ...SKIPLOCK, ...OVERRULE },
  shutdown: { ...TIMEOUT, ...FORCE_STOP },
  reboot: { ...TIMEOUT },
  suspend: {},
  resume: {},
};

function guestFrom(sim: ClusterSim, params: Params, type: GuestType) {
  const node = pathNode(sim, params);
  return { node, guest: guestOn(sim, node, type, Number(params['vmid'])) };
}

function actionRoute(type: GuestType, action: GuestAction, extra: ParamSchema): PveRoute {
  return {
    method: 'POST',
    path: `/nodes/{node}/${type}/{vmid}/status/${action}`,
    params: { ...NODE_VMID, ...extra },
    proxied: true,
    permission: { path: '/vms/{vmid}', privs: ['VM.PowerMgmt'] },
    handler: ({ sim, params, user }) => {
      const { node, guest } = guestFrom(sim, params, type);
      return { data: requestGuestAction({ sim, node, guest, action, params, user }) };
    },
  };
}

function perTypeRoutes(type: GuestType): PveRoute[] {
  const base = `/nodes/{node}/${type}`;
  return [
    {
      method: 'GET',
      path: base,
      params: { node: NODE_PARAM, full: { type: 'boolean', optional: true } },
      proxied: true,
      handler: ({ sim, params, caller }) => {
        const node = pathNode(sim, params);
        // vmstatus: guests the caller may not audit are left out, with no error.
        const guests = sim.model.guests.filter(
          (g) => g.node === node.name && g.type === type && caller.can(`/vms/${g.vmid}`, 'VM.Audit'),
        );
        const data = guests.map((g) =>
          type === 'qemu' ? qemuListEntry(sim, g, bool(params, 'full')) : lxcListEntry(sim, node, g),
        );
        return { data };
      },
    },
    {
      method: 'GET',
      path: `${base}/{vmid}/status/current`,
      params: NODE_VMID,
      proxied: true,
      permission: VM_AUDIT,
      handler: ({ sim, params }) => {
        const { node, guest } = guestFrom(sim, params, type);
        return { data: type === 'qemu' ? qemuCurrentView(sim, guest) : lxcCurrentView(sim, node, guest) };
      },
    },
    {
      method: 'GET',
      path: `${base}/{vmid}/config`,
      params: {
        ...NODE_VMID,
        current: { type: 'boolean', optional: true },
        snapshot: { type: 'string', optional: true },
      },
      proxied: true,
      permission: VM_AUDIT,
      handler: ({ sim, params }) => ({ data: guestConfigView(guestFrom(sim, params, type).guest) }),
    },
    {
      method: 'GET',
      path: `${base}/{vmid}/rrddata`,
      params: { ...NODE_VMID, ...RRD_PARAMS },
      proxied: true,
      permission: VM_AUDIT,
      handler: ({ sim, params }) => {
        const { node, guest } = guestFrom(sim, params, type);
        return { data: guestRrd(sim, node, guest, params['timeframe'] as Timeframe, str(params, 'cf') ?? 'AVERAGE') };
      },
    },
  ];
}

const snapshotRoutes: PveRoute[] = [
  {
    method: 'GET',
    path: '/nodes/{node}/qemu/{vmid}/snapshot',
    params: NODE_VMID,
    proxied: true,
    permission: VM_AUDIT,
    handler: ({ sim, params }) => ({ data: snapshotListView(sim, guestFrom(sim, params, 'qemu').guest) }),
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/snapshot',
    params: {
      ...NODE_VMID,
      snapname: {
        type: 'string',
        maxLength: 40,
        format: (v) =>
          /^[a-z][a-z0-9_-]+$/i.test(v) ? undefined : `invalid format - invalid configuration ID '${v}'\n`,
      },
      description: { type: 'string', optional: true },
      vmstate: { type: 'boolean', optional: true },
    },
    proxied: true,
    permission: { path: '/vms/{vmid}', privs: ['VM.Snapshot'] },
    handler: ({ sim, params, user }) => {
      const { node, guest } = guestFrom(sim, params, 'qemu');
      return { data: requestSnapshot(sim, node, guest, params, user) };
    },
  },
  {
    method: 'POST',
    path: '/nodes/{node}/qemu/{vmid}/snapshot/{snapname}/rollback',
    params: {
      ...NODE_VMID,
      snapname: { type: 'string', maxLength: 40 },
      start: { type: 'boolean', optional: true },
    },
    proxied: true,
    permission: { path: '/vms/{vmid}', privs: ['VM.Snapshot', 'VM.Snapshot.Rollback'] },
    handler: ({ sim, params, user }) => {
      const { node, guest } = guestFrom(sim, params, 'qemu');
      return { data: requestRollback(sim, node, guest, params, user) };
    },
  },
];

export const GUEST_ROUTES: PveRoute[] = [
  ...perTypeRoutes('qemu'),
  ...perTypeRoutes('lxc'),
  ...Object.entries(QEMU_ACTION_PARAMS).map(([action, extra]) => actionRoute('qemu', action as GuestAction, extra)),
  ...Object.entries(LXC_ACTION_PARAMS).map(([action, extra]) => actionRoute('lxc', action as GuestAction, extra)),
  ...snapshotRoutes,
];
