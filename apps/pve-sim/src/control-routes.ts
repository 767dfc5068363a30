import { type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { type ClusterSim } from './cluster';
import { activeFaults, applyFault, clearFaults, ControlError, parseFault } from './faults';
import { requestGuestAction } from './guest-actions';
import { isOnline } from './model';
import { PERMISSION_PRESETS, presetAcl, validateAcl, type PermissionPreset } from './permissions';
import { PveError } from './pve-errors';
import { writeJson } from './wire';

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return address === '::1' || (isIP(v4) === 4 && v4.startsWith('127.'));
}

function jsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ControlError(400, 'INVALID_JSON', 'body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ControlError(400, 'INVALID_BODY', 'body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function onlyKeys(body: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new ControlError(400, 'INVALID_BODY', `unexpected field(s): ${extra.join(', ')}`);
}

function configView(sim: ClusterSim) {
  return { taskMs: sim.timing.taskMs ?? null, refreshMs: sim.refreshMs, sysAudit: sim.sysAudit };
}

function putConfig(sim: ClusterSim, body: Record<string, unknown>) {
  onlyKeys(body, ['taskMs', 'refreshMs', 'sysAudit']);
  const { taskMs, refreshMs, sysAudit } = body;
  if (sysAudit !== undefined && typeof sysAudit !== 'boolean') {
    throw new ControlError(400, 'INVALID_CONFIG', "'sysAudit' must be a boolean");
  }
  // null puts taskMs back to the realistic per-action durations.
  if (
    taskMs !== undefined &&
    taskMs !== null &&
    (typeof taskMs !== 'number' || !Number.isFinite(taskMs) || taskMs < 0)
  ) {
    throw new ControlError(400, 'INVALID_CONFIG', "'taskMs' must be a non-negative number or null");
  }
  if (refreshMs !== undefined && (typeof refreshMs !== 'number' || !Number.isFinite(refreshMs) || refreshMs < 0)) {
    throw new ControlError(400, 'INVALID_CONFIG', "'refreshMs' must be a non-negative number");
  }
  sim.setConfig({
    ...(taskMs !== undefined ? { taskMs } : {}),
    ...(refreshMs !== undefined ? { refreshMs } : {}),
    ...(sysAudit !== undefined ? { sysAudit } : {}),
  });
  return configView(sim);
}

function reset(sim: ClusterSim, body: Record<string, unknown>) {
  onlyKeys(body, ['seed']);
  const seed = body['seed'];
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isInteger(seed))) {
    throw new ControlError(400, 'INVALID_SEED', "'seed' must be an integer");
  }
  sim.reset(seed);
  return { seed: sim.seed };
}

/** Renames or retags a guest, with no validation of the text: hostile names are the point. */
function guestMeta(sim: ClusterSim, body: Record<string, unknown>) {
  onlyKeys(body, ['vmid', 'name', 'tags']);
  const guest = sim.model.guests.find((g) => g.vmid === body['vmid']);
  if (!guest) throw new ControlError(404, 'NOT_FOUND', `no guest ${JSON.stringify(body['vmid'])}`);
  if (body['name'] !== undefined) {
    if (typeof body['name'] !== 'string') throw new ControlError(400, 'INVALID_BODY', "'name' must be a string");
    guest.name = body['name'];
  }
  if (body['tags'] !== undefined) {
    if (!Array.isArray(body['tags']) || !body['tags'].every((t) => typeof t === 'string'))
      throw new ControlError(400, 'INVALID_BODY', "'tags' must be an array of strings");
    guest.tags = body['tags'];
  }
  return { vmid: guest.vmid, name: guest.name, tags: guest.tags };
}

