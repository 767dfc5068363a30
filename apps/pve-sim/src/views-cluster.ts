import { createHash } from 'node:crypto';
import { type ClusterSim } from './cluster';
import { haSid } from './guest-actions';
import { isOnline, type SimGuest } from './model';
import { type Caller } from './permissions';
import { type GuestSample, type StatsSnapshot } from './stats';

type Json = Record<string, unknown>;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Perl's scalar localtime(), which pve-ha-manager embeds in its status strings. */
export function perlLocaltime(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const time = `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${time} ${d.getFullYear()}`;
}

export function tagString(g: SimGuest): string | undefined {
  return g.tags.length > 0 ? g.tags.join(';') : undefined;
}

/** Drops undefined values: PVE leaves a key out rather than sending null. */
export function compact(obj: Json): Json {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined));
}

/** `local` is the node whose endpoint answers; `ip` is each node's own endpoint address. */
export function clusterStatusView(sim: ClusterSim, local: string): Json[] {
  const m = sim.model;
  const nodes = m.nodes.map((n) => ({
    type: 'node',
    id: `node/${n.name}`,
    name: n.name,
    nodeid: n.nodeid,
    ip: n.ip,
    local: n.name === local ? 1 : 0,
    online: isOnline(n) ? 1 : 0,
    level: '',
  }));
  const cluster = {
    type: 'cluster',
    id: 'cluster',
    name: m.clusterName,
    nodes: m.nodes.length,
    quorate: sim.quorate() ? 1 : 0,
    version: m.configVersion,
  };
  // Perl hash order: node entries come back in no fixed order.
  return [cluster, ...sim.shuffle.shuffle(nodes)];
}

function haGuestState(sim: ClusterSim, g: SimGuest): string | undefined {
  if (!g.ha) return undefined;
  return sim.nodeOnline(g.node) ? g.ha.crmState : 'fence';
}

/** extract_node_stats: without Sys.Audit on the node (`excludeStats`) only its status and level remain. */
function nodeEntry(sim: ClusterSim, snap: StatsSnapshot, name: string, excludeStats = false): Json {
  const node = sim.node(name);
  const sample = snap.nodes.get(name);
  const online = node !== undefined && isOnline(node);
  const entry: Json = {
    id: `node/${name}`,
    node: name,
    type: 'node',
    status: online ? 'online' : 'offline',
    level: '',
  };
  if (sample && !excludeStats) {
    // extract_node_stats: live figures only for members that are online; the maxima stay.
    if (online) Object.assign(entry, { uptime: sample.uptime, cpu: sample.cpu, mem: sample.mem, disk: sample.disk });
    Object.assign(entry, { maxcpu: sample.maxcpu, maxmem: sample.maxmem, maxdisk: sample.maxdisk });
  }
  if (online) entry['cgroup-mode'] = 2;
  return entry;
}

function guestEntry(sim: ClusterSim, snap: StatsSnapshot, g: SimGuest, caller: Caller): Json {
  const sample = snap.guests.get(g.vmid);
  const base: Json = {
    id: `${g.type}/${g.vmid}`,
    vmid: g.vmid,
    node: g.node,
    type: g.type,
    name: g.name,
    template: g.template ? 1 : 0,
  };
  // The pool is shown only to who may audit that pool.
  const pool = sim.model.pools.find((p) => p.members.includes(g.vmid))?.poolid;
  const visiblePool = pool !== undefined && caller.can(`/pool/${pool}`, 'Pool.Audit') ? pool : undefined;
  const extras = compact({ lock: g.lock, tags: tagString(g), pool: visiblePool, hastate: haGuestState(sim, g) });
  if (!sim.nodeOnline(g.node) || !sample) {
    return { ...base, status: 'unknown', maxcpu: g.cpus, maxmem: g.maxmem, maxdisk: g.maxdisk, ...extras };
  }
  return { ...base, status: sample.status, ...sampleFields(sample), ...extras };
}

function sampleFields(s: GuestSample): Json {
  return {
    uptime: s.uptime,
    maxcpu: s.maxcpu,
    cpu: s.cpu,
    maxmem: s.maxmem,
    mem: s.mem,
    maxdisk: s.maxdisk,
    disk: s.disk,
    netin: s.netin,
    netout: s.netout,
    diskread: s.diskread,
    diskwrite: s.diskwrite,
  };
}

function storageEntries(sim: ClusterSim, snap: StatsSnapshot, caller: Caller): Json[] {
  const out: Json[] = [];
  for (const s of sim.model.storages) {
    if (!caller.can(`/storage/${s.storage}`, 'Datastore.Audit')) continue;
    for (const nodeName of s.nodes) {
      const sample = snap.storages.get(`${nodeName}/${s.storage}`);
      const entry: Json = {
        id: `storage/${nodeName}/${s.storage}`,
        storage: s.storage,
        node: nodeName,
        type: 'storage',
        plugintype: s.type,
        content: s.content,
        shared: s.shared ? 1 : 0,
        status: 'unknown',
      };
      if (sample && sim.nodeOnline(nodeName) && sample.available) {
        Object.assign(entry, { status: 'available', disk: sample.disk, maxdisk: sample.maxdisk });
      }
      out.push(entry);
    }
  }
  return out;
}

