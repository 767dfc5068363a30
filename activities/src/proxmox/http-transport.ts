import { isIP } from 'node:net';
import { inspect } from 'node:util';
import { Agent } from 'undici';
import { isRecord } from './coerce';
import { parseClusterStatus, type ClusterMember } from './normalize';
import { errorFromHttp, ProxmoxError, safeText } from './proxmox.errors';
import { buildTlsConnect, isConnectPhaseError, isTlsError, TlsPinMismatchError, type TlsTrust } from './tls';

/**
 * The HTTP layer under ProxmoxClient: token auth, the PVE envelope, the mapping of every failure
 * (transport, TLS, HTTP status, body) to a ProxmoxError, and the cluster's API endpoints.
 *
 * Every PVE node serves the same API, so the transport keeps a list of endpoints: the configured
 * ones (PVE_URL may list several) and the other nodes' addresses learnt from /cluster/status, on
 * the same port and path. Requests go to the active endpoint; when it fails as a host that is
 * down fails (connection refused or reset, a connect or TLS handshake failure, a timeout, or a 595
 * from the endpoint itself) they move to the next healthy one. An endpoint marked down is probed
 * in the background (GET /version) and used again once it answers.
 *
 * Trust is per connection and checked before any request byte is written (see tls.ts): an endpoint
 * whose certificate the configured CA does not sign, or that matches none of the pinned
 * fingerprints, is `untrusted` and never receives the token.
 *
 * The token lives only in a private field and the Authorization header; it is never part of an
 * error, a log line or the serialised object.
 */

export interface TransportOptions extends TlsTrust {
  /**
   * One endpoint or several (any nodes of the cluster), e.g. https://pve.example:8006/api2/json;
   * a string may hold a comma-separated list.
   */
  baseUrl: string | readonly string[];
  /** USER@REALM!TOKENID=SECRET */
  token: string;
  /** Overall budget of one request on one endpoint, connect to last body byte. Default 15 s. */
  timeoutMs?: number;
  /** How long a connection (TCP and TLS) may take before the endpoint counts as down. Default 5 s. */
  connectTimeoutMs?: number;
  /** How often an endpoint that is down is probed (GET /version); standby ones every 6th time. Default 5 s. */
  healthCheckMs?: number;
  /** Learn the other nodes' endpoints from /cluster/status (https only). Default true. */
  discover?: boolean;
  /** How often the endpoint list is learnt again. Default 60 s. */
  discoverMs?: number;
  /** Endpoint changes (down, back, failover, discovered): addresses and error texts, never the token. */
  onEvent?: (message: string) => void;
}

export interface CallOptions {
  /** Cancels the call; the signal's reason is rethrown as is (a Temporal cancellation stays one). */
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout for this call. */
  timeoutMs?: number;
  /**
   * Send this one request to that node's own endpoint, without failover (wake-on-LAN through a
   * survivor: PVE does not proxy it, the node that serves the call sends the packet). Fails with
   * NODE_UNREACHABLE when that node's endpoint is unknown, untrusted or down.
   */
  endpointNode?: string;
}

export type QueryValue = string | number | boolean | undefined;
export type Query = Record<string, QueryValue>;

export interface Envelope {
  data: unknown;
  total?: unknown;
}

/** `active`: where requests go now; `healthy`: usable; `down`: failed, probed until it answers; `untrusted`: never used. */
export type EndpointState = 'active' | 'healthy' | 'down' | 'untrusted';

export interface EndpointStatus {
  /** The node behind it, once /cluster/status has told. */
  node?: string;
  /** Origin and API path: no credentials. */
  url: string;
  state: EndpointState;
  /** Why it is down or untrusted (the last failure). */
  lastError?: string;
  /** ISO time of the last state change. */
  since?: string;
}

const TOKEN = /^([^\s=!@]+@[^\s=!]+![^\s=]+)=(\S+)$/;
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_HEALTH_CHECK_MS = 5_000;
const DEFAULT_DISCOVER_MS = 60_000;
const PROBE_TIMEOUT_MS = 2_000;
/** Healthy endpoints not in use are probed every this many health-check ticks (30 s by default). */
const STANDBY_EVERY_TICKS = 6;
// pveproxy runs 3 workers; more parallel connections than that only queue on the server side.
const CONNECTIONS_PER_ORIGIN = 4;
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)$/;

// PVE wants booleans as exactly "1"/"0"; "true" is a 400.
function wireValue(value: string | number | boolean): string {
  return typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
}

