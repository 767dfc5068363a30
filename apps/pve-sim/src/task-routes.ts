import { bool, int, NODE_PARAM, str, VMID_PARAM, type ParamSchema, type Params } from './params';
import { effectivePermissions, permissionDenied, type Caller } from './permissions';
import { handlerDie, paramError } from './pve-errors';
import { type PveRoute, type RouteContext } from './router';
import { splitTokenUser, taskListFields, type SimTask } from './tasks';
import { decodeUpid } from './upid';

const UPID_PATH: ParamSchema = { node: NODE_PARAM, upid: { type: 'string' } };

function parsedUpid(params: Params): string {
  const upid = String(params['upid']);
  if (!decodeUpid(upid)) throw paramError({ upid: 'unable to parse worker upid' });
  return upid;
}

/** GET …/tasks/{upid}/status: decoded UPID fields, user split from tokenid, and no endtime. */
function statusView(task: SimTask): Record<string, unknown> {
  const { user, tokenid } = splitTokenUser(task.user);
  const out: Record<string, unknown> = {
    upid: task.upid,
    node: task.node,
    pid: task.pid,
    pstart: task.pstart,
    starttime: task.starttime,
    type: task.type,
    id: task.id,
    user,
    status: task.running ? 'running' : 'stopped',
  };
  if (tokenid !== undefined) out['tokenid'] = tokenid;
  if (!task.running && task.exitstatus !== undefined) out['exitstatus'] = task.exitstatus;
  return out;
}

/** pve-common dump_logfile: n counts from 1, limit 0 means everything, empty logs say "no content". */
function logView(lines: readonly string[] | undefined, start: number, limit: number): { data: unknown; total: number } {
  if (lines === undefined) return { data: [{ n: 1, t: 'unable to open file - No such file or directory' }], total: 1 };
  const out: Array<{ n: number; t: string }> = [];
  let count = 0;
  let remaining = limit;
  for (const t of lines) {
    if (count++ < start) continue;
    if (limit !== 0) {
      if (remaining <= 0) continue;
      remaining--;
    }
    out.push({ n: count, t });
  }
  if (count === 0) return { data: [{ n: 1, t: 'no content' }], total: 1 };
  return { data: out, total: count };
}

/** Tasks.pm: another user's task is readable only with Sys.Audit on its node. */
function assertTaskReader(caller: Caller, node: string, task: SimTask): void {
  if (task.user !== caller.user && !caller.can(`/nodes/${node}`, 'Sys.Audit'))
    throw permissionDenied(`/nodes/${node}`, ['Sys.Audit']);
}

/** How many recent tasks per node pmxcfs keeps in the cluster-wide task list. */
const CLUSTER_TASKS_PER_NODE = 50;

/**
 * GET /cluster/tasks (PVE::API2::Cluster `tasks`): the recent tasks of every node from pmxcfs,
 * user split from tokenid; other users' tasks only with Sys.Audit on `/`, else silently left out.
 */
function clusterTasksView(sim: RouteContext['sim'], caller: Caller): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const all = caller.can('/', 'Sys.Audit');
  for (const node of sim.model.nodes) {
    const recent = sim.tasks
      .all()
      .filter((t) => t.node === node.name)
      .filter((t) => all || t.user === caller.user)
      .sort((a, b) => b.starttime - a.starttime || b.pid - a.pid)
      .slice(0, CLUSTER_TASKS_PER_NODE);
    for (const t of recent) {
      out.push({
        ...taskListFields(t),
        ...splitTokenUser(t.user),
        ...(t.running ? {} : { endtime: t.endtime, status: t.exitstatus }),
        saved: t.running ? '0' : '1',
      });
    }
  }
  return out.sort((a, b) => (b['starttime'] as number) - (a['starttime'] as number));
}

/**
 * The privileges the calling token holds: the restricted token's from its ACL; the main token's
 * fixed set, with Sys.Audit on `/` only while the sim config says so.
 */
