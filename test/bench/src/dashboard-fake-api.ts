import { readFile } from 'node:fs/promises';
import { createServer, type Server as HttpServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { Server as SocketServer, type Namespace } from 'socket.io';

/**
 * A stand-in for the API, for measuring the dashboard alone: it serves the production build and
 * answers the routes the dashboard reads with a cluster of any size, and its /live namespace
 * emits `cluster`, `cluster.diff` and `step` exactly as the real gateway shapes them, at whatever
 * rate the bench asks. The real API polls Proxmox every 2 s; this one can push 2,000 guests at
 * 20 diffs a second, which is what the browser side has to keep up with.
 */
export interface FakeGuest {
  vmid: number;
  node: string;
  type: 'qemu' | 'lxc';
  name: string;
  status: 'running' | 'stopped';
  template: boolean;
  tags: string[];
  cpu: number;
  mem: number;
  maxmem: number;
  uptime: number;
}

const NODES = ['agent', 'agent1', 'home', 'pve'];
const GiB = 1024 ** 3;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
};

export interface FakeApi {
  readonly origin: string;
  readonly guests: FakeGuest[];
  readonly live: Namespace;
  /** Emits one diff: `changed` guests with new CPU figures, plus one whose name carries `marker`. */
  emitDiff(changed: number, marker?: { vmid: number; name: string }): void;
  emitFull(): void;
  emitStep(i: number): void;
  close(): Promise<void>;
}

function fakeCluster(guests: FakeGuest[]) {
  return {
    quorum: { quorate: true, nodes: 4, expected: 4 },
    nodes: NODES.map((name, i) => ({
      name,
      status: 'online',
      cpu: 0.1 + i * 0.05,
      mem: (8 + i) * GiB,
      maxmem: 32 * GiB,
      disk: 20 * GiB,
      maxdisk: 100 * GiB,
      uptime: 86_400 * (i + 1),
      temperature: null,
    })),
    guests,
    storage: NODES.map((node) => ({
      node,
      storage: 'local',
      type: 'dir',
      shared: false,
      used: 40 * GiB,
      total: 100 * GiB,
      usedFraction: 0.4,
      status: 'available',
    })),
    updatedAt: new Date().toISOString(),
    stale: false,
  };
}

export async function startFakeApi(distDir: string, guestCount: number): Promise<FakeApi> {
  const guests: FakeGuest[] = Array.from({ length: guestCount }, (_, i) => ({
    vmid: 100 + i,
    node: NODES[i % NODES.length]!,
    type: i % 3 === 0 ? 'lxc' : 'qemu',
    name: `guest-${100 + i}`,
    status: i % 7 === 0 ? 'stopped' : 'running',
    template: false,
    tags: i % 5 === 0 ? ['prod'] : [],
    cpu: 0.05,
    mem: GiB,
    maxmem: 4 * GiB,
    uptime: 3600,
  }));
  const token = `bench.${Buffer.from(JSON.stringify({ sub: 'bench', exp: 4e9 })).toString('base64url')}.sig`;
  const rrd = Array.from({ length: 70 }, (_, i) => ({
    time: 1_700_000_000 + i * 60,
    cpu: 0.2 + 0.1 * Math.sin(i / 5),
    memused: 10 * GiB,
    memtotal: 32 * GiB,
  }));

  const json = (body: unknown): { status: number; body: string; type: string } => ({
    status: 200,
    body: JSON.stringify(body),
    type: 'application/json',
  });
  const routeApi = (method: string, path: string) => {
    if (method === 'POST' && path === '/api/auth/login') return json({ token, expiresAt: '2099-01-01T00:00:00.000Z' });
    if (path === '/api/cluster') return json(fakeCluster(guests));
    if (path.startsWith('/api/approvals')) return json({ items: [] });
    if (path.startsWith('/api/feed')) return json({ items: [] });
    if (path.startsWith('/api/audit')) return json({ items: [], total: 0 });
    if (/^\/api\/nodes\/[^/]+\/rrd/.test(path)) return json({ items: rrd });
    return {
      status: 404,
      body: JSON.stringify({ error: { code: 'NOT_FOUND', message: path } }),
      type: 'application/json',
    };
  };

  const http: HttpServer = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path.startsWith('/api/')) {
      const r = routeApi(req.method ?? 'GET', req.url ?? path);
      res.writeHead(r.status, { 'content-type': r.type });
      res.end(r.body);
      return;
    }
    const file = path === '/' ? 'index.html' : normalize(path).replace(/^([/\\])+/, '');
    if (file.includes('..')) {
      res.writeHead(400).end();
      return;
    }
    readFile(join(distDir, file)).then(
      (data) => {
        res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
        res.end(data);
      },
      () => res.writeHead(404).end(),
    );
  });
  const io = new SocketServer(http, { serveClient: false });
  const live = io.of('/live');
  live.use((socket, next) => {
    const auth = socket.handshake.auth as { token?: unknown };
    next(auth.token === token ? undefined : new Error('unauthorized'));
  });
  live.on('connection', (socket) => socket.emit('cluster', fakeCluster(guests)));

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  let tick = 0;

  return {
    origin: `http://127.0.0.1:${port}`,
    guests,
    live,
    emitDiff(changed, marker) {
      tick++;
      const out: FakeGuest[] = [];
      for (let k = 0; k < changed; k++) {
        const g = guests[(tick * 37 + k * 101) % guests.length]!;
        g.cpu = ((tick + k) % 100) / 100;
        out.push({ ...g });
      }
      if (marker) {
        const g = guests.find((x) => x.vmid === marker.vmid)!;
        g.name = marker.name;
        out.push({ ...g });
      }
      live.emit('cluster.diff', {
        updatedAt: new Date().toISOString(),
        stale: false,
        nodes: { changed: [], removed: [] },
        guests: { changed: out, removed: [] },
        storage: { changed: [], removed: [] },
      });
    },
    emitFull() {
      live.emit('cluster', fakeCluster(guests));
    },
    emitStep(i) {
      live.emit('step', {
        workflowId: `vm-action:pve:${100 + (i % 50)}:stop:BENCH${i}`,
        kind: 'tier',
        title: `Policy: YELLOW (${i})`,
        at: new Date().toISOString(),
      });
    },
    async close() {
      await io.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}
