import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { type ClusterSim } from './cluster';
import { GUEST_ROUTES } from './guest-routes';
import { type LedgerInput } from './ledger';
import { type ParsedToken } from './options';
import { verifyParams, type Params } from './params';
import { mainCaller, permissionDenied, restrictedCaller, type Caller } from './permissions';
import { PveError } from './pve-errors';
import { CLUSTER_AND_NODE_ROUTES } from './pve-routes';
import { Router, type RouteMatch } from './router';
import { TASK_ROUTES } from './task-routes';
import { MalformedBody, parseBody, writePve } from './wire';

const router = new Router().add(...CLUSTER_AND_NODE_ROUTES, ...GUEST_ROUTES, ...TASK_ROUTES);

/** Where a request arrived: which node's endpoint, at which API URL. */
export interface ArrivalPoint {
  node: string;
  url: string;
  /** True once that endpoint has closed (its node went down): the request died with the node. */
  gone: () => boolean;
}

export interface PveDispatchDeps {
  sim: ClusterSim;
  token: ParsedToken;
  restrictedToken: ParsedToken;
  authFailDelayMs: number;
  /** Aborted on close, so a request sitting in the 3 s auth delay does not hold the process open. */
  closing: AbortSignal;
}

/** Waits, unless the simulator closes first; false means drop the request. */
async function pause(ms: number, closing: AbortSignal): Promise<boolean> {
  try {
    await delay(ms, undefined, { signal: closing });
    return true;
  } catch {
    return false;
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * extract_auth_value: `PVEAPIToken=` or `PVEAPIToken ` then the URI-escaped value. Either the
 * token that was presented, or the reason phrase of the 401.
 */
function authenticate(
  req: IncomingMessage,
  deps: Pick<PveDispatchDeps, 'token' | 'restrictedToken'>,
): { token: ParsedToken; restricted: boolean } | { failure: string } {
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^PVEAPIToken[= ](.+)$/s.exec(header.trim());
  if (!m || m[1] === undefined) {
    // A ticket cookie would be checked (and fail: this simulator issues none); nothing at all is "No ticket".
    return { failure: /\bPVEAuthCookie=/.test(req.headers.cookie ?? '') ? 'authentication failure' : 'No ticket' };
  }
  let value = m[1];
  try {
    value = decodeURIComponent(value);
  } catch {
    // A malformed escape is just a wrong token.
  }
  if (sameSecret(value, deps.token.full)) return { token: deps.token, restricted: false };
  if (sameSecret(value, deps.restrictedToken.full)) return { token: deps.restrictedToken, restricted: true };
  return { failure: 'authentication failure' };
}

function callerOf(sim: ClusterSim, auth: { token: ParsedToken; restricted: boolean }): Caller {
  return auth.restricted
    ? restrictedCaller(
        auth.token.tokenUser,
        () => sim.acl,
        () => sim.model,
      )
    : mainCaller(auth.token.tokenUser, () => sim.sysAudit);
}

/** `/vms/{vmid}` with the request's raw path parameters filled in, as check_api2_permissions does. */
function permissionPath(template: string, pathParams: Record<string, string>): string {
  return template.replace(/\{([a-z]+)\}/g, (_, name: string) => pathParams[name] ?? '');
}

function sendError(req: IncomingMessage, res: ServerResponse, err: PveError): void {
  // 8.3+ bodies carry the message (with its trailing newline) beside data:null.
  const body: Record<string, unknown> = { data: null, message: `${err.message}\n` };
  if (err.errors) body['errors'] = err.errors;
  writePve(req, res, err.status, err.message, body);
}

function ledgerEntry(
  method: string,
  relPath: string,
  match: RouteMatch,
  params: Params,
  data: unknown,
  at: ArrivalPoint,
): LedgerInput {
  const vmid = typeof params['vmid'] === 'number' ? params['vmid'] : undefined;
  return {
    method,
    path: relPath,
    node: match.pathParams['node'],
    vmid,
    action: match.route.action?.(params) ?? relPath.split('/').pop(),
    upid: typeof data === 'string' && data.startsWith('UPID:') ? data : undefined,
    via: at.node,
    endpoint: at.url,
  };
}

/**
 * One /api2/json request, in pve-http-server's order: auth, route, proxy, parameters, handler, as
 * answered by the node whose endpoint it arrived at.
 */
export async function handlePve(
  deps: PveDispatchDeps,
  at: ArrivalPoint,
  req: IncomingMessage,
  res: ServerResponse,
  rel: string,
  query: URLSearchParams,
  body: Buffer,
): Promise<void> {
  const { sim } = deps;
  const method = req.method ?? 'GET';
  const auth = authenticate(req, deps);
  if ('failure' in auth) {
    // "always delay unauthorized calls by 3 seconds" (AnyEvent.pm); no body at all.
    if (await pause(deps.authFailDelayMs, deps.closing)) writePve(req, res, 401, auth.failure);
    else res.destroy();
    return;
  }
  const caller = callerOf(sim, auth);
  if (sim.faults.latencyMs > 0 && (!(await pause(sim.faults.latencyMs, deps.closing)) || at.gone())) {
    res.destroy();
    return;
  }
  try {
    if (sim.faults.errorRate > 0 && sim.errorDraws.next() < sim.faults.errorRate)
      throw new PveError(500, 'simulated failure');
    const segments = rel
      .split('/')
      .slice(1)
      .map((s) => decodeURIComponent(s));
    const match = router.match(method, segments);
    if (!match) throw new PveError(501, `Method '${method} ${rel}' not implemented`);
    // rest_handler checks permissions on the receiving node, before it proxies anywhere. The main
    // token is root-equivalent: only the restricted one is checked.
    const perm = match.route.permission;
    if (perm && caller.restricted) {
      const path = permissionPath(perm.path, match.pathParams);
      if (!caller.can(path, ...perm.privs)) throw permissionDenied(path, perm.privs);
    }
    const nodeName = match.pathParams['node'];
    if (match.route.proxied && nodeName !== undefined) {
      const node = sim.node(nodeName);
      if (!node) {
        throw new PveError(
          500,
          `hostname lookup '${nodeName}' failed - failed to get address info for: ${nodeName}: Name or service not known`,
        );
      }
      if (!sim.nodeOnline(nodeName)) {
        writePve(req, res, 595, 'Errors during connection establishment, proxy handshake: No route to host');
        return;
      }
    }
    let bodyParams: Record<string, string> = {};
    if (method === 'POST' || method === 'PUT') {
      try {
        bodyParams = parseBody(req.headers['content-type'], body);
      } catch (err) {
        if (err instanceof MalformedBody) throw new PveError(400, err.message);
        throw err;
      }
    }
    // Query parameters override body ones, as in extract_params; _dc is ExtJS's cache buster.
    const raw: Record<string, string> = { ...bodyParams, ...Object.fromEntries(query), ...match.pathParams };
    delete raw['_dc'];
    const params = verifyParams(match.route.params, raw);
    const result = match.route.handler({ sim, params, user: caller.user, caller, local: at.node });
    if (method !== 'GET') sim.ledger.record(ledgerEntry(method, rel, match, params, result.data, at), sim.now());
    const envelope: Record<string, unknown> = { data: result.data };
    if (result.total) envelope['total'] = result.total;
    writePve(req, res, 200, 'OK', envelope);
  } catch (err) {
    if (err instanceof PveError) {
      sendError(req, res, err);
      return;
    }
    if (err instanceof URIError) {
      sendError(req, res, new PveError(400, 'malformed URI'));
      return;
    }
    sendError(req, res, new PveError(500, err instanceof Error ? err.message : String(err)));
  }
}