function permissionsView(
  sim: RouteContext['sim'],
  caller: Caller,
  path: string | undefined,
): Record<string, Record<string, number>> {
  if (caller.restricted) return effectivePermissions(sim.acl, sim.model, path);
  const privs: Record<string, number> = {
    'VM.Audit': 1,
    'VM.PowerMgmt': 1,
    'VM.Snapshot': 1,
    'VM.Snapshot.Rollback': 1,
    'Datastore.Audit': 1,
    'Sys.PowerMgmt': 1,
    ...(sim.sysAudit ? { 'Sys.Audit': 1 } : {}),
  };
  return { [path ?? '/']: privs };
}

export const TASK_ROUTES: PveRoute[] = [
  {
    method: 'GET',
    path: '/cluster/tasks',
    params: {},
    proxied: false,
    handler: ({ sim, caller }) => ({ data: clusterTasksView(sim, caller) }),
  },
  {
    method: 'GET',
    path: '/access/permissions',
    params: { path: { type: 'string', optional: true }, userid: { type: 'string', optional: true } },
    proxied: false,
    handler: ({ sim, params, caller }) => ({ data: permissionsView(sim, caller, str(params, 'path')) }),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks',
    params: {
      node: NODE_PARAM,
      start: { type: 'integer', minimum: 0, optional: true },
      limit: { type: 'integer', minimum: 0, optional: true },
      userfilter: { type: 'string', optional: true },
      typefilter: { type: 'string', optional: true },
      vmid: { ...VMID_PARAM, optional: true },
      errors: { type: 'boolean', optional: true },
      source: { type: 'string', enum: ['archive', 'active', 'all'], optional: true },
      since: { type: 'integer', optional: true },
      until: { type: 'integer', optional: true },
      statusfilter: { type: 'string', optional: true },
    },
    proxied: true,
    handler: ({ sim, params, caller }) => {
      const source = (str(params, 'source') ?? 'archive') as 'archive' | 'active' | 'all';
      const auditor = caller.can(`/nodes/${String(params['node'])}`, 'Sys.Audit');
      const { entries, total } = sim.tasks.list(String(params['node']), {
        start: int(params, 'start') ?? 0,
        limit: int(params, 'limit') ?? 50,
        source,
        errors: bool(params, 'errors'),
        vmid: int(params, 'vmid'),
        typefilter: str(params, 'typefilter'),
        userfilter: str(params, 'userfilter'),
        since: int(params, 'since'),
        until: int(params, 'until'),
        statusfilter: str(params, 'statusfilter'),
        ...(auditor ? {} : { onlyUser: caller.user }),
      });
      return { data: entries, total };
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}',
    params: UPID_PATH,
    proxied: true,
    handler: () => ({ data: [{ name: 'log' }, { name: 'status' }] }),
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}/status',
    params: UPID_PATH,
    proxied: true,
    handler: ({ sim, params, caller }) => {
      const task = sim.tasks.find(String(params['node']), parsedUpid(params));
      if (!task) throw paramError({ upid: 'no such task' });
      assertTaskReader(caller, String(params['node']), task);
      return { data: statusView(task) };
    },
  },
  {
    method: 'GET',
    path: '/nodes/{node}/tasks/{upid}/log',
    params: {
      ...UPID_PATH,
      start: { type: 'integer', minimum: 0, optional: true },
      limit: { type: 'integer', minimum: 0, optional: true },
      download: { type: 'boolean', optional: true },
    },
    proxied: true,
    handler: ({ sim, params, caller }) => {
      const task = sim.tasks.find(String(params['node']), parsedUpid(params));
      if (task) assertTaskReader(caller, String(params['node']), task);
      if (bool(params, 'download')) {
        if (params['start'] !== undefined || params['limit'] !== undefined) {
          throw handlerDie("'download' cannot be used together with 'start' or 'limit' parameters");
        }
        // The real endpoint streams text/plain; this simulator keeps to JSON and returns every line.
        return logView(task?.log, 0, 0);
      }
      return logView(task?.log, int(params, 'start') ?? 0, int(params, 'limit') ?? 50);
    },
  },
];
