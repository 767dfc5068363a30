import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import { type AddressInfo, type Socket } from 'node:net';
import { generate } from 'selfsigned';

/**
 * Small stand-ins for a cluster's per-node API endpoints, for the client's failover tests: one
 * HTTPS server per node on its own loopback address (same port), certificates signed by a cluster
 * CA (or a rogue self-signed one), and knobs to make a node refuse, hang or answer 595.
 */

export interface TestCa {
  certPem: string;
  keyPem: string;
}

export interface NodeCert {
  certPem: string;
  keyPem: string;
  fingerprint: string;
}

const DAY = 86_400_000;

export async function makeCa(): Promise<TestCa> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'Test Cluster CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + DAY),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

/** A node certificate for `ip`, signed by `ca` (or self-signed when none: a host outside the cluster). */
export async function makeNodeCert(ip: string, ca?: TestCa): Promise<NodeCert> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: ip }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(now - 60_000),
    notAfterDate: new Date(now + DAY),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip }] },
    ],
    ...(ca ? { ca: { key: ca.keyPem, cert: ca.certPem } } : {}),
  });
  return { certPem: pems.cert, keyPem: pems.private, fingerprint: new X509Certificate(pems.cert).fingerprint256 };
}

export interface SeenRequest {
  method: string;
  url: string;
  auth: string | undefined;
}

/** ok; hang: accept, never answer; reset: drop the connection once the request has arrived; fail595: PVE's 595. */
export type NodeMode = 'ok' | 'hang' | 'reset' | 'fail595';

export interface FakeNode {
  readonly name: string;
  readonly ip: string;
  readonly url: string;
  readonly cert: NodeCert;
  /** Every HTTP request this node received. */
  readonly seen: SeenRequest[];
  /** Bytes received on TLS connections after the handshake (a request, had one been sent). */
  readonly tlsBytes: () => number;
  mode: NodeMode;
  /** Stops listening and drops open connections: a powered-off host refuses connections. */
  down(): Promise<void>;
  up(): Promise<void>;
}

export interface FakeCluster {
  readonly nodes: FakeNode[];
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts one fake PVE API per node (`ips[i]` is node `names[i]`), all on one port, each with its
 * own certificate: `certs[i]`. /cluster/status lists every node with its ip and marks the
 * answering one `local`, as PVE does.
 */
export async function startFakeCluster(names: string[], ips: string[], certs: NodeCert[]): Promise<FakeCluster> {
  let port = 0;
  const nodes: FakeNode[] = [];
  const status = (local: string): unknown[] => [
    { type: 'cluster', id: 'cluster', name: 'test', quorate: 1, nodes: names.length, version: 3 },
    ...names.map((name, i) => ({
      type: 'node',
      id: `node/${name}`,
      name,
      nodeid: i + 1,
      ip: ips[i],
      online: 1,
      local: name === local ? 1 : 0,
    })),
  ];

  for (const [i, name] of names.entries()) {
    const ip = ips[i]!;
    const cert = certs[i]!;
    const seen: SeenRequest[] = [];
    const sockets = new Set<Socket>();
    let bytes = 0;
    let server: Server | undefined;
    const node: FakeNode = {
      name,
      ip,
      cert,
      seen,
      mode: 'ok',
      get url() {
        return `https://${ip}:${port}/api2/json`;
      },
      tlsBytes: () => bytes,
      down: async () => {
        const s = server;
        server = undefined;
        if (!s) return;
        const closed = new Promise<void>((resolve) => s.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await closed;
      },
      up: async () => {
        if (server) return;
        const s = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
          seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization });
          req.resume();
          req.on('end', () => {
            if (node.mode === 'hang') return;
            if (node.mode === 'reset') {
              req.socket.destroy();
              return;
            }
            const path = (req.url ?? '').replace(/^\/api2\/json/, '').replace(/\?.*$/, '');
            const send = (code: number, data: unknown, reason?: string): void => {
              res.statusCode = code;
              if (reason) res.statusMessage = reason;
              res.setHeader('content-type', 'application/json');
              res.end(JSON.stringify(data));
            };
            if (node.mode === 'fail595' && !path.startsWith('/nodes/')) {
              send(595, { data: null }, 'Connection refused');
              return;
            }
            const other = /^\/nodes\/([^/]+)\//.exec(path)?.[1];
            if (other !== undefined && other !== name && node.mode === 'fail595') {
              send(595, { data: null }, `Connection refused`);
              return;
            }
            if (path === '/version') send(200, { data: { version: '8.4.1', release: '8.4', repoid: 'test' } });
            else if (path === '/cluster/status') send(200, { data: status(name) });
            else if (/\/status\/(stop|start|shutdown)$/.test(path) && req.method === 'POST') {
              const vmid = /\/qemu\/(\d+)\//.exec(path)?.[1] ?? '100';
              send(200, { data: `UPID:${name}:00001234:00ABCDEF:6650A0B0:qmstop:${vmid}:jarvis@pve!ops:` });
            } else if (/^\/nodes\/[^/]+\/status$/.test(path))
              send(200, { data: { uptime: 100, cpu: 0.1, memory: { used: 1, total: 2 } } });
            else send(200, { data: [] });
          });
        });
        s.on('secureConnection', (socket) => {
          sockets.add(socket);
          socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
          socket.on('close', () => sockets.delete(socket));
        });
        s.on('connection', (socket: Socket) => {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
        });
        s.on('tlsClientError', () => undefined);
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.listen(port, ip, () => {
            s.off('error', reject);
            resolve();
          });
        });
        if (port === 0) port = (s.address() as AddressInfo).port;
        server = s;
      },
    };
    await node.up();
    nodes.push(node);
  }
  return {
    nodes,
    get port() {
      return port;
    },
    close: async () => {
      await Promise.all(nodes.map((n) => n.down()));
    },
  };
}
