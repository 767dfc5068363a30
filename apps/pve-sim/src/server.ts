import { type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, type Socket } from 'node:net';
import { type SimCert } from './cert';
import { type ClusterSim } from './cluster';
import { handleControl, type ControlContext } from './control-routes';
import { type ParsedToken } from './options';
import { handlePve, type ArrivalPoint } from './pve-dispatch';
import { BodyTooLarge, readBody, writeJson, writePve } from './wire';

export interface ServerDeps {
  sim: ClusterSim;
  token: ParsedToken;
  restrictedToken: ParsedToken;
  authFailDelayMs: number;
  closing: AbortSignal;
  /** The listeners' side of the control API: a control call answers once the endpoints have settled. */
  control: ControlContext;
}

/** One listening address: which node it is, and whether the /_sim control API answers there. */
export interface EndpointSpec {
  node: string;
  host: string;
  cert: SimCert;
  /** Only the main address serves /_sim. */
  control: boolean;
}

const API_PREFIX = '/api2/json';
const CONTROL_PREFIX = '/_sim';

async function route(
  deps: ServerDeps,
  spec: EndpointSpec,
  at: ArrivalPoint,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://127.0.0.1');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (err) {
    if (err instanceof BodyTooLarge) {
      writePve(req, res, 413, 'request entity too large');
      return;
    }
    throw err;
  }
  if (spec.control && (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`))) {
    await handleControl(
      deps.sim,
      req,
      res,
      path.slice(CONTROL_PREFIX.length).split('/').filter(Boolean),
      body,
      deps.control,
    );
    return;
  }
  // pve-http-server refuses other verbs before looking at authentication.
  if (!['GET', 'POST', 'PUT', 'DELETE'].includes(method)) {
    writePve(req, res, 501, `method '${method}' not available`);
    return;
  }
  if (path.startsWith(`${API_PREFIX}/`)) {
    await handlePve(deps, at, req, res, path.slice(API_PREFIX.length), url.searchParams, body);
    return;
  }
  writePve(req, res, 404, 'File not found');
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

/** A listen failure that names the address and what it was for. */
export class ListenError extends Error {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly what: string,
    readonly code: string | undefined,
    cause: unknown,
  ) {
    const why =
      code === 'EADDRINUSE' ? 'address already in use' : cause instanceof Error ? cause.message : String(cause);
    super(`pve-sim: cannot listen on ${host}:${port} for ${what}: ${why}`);
  }
}

/**
 * An HTTPS listener that can be shut like a powered-off host (listening socket closed, every open
 * connection destroyed: new connections are refused) and opened again on the same address.
 */
export class EndpointListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private queue: Promise<void> = Promise.resolve();
  /** Bumped on every close, so a request can tell that the node it arrived at went down meanwhile. */
  private generation = 0;
  /** The last failure to reopen, if the address was taken meanwhile. */
  lastError: Error | undefined;

  constructor(
    private readonly deps: ServerDeps,
    readonly spec: EndpointSpec,
    private port: number,
    private readonly what: string,
  ) {}

  get listening(): boolean {
    return this.server !== undefined;
  }

  get boundPort(): number {
    return this.port;
  }

  /** The PVE API base on this address. */
  get url(): string {
    return `https://${this.spec.host}:${this.port}/api2/json`;
  }

  /** Opens the listener now; rejects with a ListenError naming the address. */
  async open(): Promise<void> {
    if (this.server) return;
    const server = createServer({ key: this.spec.cert.keyPem, cert: this.spec.cert.certPem }, (req, res) => {
      const arrivedIn = this.generation;
      const at = { node: this.spec.node, url: this.url, gone: () => this.generation !== arrivedIn };
      route(this.deps, this.spec, at, req, res).catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        if (!res.headersSent) writeJson(res, 500, { error: { code: 'INTERNAL', message } });
        else res.destroy();
      });
    });
    // Both the raw TCP socket and, once the handshake is done, the TLS socket that took its handle over:
    // destroying only the raw one would leave an established connection open.
    const track = (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    };
    server.on('connection', track);
    server.on('secureConnection', track);
    await new Promise<void>((resolve, reject) => {
      const fail = (err: unknown) => reject(new ListenError(this.spec.host, this.port, this.what, errorCode(err), err));
      server.once('error', fail);
      server.listen(this.port, this.spec.host, () => {
        server.off('error', fail);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    this.lastError = undefined;
  }

  /** Stops listening at once and destroys every open connection; resolves when the server is closed. */
  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    this.server = undefined;
    this.generation++;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return closed;
  }

  /**
   * Opens or closes to match `up`, in call order. A reopen that fails (the address was taken while
   * the node was down) leaves the endpoint closed and is kept in lastError.
   */
  want(up: boolean): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (up === this.listening) return;
      if (!up) {
        await this.close();
        return;
      }
      try {
        await this.open();
      } catch (err) {
        this.lastError = err instanceof Error ? err : new Error(String(err));
        process.emitWarning(this.lastError.message, { code: 'PVE_SIM_ENDPOINT' });
      }
    });
    return this.queue;
  }

  /** Resolves once every open/close asked for so far is done. */
  idle(): Promise<void> {
    return this.queue;
  }
}
