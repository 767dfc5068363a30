/**
 * Resources that keep Jarvis alive, and what they depend on. The graph is small and explicit:
 * an edge `a -> b` means "a needs b running". Everything reachable from Jarvis's own roots is
 * protected, so stopping the node that hosts Jarvis's VM is as forbidden as stopping the VM.
 */
import { isNodeName, isVmid } from './identifiers';

export type ResourceId = `guest:${number}` | `node:${string}` | `service:${string}`;

export interface ProtectedResources {
  /** Jarvis's own VM and the node it runs on. */
  readonly jarvis: { readonly vmid: number; readonly node: string };
  /** Other guests the operator marks as protected (e.g. the container daemon's VM, the router). */
  readonly guests?: readonly { readonly vmid: number; readonly node?: string; readonly reason: string }[];
  readonly nodes?: readonly { readonly node: string; readonly reason: string }[];
  /** Services Jarvis needs, by the guest that hosts them (the container daemon by default). */
  readonly services?: readonly { readonly name: string; readonly vmid: number; readonly reason: string }[];
}

const CONTAINER_DAEMON_REASON = "the container daemon that runs Jarvis's services";

/** By default the container daemon runs on Jarvis's own VM. */
const defaultServices = (jarvisVmid: number): ProtectedResources['services'] =>
  Object.freeze([Object.freeze({ name: 'docker', vmid: jarvisVmid, reason: CONTAINER_DAEMON_REASON })]);

export const DEFAULT_PROTECTED: ProtectedResources = Object.freeze({
  jarvis: Object.freeze({ vmid: 103, node: 'agent1' }),
  services: defaultServices(103),
});

export interface ProtectedHit {
  readonly resource: ResourceId;
  readonly reason: string;
}

/** Edges of the dependency graph, from the protected configuration. */
export function dependencyEdges(p: ProtectedResources): Array<[ResourceId, ResourceId]> {
  const edges: Array<[ResourceId, ResourceId]> = [[`guest:${p.jarvis.vmid}`, `node:${p.jarvis.node}`]];
  for (const service of p.services ?? []) edges.push([`service:${service.name}`, `guest:${service.vmid}`]);
  for (const guest of p.guests ?? []) if (guest.node) edges.push([`guest:${guest.vmid}`, `node:${guest.node}`]);
  return edges;
}

/** Every protected resource with the reason it is protected: the roots and their transitive dependencies. */
export function protectedClosure(p: ProtectedResources): Map<ResourceId, string> {
  const reasons = new Map<ResourceId, string>();
  const roots: Array<[ResourceId, string]> = [[`guest:${p.jarvis.vmid}`, "Jarvis's own VM"]];
  for (const g of p.guests ?? []) roots.push([`guest:${g.vmid}`, g.reason]);
  for (const n of p.nodes ?? []) roots.push([`node:${n.node}`, n.reason]);
  for (const s of p.services ?? []) roots.push([`service:${s.name}`, s.reason]);
  const edges = dependencyEdges(p);
  const queue = [...roots];
  while (queue.length > 0) {
    const [id, reason] = queue.shift()!;
    if (reasons.has(id)) continue;
    reasons.set(id, reason);
    for (const [from, to] of edges) if (from === id) queue.push([to, `${reason} depends on it`]);
  }
  return reasons;
}

export function findProtected(p: ProtectedResources, target: ResourceId): ProtectedHit | undefined {
  const reason = protectedClosure(p).get(target);
  return reason === undefined ? undefined : { resource: target, reason };
}

/** Parse the JARVIS_PROTECTED setting; a malformed value is an error, never "nothing protected". */
export function parseProtected(raw: unknown): ProtectedResources {
  if (typeof raw !== 'object' || raw === null) throw new Error('protected resources must be an object');
  const r = raw as Record<string, unknown>;
  // Accept the short form `{ vmid, node }` as well as `{ jarvis: { vmid, node }, ... }`.
  const jarvis = (r['jarvis'] ?? (r['vmid'] !== undefined ? r : undefined)) as Record<string, unknown> | undefined;
  const vmid = jarvis?.['vmid'];
  const node = jarvis?.['node'];
  // A VMID or node name PVE would never report protects nothing, so it is an error too.
  if (!isVmid(vmid) || !isNodeName(node)) {
    throw new Error('protected resources need jarvis: { vmid: a PVE VMID, node: a PVE node name }');
  }
  const list = <T>(key: string, ok: (v: Record<string, unknown>) => boolean): T[] | undefined => {
    const v = r[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'object' && x !== null && ok(x as Record<string, unknown>))) {
      throw new Error(`protected resources: ${key} is malformed`);
    }
    return v as T[];
  };
  const guests = list<{ vmid: number; node?: string; reason: string }>(
    'guests',
    (x) => isVmid(x['vmid']) && (x['node'] === undefined || isNodeName(x['node'])) && typeof x['reason'] === 'string',
  );
  const nodes = list<{ node: string; reason: string }>(
    'nodes',
    (x) => isNodeName(x['node']) && typeof x['reason'] === 'string',
  );
  const services = list<{ name: string; vmid: number; reason: string }>(
    'services',
    (x) =>
      typeof x['name'] === 'string' && /^\S+$/.test(x['name']) && isVmid(x['vmid']) && typeof x['reason'] === 'string',
  );
  return {
    jarvis: { vmid, node },
    ...(guests ? { guests } : {}),
    ...(nodes ? { nodes } : {}),
    services: services ?? defaultServices(vmid),
  };
}
