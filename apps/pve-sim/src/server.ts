import { type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import { type AddressInfo } from 'node:net';
import { type SimCert } from './cert';
import { type ClusterSim } from './cluster';
import { handleControl } from './control-routes';
import { type ParsedToken } from './options';
import { handlePve } from './pve-dispatch';
import { BodyTooLarge, readBody, writeJson, writePve } from './wire';

export interface ServerDeps {
  sim: ClusterSim;
  cert: SimCert;
  token: ParsedToken;
  restrictedToken: ParsedToken;
  authFailDelayMs: number;
  closing: AbortSignal;
}

const API_PREFIX = '/api2/json';
const CONTROL_PREFIX = '/_sim';

async function route(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
  if (path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`)) {
    handleControl(deps.sim, req, res, path.slice(CONTROL_PREFIX.length).split('/').filter(Boolean), body);
    return;
  }
  // pve-http-server refuses other verbs before looking at authentication.
  if (!['GET', 'POST', 'PUT', 'DELETE'].includes(method)) {
    writePve(req, res, 501, `method '${method}' not available`);
    return;
  }
  if (path.startsWith(`${API_PREFIX}/`)) {
    await handlePve(deps, req, res, path.slice(API_PREFIX.length), url.searchParams, body);
    return;
  }
  writePve(req, res, 404, 'File not found');
}

export interface ListeningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export async function listen(deps: ServerDeps, host: string, port: number): Promise<ListeningServer> {
  const server = createServer({ key: deps.cert.keyPem, cert: deps.cert.certPem }, (req, res) => {
    route(deps, req, res).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      if (!res.headersSent) writeJson(res, 500, { error: { code: 'INTERNAL', message } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  return {
    server,
    port: actualPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