/**
 * GET /cluster/resources, filtered as PVE filters it, silently: pools need Pool.Audit, guests
 * VM.Audit, storage Datastore.Audit; nodes are always listed, their figures only with Sys.Audit.
 */
export function clusterResourcesView(sim: ClusterSim, type: string | undefined, caller: Caller): Json[] {
  const snap = sim.snapshot();
  const out: Json[] = [];
  if (type === undefined || type === 'pool') {
    for (const p of sim.model.pools) {
      if (caller.can(`/pool/${p.poolid}`, 'Pool.Audit'))
        out.push({ id: `/pool/${p.poolid}`, pool: p.poolid, type: 'pool' });
    }
  }
  if (type === undefined || type === 'vm') {
    for (const g of [...sim.model.guests].sort((a, b) => a.vmid - b.vmid)) {
      if (caller.can(`/vms/${g.vmid}`, 'VM.Audit')) out.push(guestEntry(sim, snap, g, caller));
    }
  }
  if (type === undefined || type === 'node') {
    for (const n of sim.model.nodes) {
      const entry = nodeEntry(sim, snap, n.name, !caller.can(`/nodes/${n.name}`, 'Sys.Audit'));
      entry['hastate'] = isOnline(n) ? 'online' : 'unknown';
      out.push(entry);
    }
  }
  if (type === undefined || type === 'storage') out.push(...storageEntries(sim, snap, caller));
  return out;
}

/** GET /pools: the pools the caller may audit; with `poolid`, that one with its members. */
export function poolsView(sim: ClusterSim, caller: Caller, poolid?: string, type?: string): Json[] {
  const snap = sim.snapshot();
  return sim.model.pools
    .filter((p) => poolid === undefined || p.poolid === poolid)
    .filter((p) => caller.can(`/pool/${p.poolid}`, 'Pool.Audit'))
    .map((p) => {
      const entry: Json = compact({ poolid: p.poolid, comment: p.comment });
      if (poolid === undefined) return entry;
      const members = p.members
        .map((vmid) => sim.guest(vmid))
        .filter((g): g is SimGuest => g !== undefined && (type === undefined || type === g.type))
        .filter((g) => caller.can(`/vms/${g.vmid}`, 'VM.Audit'))
        .map((g) => guestEntry(sim, snap, g, caller));
      return { ...entry, members };
    });
}

/** GET /nodes: the same RRD-backed node stats plus each node's certificate fingerprint. */
export function nodesListView(sim: ClusterSim, caller: Caller): Json[] {
  const snap = sim.snapshot();
  return sim.model.nodes.map((n) => {
    const entry = nodeEntry(sim, snap, n.name, !caller.can(`/nodes/${n.name}`, 'Sys.Audit'));
    delete entry['cgroup-mode'];
    return { ...entry, ssl_fingerprint: n.sslFingerprint };
  });
}

function digestOf(value: unknown): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('hex');
}

export function haResourcesView(sim: ClusterSim, type: string | undefined): Json[] {
  const managed = sim.model.guests.filter((g) => g.ha !== undefined);
  const digest = digestOf(managed.map((g) => [g.vmid, g.ha?.state]));
  return managed
    .filter((g) => type === undefined || (type === 'vm') === (g.type === 'qemu'))
    .map((g) => {
      const ha = g.ha;
      return compact({
        sid: haSid(g),
        type: g.type === 'qemu' ? 'vm' : 'ct',
        state: ha?.state,
        group: ha?.group,
        max_restart: ha?.maxRestart,
        max_relocate: ha?.maxRelocate,
        digest,
      });
    });
}

/** pve-ha-manager API2/HA/Status.pm status/current, as seen from the local node (the quorum line is its view). */
export function haStatusView(sim: ClusterSim, local: string): Json[] {
  const m = sim.model;
  const now = sim.now();
  const nowS = Math.floor(now / 1000);
  const quorate = sim.quorate();
  const out: Json[] = [
    {
      id: 'quorum',
      type: 'quorum',
      node: local,
      status: quorate ? 'OK' : `No quorum on node '${local}'!`,
      quorate: quorate ? 1 : 0,
    },
    {
      id: 'master',
      type: 'master',
      node: m.localNode,
      status: `${m.localNode} (active, ${perlLocaltime(now)})`,
      timestamp: nowS,
    },
  ];
  for (const n of m.nodes) {
    const hasService = m.guests.some((g) => g.node === n.name && g.ha && g.status === 'running');
    const mode = hasService ? 'active' : 'idle';
    const status = isOnline(n)
      ? `${n.name} (${mode}, ${perlLocaltime(now)})`
      : `${n.name} (old timestamp - dead?, ${perlLocaltime(now - 120_000)})`;
    out.push({ id: `lrm:${n.name}`, type: 'lrm', node: n.name, status, timestamp: isOnline(n) ? nowS : nowS - 120 });
  }
  for (const g of m.guests) {
    if (!g.ha) continue;
    const sid = haSid(g);
    const crm = haGuestState(sim, g) ?? 'started';
    out.push({
      id: `service:${sid}`,
      type: 'service',
      sid,
      node: g.node,
      crm_state: crm,
      state: crm,
      request_state: g.ha.state,
      status: `${sid} (${g.node}, ${crm})`,
      max_restart: g.ha.maxRestart,
      max_relocate: g.ha.maxRelocate,
    });
  }
  return out;
}