/** Adds a finished (by default failed) task whose log holds the given lines. */
function taskLog(sim: ClusterSim, body: Record<string, unknown>) {
  onlyKeys(body, ['node', 'vmid', 'type', 'lines', 'exitstatus']);
  const node = sim.model.nodes.find((n) => n.name === body['node']);
  if (!node) throw new ControlError(404, 'NOT_FOUND', `no node ${JSON.stringify(body['node'])}`);
  const lines = body['lines'];
  if (!Array.isArray(lines) || !lines.every((l) => typeof l === 'string'))
    throw new ControlError(400, 'INVALID_BODY', "'lines' must be an array of strings");
  const now = Date.now();
  const task = sim.tasks.addHistoric({
    node,
    type: typeof body['type'] === 'string' ? body['type'] : 'qmstart',
    id: typeof body['vmid'] === 'number' ? String(body['vmid']) : '',
    user: 'root@pam',
    startMs: now - 2_000,
    endMs: now - 1_000,
    exitstatus: typeof body['exitstatus'] === 'string' ? body['exitstatus'] : 'command failed',
    log: lines,
  });
  return { upid: task.upid };
}

const OUTSIDE_ACTIONS = ['start', 'stop', 'shutdown', 'reboot'] as const;
// pve_verify_tokenid / verify_username: user@realm, optionally !tokenid.
const PVE_USER = /^[^\s@!:]{1,64}@[A-Za-z][A-Za-z0-9.\-_]{0,31}(![A-Za-z][A-Za-z0-9.\-_]{0,63})?$/;

/**
 * A power action done as another Proxmox user, as if from Proxmox's own UI: the same API handler
 * and worker as a token call, so a real task with that user in its UPID, in the node's and the
 * cluster's task lists, and a ledger entry naming the user.
 */
function outsideAction(sim: ClusterSim, body: Record<string, unknown>) {
  onlyKeys(body, ['vmid', 'action', 'user']);
  const guest = sim.model.guests.find((g) => g.vmid === body['vmid']);
  if (!guest) throw new ControlError(404, 'NOT_FOUND', `no guest ${JSON.stringify(body['vmid'])}`);
  const action = body['action'];
  if (typeof action !== 'string' || !(OUTSIDE_ACTIONS as readonly string[]).includes(action)) {
    throw new ControlError(400, 'INVALID_BODY', `'action' must be one of ${OUTSIDE_ACTIONS.join(', ')}`);
  }
  const user = body['user'] ?? 'root@pam';
  if (typeof user !== 'string' || !PVE_USER.test(user)) {
    throw new ControlError(400, 'INVALID_BODY', "'user' must be a Proxmox user (user@realm or user@realm!token)");
  }
  const node = sim.node(guest.node);
  if (!node || !isOnline(node)) throw new ControlError(409, 'NODE_OFFLINE', `node ${guest.node} is not online`);
  let upid: string;
  try {
    upid = requestGuestAction({
      sim,
      node,
      guest,
      action: action as (typeof OUTSIDE_ACTIONS)[number],
      params: {},
      user,
    });
  } catch (err) {
    if (err instanceof PveError) throw new ControlError(409, 'REFUSED', err.message);
    throw err;
  }
  sim.ledger.record(
    {
      method: 'POST',
      path: `/nodes/${node.name}/${guest.type}/${guest.vmid}/status/${action}`,
      node: node.name,
      vmid: guest.vmid,
      action,
      upid,
      user,
    },
    sim.now(),
  );
  return { upid, user };
}

/** The restricted token's ACL: path → privileges, propagated to every path below. */
function permissionsView(sim: ClusterSim) {
  return { acl: sim.acl };
}

/** `{ preset }` (full, auditor, pool-power, none) or `{ acl }`; replaces the restricted token's ACL. */
function putPermissions(sim: ClusterSim, body: Record<string, unknown>) {
  onlyKeys(body, ['acl', 'preset']);
  const { acl, preset } = body;
  if ((acl === undefined) === (preset === undefined))
    throw new ControlError(400, 'INVALID_PERMISSIONS', "give exactly one of 'acl' or 'preset'");
  if (preset !== undefined) {
    if (typeof preset !== 'string' || !(PERMISSION_PRESETS as readonly string[]).includes(preset))
      throw new ControlError(400, 'INVALID_PERMISSIONS', `'preset' must be one of ${PERMISSION_PRESETS.join(', ')}`);
    sim.acl = presetAcl(preset as PermissionPreset);
  } else {
    const parsed = validateAcl(acl);
    if (typeof parsed === 'string') throw new ControlError(400, 'INVALID_PERMISSIONS', parsed);
    sim.acl = parsed;
  }
  return permissionsView(sim);
}

