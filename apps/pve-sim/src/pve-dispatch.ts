import { timingSafeEqual } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { type ClusterSim } from './cluster';
import { GUEST_ROUTES } from './guest-routes';
import { type LedgerInput } from './ledger';
import { type ParsedToken } from './options';
import { verifyParams, type Params } from './params';
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

/** extract_auth_value: `PVEAPIToken=` or `PVEAPIToken ` then the URI-escaped value. */
function authFailure(req: IncomingMessage, token: ParsedToken): string | undefined {
  const header = req.headers.authorization;
  const m = header === undefined ? null : /^PVEAPIToken[= ](.+)$/s.exec(header.trim());
  if (!m || m[1] === undefined) {
    // A ticket cookie would be checked (and fail: this simulator issues none); nothing at all is "No ticket".
    return /\bPVEAuthCookie=/.test(req.headers.cookie ?? '') ? 'authentication failure' : 'No ticket';
  }
  let value = m[1];
  try {
    value = decodeURIComponent(value);
  } catch {
    // A malformed escape is just a wrong token.
  }
  return sameSecret(value, token.full) ? undefined : 'authentication failure';
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
  const failure = authFailure(req, deps.token);
  if (failure !== undefined) {
    // "always delay unauthorized calls by 3 seconds" (AnyEvent.pm); no body at all.
    if (await pause(deps.authFailDelayMs, deps.closing)) writePve(req, res, 401, failure);
    else res.destroy();
    return;
  }
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
    const result = match.route.handler({ sim, params, user: deps.token.tokenUser, local: at.node });
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