function encode(params: Query | undefined): string {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) if (value !== undefined) out.append(key, wireValue(value));
  return out.toString();
}

interface Endpoint {
  readonly url: string;
  readonly origin: string;
  readonly prefix: string;
  /** Host name or IP without brackets, to match /cluster/status `ip`s. */
  readonly host: string;
  readonly configured: boolean;
  readonly agent: Agent;
  node?: string;
  state: 'healthy' | 'down' | 'untrusted';
  lastError?: string;
  since: number;
  probing?: Promise<void>;
}

/**
 * How one attempt on one endpoint ended:
 * - `ok`: answered with data;
 * - `answered`: the endpoint answered with an error (it works; the error is the caller's);
 * - `unsent`: the request never reached PVE's API on that endpoint (connect or TLS failure, or the
 *   endpoint's own 595): safe to send elsewhere, whatever the method;
 * - `unknown`: sent, no answer (reset, timeout): a GET may go elsewhere, a POST must not.
 */
type Outcome =
  | { readonly kind: 'ok'; readonly envelope: Envelope }
  | { readonly kind: 'answered' | 'unknown'; readonly error: ProxmoxError }
  | { readonly kind: 'unsent'; readonly error: ProxmoxError; readonly untrusted: boolean };

function parseEndpointUrl(raw: string): { origin: string; prefix: string; host: string; protocol: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ProxmoxError('BAD_REQUEST', 'PVE base URL is not a valid URL');
  }
  // The token is a bearer secret: plain http is accepted only to loopback (a local TLS-terminating
  // proxy, test stubs), never across a network.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.test(url.hostname))) {
    throw new ProxmoxError('BAD_REQUEST', 'PVE base URL must be https (plain http only to loopback)');
  }
  if (url.username !== '' || url.password !== '') {
    throw new ProxmoxError('BAD_REQUEST', 'PVE base URL must not carry credentials (the token is given apart)');
  }
  return {
    origin: url.origin,
    prefix: url.pathname.replace(/\/+$/, ''),
    host: url.hostname.replace(/^\[|\]$/g, ''),
    protocol: url.protocol,
  };
}

/** The node a path addresses (`/nodes/<node>/…`), if any. */
function nodeOfPath(path: string): string | undefined {
  return /^\/nodes\/([^/?]+)/.exec(path)?.[1];
}

export class HttpTransport {
  /** The identity tasks are recorded under: `user@realm!tokenid` (no secret). */
  readonly apiUser: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #healthCheckMs: number;
  readonly #discoverMs: number;
  readonly #discover: boolean;
  readonly #trust: TlsTrust;
  readonly #onEvent: ((message: string) => void) | undefined;
  /** Configured endpoints first (in PVE_URL order), then discovered ones by node name. */
  #endpoints: Endpoint[];
  #active: Endpoint;
  #timer: NodeJS.Timeout | undefined;
  #discovering: Promise<void> | undefined;
  /** Discovery runs started: counted before the run, so a request it makes cannot start another. */
  #discoveryRuns = 0;
  #discoveredAt = 0;
  #discoveryFailed = false;
  #ticks = 0;
  #closed = false;