/** Everything the simulator knows, for tests that want to look behind the API. */
function stateDump(sim: ClusterSim) {
  return {
    seed: sim.seed,
    config: configView(sim),
    quorate: sim.quorate(),
    localNode: sim.model.localNode,
    nodes: sim.model.nodes.map((n) => ({ ...n, online: isOnline(n) })),
    guests: sim.model.guests,
    storages: sim.model.storages,
    pools: sim.model.pools,
    acl: sim.acl,
    faults: activeFaults(sim),
    tasks: sim.tasks.all().map((t) => ({
      upid: t.upid,
      node: t.node,
      type: t.type,
      id: t.id,
      user: t.user,
      running: t.running,
      exitstatus: t.exitstatus,
      starttime: t.starttime,
      endtime: t.endtime,
    })),
  };
}

type ControlHandler = (sim: ClusterSim, body: Record<string, unknown>) => unknown;

const ROUTES: Record<string, Partial<Record<string, ControlHandler>>> = {
  ledger: { GET: (sim) => sim.ledger.list() },
  faults: {
    GET: (sim) => activeFaults(sim),
    POST: (sim, body) => {
      const fault = parseFault(body);
      applyFault(sim, fault);
      return { applied: fault, active: activeFaults(sim) };
    },
    DELETE: (sim) => {
      clearFaults(sim);
      return { active: activeFaults(sim) };
    },
  },
  reset: { POST: reset },
  // Tests of prompt-injection framing: free text where PVE has free text (names, tags, task logs).
  'guest-meta': { POST: guestMeta },
  'task-log': { POST: taskLog },
  actions: { POST: outsideAction },
  config: { GET: configView, PUT: putConfig },
  permissions: { GET: permissionsView, PUT: putPermissions },
  state: { GET: stateDump },
};

/** What the control API knows of the listeners around the cluster. */
export interface ControlContext {
  /** Resolves once every node endpoint matches its node's state. */
  settled: () => Promise<void>;
  /** Each node endpoint and whether it is listening, for GET /_sim/endpoints. */
  endpoints: () => EndpointState[];
}

export interface EndpointState {
  node: string;
  url: string;
  listening: boolean;
  /** Why the endpoint could not reopen (its address was taken while the node was down). */
  lastError?: string;
}

/**
 * /_sim/*: plain JSON (no PVE envelope), no token, loopback callers only, on the main address only.
 * The answer waits for `settled`, so once a fault call returns the node endpoints it opened or
 * closed are open or closed.
 */
export async function handleControl(
  sim: ClusterSim,
  req: IncomingMessage,
  res: ServerResponse,
  segments: string[],
  body: Buffer,
  ctx: ControlContext,
): Promise<void> {
  try {
    if (!isLoopback(req.socket.remoteAddress))
      throw new ControlError(403, 'FORBIDDEN', 'the control API answers loopback callers only');
    const name = segments.length === 1 ? segments[0] : undefined;
    const route = name === 'endpoints' ? { GET: () => ctx.endpoints() } : name === undefined ? undefined : ROUTES[name];
    if (!route) throw new ControlError(404, 'NOT_FOUND', `no control route ${req.url ?? ''}`);
    const handler = route[req.method ?? 'GET'];
    if (!handler)
      throw new ControlError(405, 'METHOD_NOT_ALLOWED', `${req.method ?? ''} is not supported on /_sim/${name}`);
    const result = handler(sim, jsonBody(body));
    await ctx.settled();
    writeJson(res, 200, result);
  } catch (err) {
    if (err instanceof ControlError) {
      writeJson(res, err.status, { error: { code: err.code, message: err.message } });
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    writeJson(res, 500, { error: { code: 'INTERNAL', message } });
  }
}
