import { type ClusterSim } from './cluster';
import { armFlapping, crashGuest } from './guest-lifecycle';
import { powerOn } from './node-power';
import { SeededRandom } from './random';
import { SIM_UNITS } from './ssh/node-commands';

export type Fault =
  | { kind: 'crash-guest'; vmid: number }
  | { kind: 'node-offline'; node: string }
  | { kind: 'node-online'; node: string }
  | { kind: 'fill-disk'; node: string; storage: string; percent: number }
  | { kind: 'lose-quorum' }
  | { kind: 'latency'; ms: number }
  | { kind: 'errors'; rate: number }
  | { kind: 'flapping-guest'; vmid: number }
  | { kind: 'service-down'; node: string; unit: string };

/** A refused control request: the status and the `{ error: { code, message } }` body. */
export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string) => new ControlError(400, 'INVALID_FAULT', message);

const FIELDS: Record<Fault['kind'], string[]> = {
  'crash-guest': ['vmid'],
  'node-offline': ['node'],
  'node-online': ['node'],
  'fill-disk': ['node', 'storage', 'percent'],
  'lose-quorum': [],
  latency: ['ms'],
  errors: ['rate'],
  'flapping-guest': ['vmid'],
  'service-down': ['node', 'unit'],
};

function num(body: Record<string, unknown>, key: string, min: number, max: number, integer: boolean): number {
  const v = body[key];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(`'${key}' must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return v;
}

function text(body: Record<string, unknown>, key: string): string {
  const v = body[key];
  if (typeof v !== 'string' || v === '') throw bad(`'${key}' must be a non-empty string`);
  return v;
}

/** Whitelist validation: unknown kinds and unexpected keys are refused, never ignored. */
export function parseFault(body: unknown): Fault {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw bad('body must be a JSON object');
  const b = body as Record<string, unknown>;
  const kind = b['kind'];
  if (typeof kind !== 'string' || !(kind in FIELDS))
    throw bad(`'kind' must be one of ${Object.keys(FIELDS).join(', ')}`);
  const allowed = FIELDS[kind as Fault['kind']];
  const extra = Object.keys(b).filter((k) => k !== 'kind' && !allowed.includes(k));
  if (extra.length > 0) throw bad(`unexpected field(s) for ${kind}: ${extra.join(', ')}`);
  switch (kind as Fault['kind']) {
    case 'crash-guest':
    case 'flapping-guest':
      return { kind: kind as 'crash-guest' | 'flapping-guest', vmid: num(b, 'vmid', 100, 999_999_999, true) };
    case 'node-offline':
    case 'node-online':
      return { kind: kind as 'node-offline' | 'node-online', node: text(b, 'node') };
    case 'fill-disk':
      return {
        kind: 'fill-disk',
        node: text(b, 'node'),
        storage: text(b, 'storage'),
        percent: num(b, 'percent', 0, 100, false),
      };
    case 'lose-quorum':
      return { kind: 'lose-quorum' };
    case 'latency':
      return { kind: 'latency', ms: num(b, 'ms', 0, 600_000, false) };
    case 'errors':
      return { kind: 'errors', rate: num(b, 'rate', 0, 1, false) };
    case 'service-down':
      return { kind: 'service-down', node: text(b, 'node'), unit: text(b, 'unit').replace(/\.service$/, '') };
  }
}

function requireNode(sim: ClusterSim, name: string) {
  const node = sim.node(name);
  if (!node) throw new ControlError(400, 'UNKNOWN_NODE', `no node '${name}'`);
  return node;
}

function requireGuest(sim: ClusterSim, vmid: number) {
  const g = sim.guest(vmid);
  if (!g) throw new ControlError(400, 'UNKNOWN_GUEST', `no guest ${vmid}`);
  return g;
}

export function applyFault(sim: ClusterSim, fault: Fault): void {
  switch (fault.kind) {
    case 'crash-guest': {
      const g = requireGuest(sim, fault.vmid);
      if (g.status !== 'running')
        throw new ControlError(409, 'GUEST_NOT_RUNNING', `guest ${fault.vmid} is not running`);
      crashGuest(sim, g);
      break;
    }
    case 'flapping-guest':
      armFlapping(sim, requireGuest(sim, fault.vmid));
      break;
    case 'node-offline':
      requireNode(sim, fault.node).faultOffline = true;
      break;
    case 'node-online': {
      const node = requireNode(sim, fault.node);
      node.faultOffline = false;
      powerOn(sim, node);
      break;
    }
    case 'fill-disk': {
      requireNode(sim, fault.node);
      const storage = sim.model.storages.find((s) => s.storage === fault.storage && s.nodes.includes(fault.node));
      const size = storage?.sizes[fault.node];
      if (!storage || !size)
        throw new ControlError(400, 'UNKNOWN_STORAGE', `no storage '${fault.storage}' on node '${fault.node}'`);
      const previous = sim.faults.diskFills.find(
        (f) => f.storage === fault.storage && (storage.shared || f.node === fault.node),
      );
      const originalUsed = previous?.originalUsed ?? size.used;
      sim.faults.diskFills = sim.faults.diskFills.filter((f) => f !== previous);
      sim.faults.diskFills.push({ node: fault.node, storage: fault.storage, percent: fault.percent, originalUsed });
      size.used = Math.round((size.total * fault.percent) / 100);
      break;
    }
    case 'lose-quorum':
      sim.faults.quorumLost = true;
      break;
    case 'latency':
      sim.faults.latencyMs = fault.ms;
      break;
    case 'errors':
      sim.faults.errorRate = fault.rate;
      // Re-seeded on every injection, so the same calls after it fail the same way in every run.
      sim.errorDraws = SeededRandom.stream(sim.seed, `errors/${fault.rate}`);
      break;
    case 'service-down': {
      requireNode(sim, fault.node);
      if (!SIM_UNITS.includes(fault.unit))
        throw new ControlError(400, 'UNKNOWN_UNIT', `no unit '${fault.unit}' on a simulated node`);
      // As `systemctl stop`: down until something restarts it over SSH (or the faults are cleared).
      if (!sim.faults.servicesDown.some((d) => d.node === fault.node && d.unit === fault.unit))
        sim.faults.servicesDown.push({ node: fault.node, unit: fault.unit });
      break;
    }
  }
  // Membership and disk changes reach /cluster/resources at once instead of on the next cycle.
  sim.refresh(sim.now());
  if (fault.kind === 'node-offline' || fault.kind === 'node-online') sim.nodesChanged();
}

/** Ends every persistent fault. A crashed guest stays stopped: that already happened. */
export function clearFaults(sim: ClusterSim): void {
  for (const fill of sim.faults.diskFills) {
    const size = sim.model.storages.find((s) => s.storage === fill.storage)?.sizes[fill.node];
    if (size) size.used = fill.originalUsed;
  }
  for (const node of sim.model.nodes) node.faultOffline = false;
  for (const g of sim.model.guests) g.flapping = false;
  sim.faults = { quorumLost: false, latencyMs: 0, errorRate: 0, diskFills: [], servicesDown: [] };
  sim.refresh(sim.now());
  sim.nodesChanged();
}

export function activeFaults(sim: ClusterSim): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const n of sim.model.nodes) if (n.faultOffline) out.push({ kind: 'node-offline', node: n.name });
  for (const g of sim.model.guests) if (g.flapping) out.push({ kind: 'flapping-guest', vmid: g.vmid });
  for (const f of sim.faults.diskFills)
    out.push({ kind: 'fill-disk', node: f.node, storage: f.storage, percent: f.percent });
  for (const d of sim.faults.servicesDown) out.push({ kind: 'service-down', node: d.node, unit: d.unit });
  if (sim.faults.quorumLost) out.push({ kind: 'lose-quorum' });
  if (sim.faults.latencyMs > 0) out.push({ kind: 'latency', ms: sim.faults.latencyMs });
  if (sim.faults.errorRate > 0) out.push({ kind: 'errors', rate: sim.faults.errorRate });
  return out;
}
