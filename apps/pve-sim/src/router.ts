import { type ClusterSim } from './cluster';
import { type ParamSchema, type Params } from './params';
import { type Caller } from './permissions';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext {
  sim: ClusterSim;
  params: Params;
  /** Effective user, 'root@pam!jarvis' for a token. */
  user: string;
  /** Who is calling, for the lists PVE filters silently by privilege. */
  caller: Caller;
  /** The node whose endpoint received the call: the local node, as PVE sees it. */
  local: string;
}

/**
 * The permission check of the route (`permissions => { check => ['perm', path, privs, any => 1] }`):
 * `path` may use the route's {placeholders}; holding any one of `privs` there is enough.
 */
export interface RoutePermission {
  path: string;
  privs: readonly string[];
}

export interface RouteResult {
  data: unknown;
  /** Top-level `total`, sent only when not zero. */
  total?: number;
}

export interface PveRoute {
  method: HttpMethod;
  /** Relative to /api2/json, with {name} placeholders, e.g. /nodes/{node}/qemu/{vmid}/status/current. */
  path: string;
  /** Every accepted parameter, path placeholders included. */
  params: ParamSchema;
  /**
   * Whether PVE proxies the call to {node} (proxyto). Proxied calls to an offline node fail with
   * 595 before the target ever validates parameters.
   */
  proxied: boolean;
  /** Checked before proxying; routes without one are `user => 'all'` (and filter what they list). */
  permission?: RoutePermission;
  /** Name for the ledger; defaults to the last path segment. */
  action?: (params: Params) => string;
  handler: (ctx: RouteContext) => RouteResult;
}

export type RouteMatch = { route: PveRoute; pathParams: Record<string, string> };

function matchPath(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith('{') && p.endsWith('}')) {
      if (s === '') return undefined;
      params[p.slice(1, -1)] = s;
    } else if (p !== s) {
      return undefined;
    }
  }
  return params;
}

export class Router {
  private readonly compiled: Array<{ route: PveRoute; pattern: string[] }> = [];

  add(...routes: PveRoute[]): this {
    for (const route of routes) this.compiled.push({ route, pattern: route.path.split('/').slice(1) });
    return this;
  }

  /** Literal segments win over placeholders, as PVE's handler lookup prefers fixed paths. */
  match(method: string, segments: string[]): RouteMatch | undefined {
    let best: { match: RouteMatch; literals: number } | undefined;
    for (const { route, pattern } of this.compiled) {
      if (route.method !== method) continue;
      const pathParams = matchPath(pattern, segments);
      if (!pathParams) continue;
      const literals = pattern.filter((p) => !p.startsWith('{')).length;
      if (!best || literals > best.literals) best = { match: { route, pathParams }, literals };
    }
    return best?.match;
  }
}