  constructor(options: TransportOptions) {
    const token = TOKEN.exec(typeof options.token === 'string' ? options.token.trim() : '');
    if (!token?.[1]) throw new ProxmoxError('AUTH', 'PVE token must have the form USER@REALM!TOKENID=SECRET');
    const urls = (typeof options.baseUrl === 'string' ? options.baseUrl.split(',') : [...options.baseUrl])
      .map((u) => u.trim())
      .filter((u) => u !== '');
    if (urls.length === 0) throw new ProxmoxError('BAD_REQUEST', 'PVE base URL is not a valid URL');
    const parsed = urls.map(parseEndpointUrl);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ProxmoxError('BAD_REQUEST', 'timeoutMs must be > 0');
    const positive = (value: number | undefined, fallback: number, name: string): number => {
      const v = value ?? fallback;
      if (!Number.isFinite(v) || v <= 0) throw new ProxmoxError('BAD_REQUEST', `${name} must be > 0`);
      return v;
    };

    this.apiUser = token[1];
    this.#authorization = `PVEAPIToken=${token[0]}`;
    this.#timeoutMs = timeoutMs;
    this.#connectTimeoutMs = Math.min(
      timeoutMs,
      positive(options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 'connectTimeoutMs'),
    );
    this.#healthCheckMs = positive(options.healthCheckMs, DEFAULT_HEALTH_CHECK_MS, 'healthCheckMs');
    this.#discoverMs = positive(options.discoverMs, DEFAULT_DISCOVER_MS, 'discoverMs');
    this.#trust = {
      ...(options.caPem === undefined ? {} : { caPem: options.caPem }),
      ...(options.fingerprint === undefined ? {} : { fingerprint: options.fingerprint }),
    };
    // Checked now, so a bad pin fails at construction rather than on the first request.
    buildTlsConnect({ ...this.#trust, connectTimeoutMs: this.#connectTimeoutMs });
    // Without TLS nothing could tell a discovered address is a node of this cluster: plain http
    // (loopback only) stays on the configured endpoints.
    this.#discover = options.discover !== false && parsed.some((p) => p.protocol === 'https:');
    this.#onEvent = options.onEvent;
    const seen = new Set<string>();
    this.#endpoints = [];
    for (const p of parsed) {
      const url = `${p.origin}${p.prefix}`;
      if (seen.has(url)) continue;
      seen.add(url);
      this.#endpoints.push(this.#newEndpoint(p, true));
    }
    this.#active = this.#endpoints[0]!;
    if (this.#discover || this.#endpoints.length > 1) {
      this.#timer = setInterval(() => this.#tick(), this.#healthCheckMs);
      this.#timer.unref();
    }
  }

  /** The endpoint requests go to now. */
  get baseUrl(): string {
    return this.#active.url;
  }

  /** Every known endpoint and its state, configured ones first. */
  endpoints(): EndpointStatus[] {
    return this.#endpoints.map((e) => ({
      ...(e.node === undefined ? {} : { node: e.node }),
      url: e.url,
      state: e === this.#active && e.state === 'healthy' ? 'active' : e.state,
      ...(e.lastError === undefined ? {} : { lastError: e.lastError }),
      since: new Date(e.since).toISOString(),
    }));
  }

  /** Learns the other nodes' endpoints now (it also runs by itself after the first request and every minute). */
  discover(): Promise<void> {
    if (!this.#discover || this.#closed) return Promise.resolve();
    if (this.#discovering === undefined) {
      this.#discoveryRuns++;
      this.#discovering = this.#runDiscovery().then(
        () => {
          this.#discoveryFailed = false;
        },
        (err: unknown) => {
          this.#discoveryFailed = true;
          throw err;
        },
      );
      void this.#discovering
        .finally(() => {
          this.#discoveredAt = Date.now();
          this.#discovering = undefined;
        })
        .catch(() => undefined);
    }
    return this.#discovering;
  }

  async request(
    method: 'GET' | 'POST',
    path: string,
    query?: Query,
    form?: Query,
    opts: CallOptions = {},
  ): Promise<Envelope> {
    const qs = encode(query);
    const body = form === undefined ? undefined : encode(form);
    if (opts.endpointNode !== undefined) return this.#requestVia(opts.endpointNode, method, path, qs, body, opts);
    if (this.#discover && this.#discoveryRuns === 0) {
      // In the background: the first request must not wait for the cluster's other endpoints.
      void this.discover().catch(() => undefined);
    }

    const failures: ProxmoxError[] = [];
    for (const endpoint of this.#candidates()) {
      const outcome = await this.#attempt(endpoint, method, path, qs, body, opts);
      if (outcome.kind === 'ok') {
        this.#use(endpoint);
        return outcome.envelope;
      }
      if (outcome.kind === 'answered') {
        this.#use(endpoint); // it works: PVE answered, with an error that is the caller's
        throw outcome.error;
      }
      failures.push(outcome.error);
      // Sent and unanswered: a POST may have started a task. Re-sending it here would be a second
      // stop or start that nobody asked for; the retryable error goes up instead, and the caller's
      // retry looks for the task its lost attempt started (issuePowerAction's adoption), whichever
      // endpoint it then reaches.
      if (outcome.kind === 'unknown' && method !== 'GET') throw outcome.error;
    }
    const [first] = failures;
    if (first === undefined) throw new ProxmoxError('UPSTREAM', 'no PVE API endpoint is usable', { method, path });
    if (failures.length === 1) throw first;
    throw new ProxmoxError(
      first.code,
      `${first.message} (and ${failures.length - 1} other PVE endpoint${failures.length === 2 ? '' : 's'} failed too)`,
      { cause: first, method, path, ...(first.status === undefined ? {} : { status: first.status }) },
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await Promise.all(this.#endpoints.map((e) => e.agent.close().catch(() => undefined)));
  }

  toJSON(): Record<string, string> {
    return { baseUrl: this.baseUrl, apiUser: this.apiUser };
  }

  toString(): string {
    return `HttpTransport(${this.baseUrl} as ${this.apiUser})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #newEndpoint(p: { origin: string; prefix: string; host: string }, configured: boolean, node?: string): Endpoint {
    const agent = new Agent({
      connect: buildTlsConnect({ ...this.#trust, connectTimeoutMs: this.#connectTimeoutMs }),
      connections: CONNECTIONS_PER_ORIGIN,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    return {
      url: `${p.origin}${p.prefix}`,
      origin: p.origin,
      prefix: p.prefix,
      host: p.host,
      configured,
      agent,
      state: 'healthy',
      since: Date.now(),
      ...(node === undefined ? {} : { node }),
    };
  }

  /**
   * The order to try: the active endpoint, the other healthy ones, then those marked down (they
   * may be back before their probe says so). Untrusted discovered endpoints are never tried; an
   * untrusted configured one is, last, so a lone misconfigured endpoint still reports its TLS error
   * (the check runs before any request byte, so the token never reaches it).
   */
  #candidates(): Endpoint[] {
    const rank = (e: Endpoint): number =>
      e.state === 'healthy' ? (e === this.#active ? 0 : 1) : e.state === 'down' ? 2 : 3;
    return this.#endpoints.filter((e) => e.state !== 'untrusted' || e.configured).sort((a, b) => rank(a) - rank(b));
  }

  #use(endpoint: Endpoint): void {
    if (this.#active === endpoint) return;
    const from = this.#active;
    this.#active = endpoint;
    this.#event(
      `PVE API endpoint now ${describe(endpoint)}${from.state === 'healthy' ? '' : ` (${describe(from)} is ${from.state})`}`,
    );
  }

  #mark(endpoint: Endpoint, state: Endpoint['state'], error?: ProxmoxError): void {
    if (state === 'healthy') {
      if (endpoint.state !== 'healthy') {
        this.#event(`PVE API endpoint ${describe(endpoint)} is back`);
        endpoint.since = Date.now();
      }
      endpoint.state = 'healthy';
      delete endpoint.lastError;
      return;
    }
    if (error !== undefined) endpoint.lastError = error.message;
    if (endpoint.state !== state) {
      endpoint.state = state;
      endpoint.since = Date.now();
      this.#event(`PVE API endpoint ${describe(endpoint)} is ${state}: ${endpoint.lastError ?? 'no detail'}`);
    }
  }

  #event(message: string): void {
    try {
      this.#onEvent?.(message);
    } catch {
      // A logger's failure is not the request's.
    }
  }

  /** One request on one endpoint; marks the endpoint by how it went. Throws only the caller's own abort. */
  async #attempt(
    endpoint: Endpoint,
    method: 'GET' | 'POST',
    path: string,
    qs: string,
    body: string | undefined,
    opts: CallOptions,
  ): Promise<Outcome> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.#timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const where = { method, path };
    let status: number;
    let reason: string;
    let text: string;
    try {
      const res = await endpoint.agent.request({
        origin: endpoint.origin,
        path: `${endpoint.prefix}${path}${qs ? `?${qs}` : ''}`,
        method,
        headers: {
          authorization: this.#authorization,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        body: body ?? null,
        signal,
      });
      status = res.statusCode;
      reason = res.statusText;
      text = await res.body.text();
    } catch (err) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const error = transportError(err, timeout.aborted, where);
      if (isConnectPhaseError(err)) {
        // Nothing was written on this connection. A certificate the trust settings refuse makes
        // the endpoint untrusted; a refused, reset or timed-out connect (a host that is down or
        // going down, also mid-handshake) makes it down.
        const untrusted = error.code === 'TLS';
        this.#mark(endpoint, untrusted ? 'untrusted' : 'down', error);
        return { kind: 'unsent', error, untrusted };
      }
      this.#mark(endpoint, 'down', error);
      return { kind: 'unknown', error };
    }

    if (status < 200 || status >= 300) {
      const error = errorFromHttp(status, reason, tryJson(text), where);
      // 595 is pveproxy's "could not connect" (AnyEvent::HTTP's connection-establishment error):
      // the request never reached the API behind it. For a path addressed to another node
      // (/nodes/<other>/…) pveproxy was proxying to that node: the node is unreachable, this
      // endpoint works, and any other endpoint would proxy to the same dead node; it stays a
      // NODE_UNREACHABLE for the caller. For anything else (/cluster/…, /version, this endpoint's
      // own node) the endpoint failed to reach its own backend: it counts as down, and the
      // request, never delivered, may go elsewhere. A powered-off endpoint says nothing at all;
      // for it the connection errors above are the signal. While an endpoint's node is not yet
      // known, a 595 on a /nodes/ path is taken as a proxy failure, as before failover existed.
      const target = nodeOfPath(path);
      if (status === 595 && (target === undefined || target === endpoint.node)) {
        this.#mark(endpoint, 'down', error);
        return { kind: 'unsent', error, untrusted: false };
      }
      this.#mark(endpoint, 'healthy');
      return { kind: 'answered', error };
    }
    this.#mark(endpoint, 'healthy');
    const parsed = tryJson(text);
    if (!isRecord(parsed) || !('data' in parsed)) {
      const error = new ProxmoxError(
        'MALFORMED',
        `PVE answered ${method} ${path} with a body that is not a {data} envelope`,
        { status, ...where },
      );
      return { kind: 'answered', error };
    }
    return {
      kind: 'ok',
      envelope: parsed.total === undefined ? { data: parsed['data'] } : { data: parsed['data'], total: parsed.total },
    };
  }

  async #requestVia(
    node: string,
    method: 'GET' | 'POST',
    path: string,
    qs: string,
    body: string | undefined,
    opts: CallOptions,
  ): Promise<Envelope> {
    const where = { method, path };
    let endpoint = this.#endpoints.find((e) => e.node === node);
    if (endpoint === undefined) {
      await this.discover().catch(() => undefined);
      endpoint = this.#endpoints.find((e) => e.node === node);
    }
    if (endpoint === undefined)
      throw new ProxmoxError(
        'NODE_UNREACHABLE',
        `no PVE API endpoint of node '${safeText(node).slice(0, 64)}' is known`,
        where,
      );
    if (endpoint.state !== 'healthy') {
      throw new ProxmoxError(
        'NODE_UNREACHABLE',
        `the PVE API endpoint of node '${node}' is ${endpoint.state}${endpoint.lastError ? `: ${endpoint.lastError}` : ''}`,
        where,
      );
    }
    const outcome = await this.#attempt(endpoint, method, path, qs, body, opts);
    if (outcome.kind === 'ok') return outcome.envelope;
    if (outcome.kind === 'answered') throw outcome.error;
    // No failover here: the caller chose the node. Whether the request left or not, that node's
    // endpoint is now down (still retryable, and a wake-up is harmless to repeat).
    throw new ProxmoxError(
      'NODE_UNREACHABLE',
      `the PVE API endpoint of node '${node}' failed: ${outcome.error.message}`,
      {
        cause: outcome.error,
        ...where,
        ...(outcome.error.status === undefined ? {} : { status: outcome.error.status }),
      },
    );
  }

  #tick(): void {
    if (this.#closed) return;
    // Again every discoverMs; after a failed run (no endpoint answered) at every tick.
    const since = Date.now() - this.#discoveredAt;
    const due = this.#discoveryFailed ? since >= this.#healthCheckMs : since >= this.#discoverMs;
    if (this.#discover && this.#discoveryRuns > 0 && this.#discovering === undefined && due) {
      void this.discover().catch(() => undefined);
    }
    // A lone endpoint is tried by every request anyway: probing it would only add traffic.
    if (this.#candidates().length < 2) return;
    // Down endpoints every tick (to use them again soon); standby ones now and then, so the list
    // (health, dashboard) shows a node's endpoint down before a failover has to find out.
    const standbyToo = ++this.#ticks % STANDBY_EVERY_TICKS === 0;
    for (const endpoint of this.#endpoints) {
      const due =
        endpoint.state === 'down' || (standbyToo && endpoint.state === 'healthy' && endpoint !== this.#active);
      if (due && endpoint.probing === undefined) {
        endpoint.probing = this.#probe(endpoint).finally(() => {
          delete endpoint.probing;
        });
      }
    }
  }

  /** GET /version on that endpoint alone: cheap, and after the TLS check like every request. */
  async #probe(endpoint: Endpoint): Promise<void> {
    await this.#attempt(endpoint, 'GET', '/version', '', undefined, {
      timeoutMs: Math.min(PROBE_TIMEOUT_MS, this.#timeoutMs),
    }).catch(() => undefined);
  }

  async #runDiscovery(): Promise<void> {
    const opts = { timeoutMs: Math.min(PROBE_TIMEOUT_MS * 2, this.#timeoutMs) };
    // Each configured endpoint names its own node: PVE marks the answering node `local`.
    let members: ClusterMember[] | undefined;
    for (const endpoint of this.#endpoints.filter((e) => e.configured && e.node === undefined)) {
      if (endpoint.state === 'untrusted') continue;
      const outcome = await this.#attempt(endpoint, 'GET', '/cluster/status', '', undefined, opts);
      if (outcome.kind !== 'ok') continue;
      const status = parseClusterStatus(outcome.envelope.data);
      const local = status.members.find((m) => m.local);
      if (local !== undefined && !this.#endpoints.some((e) => e.node === local.name)) endpoint.node = local.name;
      members ??= status.members;
    }
    members ??= parseClusterStatus(
      (await this.request('GET', '/cluster/status', undefined, undefined, opts)).data,
    ).members;
    if (this.#closed) return;

    const [template] = this.#endpoints;
    if (template === undefined) return;
    const port = new URL(template.origin).port;
    const protocol = new URL(template.origin).protocol;
    const fresh: Endpoint[] = [];
    for (const member of members) {
      const ip = member.ip;
      if (ip === undefined || isIP(ip) === 0) continue;
      const known = this.#endpoints.find((e) => e.node === member.name);
      if (known !== undefined && (known.configured || known.host === ip)) continue;
      const sameHost = this.#endpoints.find((e) => e.host === ip);
      if (sameHost !== undefined) {
        sameHost.node ??= member.name;
        continue;
      }
      if (known !== undefined) this.#drop(known); // the node's address changed
      const host = isIP(ip) === 6 ? `[${ip}]` : ip;
      const origin = `${protocol}//${host}${port ? `:${port}` : ''}`;
      const endpoint = this.#newEndpoint({ origin, prefix: template.prefix, host: ip }, false, member.name);
      fresh.push(endpoint);
    }
    // Nodes no longer in the cluster.
    for (const endpoint of this.#endpoints) {
      if (!endpoint.configured && !members.some((m) => m.name === endpoint.node)) this.#drop(endpoint);
    }
    // A new endpoint is usable only once it has answered through the trust check.
    await Promise.all(fresh.map((e) => this.#probe(e)));
    // Untrusted ones are checked again at each discovery (the TLS check comes first, as always):
    // a certificate may have been replaced.
    await Promise.all(this.#endpoints.filter((e) => e.state === 'untrusted').map((e) => this.#probe(e)));
    if (this.#closed) {
      await Promise.all(fresh.map((e) => e.agent.close().catch(() => undefined)));
      return;
    }
    for (const endpoint of fresh) {
      this.#event(`PVE API endpoint of node ${endpoint.node ?? '?'} discovered: ${endpoint.url} (${endpoint.state})`);
    }
    this.#endpoints = [...this.#endpoints, ...fresh].sort(
      (a, b) =>
        Number(b.configured) - Number(a.configured) ||
        (a.configured ? 0 : (a.node ?? '') < (b.node ?? '') ? -1 : (a.node ?? '') > (b.node ?? '') ? 1 : 0),
    );
  }

  #drop(endpoint: Endpoint): void {
    this.#endpoints = this.#endpoints.filter((e) => e !== endpoint);
    if (this.#active === endpoint) this.#active = this.#endpoints[0] ?? endpoint;
    void endpoint.agent.close().catch(() => undefined);
  }
}

function describe(endpoint: Endpoint): string {
  return endpoint.node === undefined ? endpoint.url : `${endpoint.url} (${endpoint.node})`;
}

function tryJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function transportError(err: unknown, timedOut: boolean, where: { method: string; path: string }): ProxmoxError {
  const code = (err as { code?: unknown } | null)?.code;
  const name = (err as { name?: unknown } | null)?.name;
  if (timedOut || name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code))) {
    return new ProxmoxError('TIMEOUT', `PVE did not answer ${where.method} ${where.path} in time`, {
      cause: err,
      ...where,
    });
  }
  if (isTlsError(err)) {
    const detail =
      err instanceof TlsPinMismatchError ? err.message : `TLS verification failed (${String(code ?? name)})`;
    return new ProxmoxError('TLS', detail, { cause: err, ...where });
  }
  const message = (err as { message?: unknown } | null)?.message;
  const detail = typeof message === 'string' ? safeText(message) : 'unknown error';
  return new ProxmoxError('UPSTREAM', `cannot reach the PVE API: ${detail}`, { cause: err, ...where });
}
