import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { ProxmoxClient } from '../../activities/src/proxmox/proxmox.client';

/**
 * Wire cases the simulator (a faithful 8.4 server) never produces: an older 8.x server that
 * sends only the reason phrase, and broken bodies. One canned reply per test, on loopback http.
 */

interface Canned {
  status: number;
  reason?: string;
  body?: string;
}
let reply: Canned = { status: 200, body: '{"data":null}' };
let seen: { method?: string; url?: string; auth?: string; body: string; contentType?: string } = { body: '' };
let server: Server;
let pve: ProxmoxClient;
const TOKEN = 'jarvis@pve!ops=11111111-2222-3333-4444-555555555555';

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen = {
        method: req.method,
        url: req.url,
        auth: req.headers.authorization,
        body,
        contentType: req.headers['content-type'],
      };
      res.statusCode = reply.status;
      if (reply.reason !== undefined) res.statusMessage = reply.reason;
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  pve = new ProxmoxClient({ baseUrl: `http://127.0.0.1:${port}/api2/json/`, token: TOKEN, timeoutMs: 2000 });
});

afterAll(async () => {
  await pve.close();
  await new Promise((resolve) => server.close(resolve));
});

describe('wire format', () => {
  it('sends the token header, form-encodes params with 0/1 booleans and encodes UPIDs', async () => {
    reply = { status: 200, body: '{"data":"UPID:pve:00001234:00ABCDEF:6650A0B0:qmshutdown:100:jarvis@pve!ops:"}' };
    await pve.powerAction('pve', '100', 'qemu', 'shutdown', { forceStop: true, timeout: 30 });
    expect(seen).toMatchObject({
      method: 'POST',
      url: '/api2/json/nodes/pve/qemu/100/status/shutdown',
      auth: `PVEAPIToken=${TOKEN}`,
      body: 'forceStop=1&timeout=30',
      contentType: 'application/x-www-form-urlencoded',
    });

    reply = { status: 200, body: '{"data":{"status":"running","upid":"x"}}' };
    await pve.taskStatus('pve', 'UPID:pve:00001234:00ABCDEF:6650A0B0:qmshutdown:100:jarvis@pve!ops:');
    expect(seen.url).toBe(
      '/api2/json/nodes/pve/tasks/UPID%3Apve%3A00001234%3A00ABCDEF%3A6650A0B0%3Aqmshutdown%3A100%3Ajarvis%40pve!ops%3A/status',
    );
  });

  it('refuses parameter names that are not plain PVE option names', async () => {
    await expect(pve.powerAction('pve', 100, 'qemu', 'stop', { 'skiplock&x': 1 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
  });

  it('only allows plain http to loopback', () => {
    expect(() => new ProxmoxClient({ baseUrl: 'http://192.0.2.10:8006/api2/json', token: TOKEN })).toThrow(
      expect.objectContaining({ code: 'BAD_REQUEST' }) as Error,
    );
  });
});

describe('older servers and broken bodies', () => {
  it('takes the message from the reason phrase when the body has none', async () => {
    reply = { status: 500, reason: 'VM is locked (backup)', body: '{"data":null}' };
    await expect(pve.guestStatus('pve', 100, 'qemu')).rejects.toMatchObject({
      code: 'LOCKED',
      status: 500,
      message: 'VM is locked (backup)',
    });
  });

  it('595 with an empty body → NODE_UNREACHABLE', async () => {
    reply = { status: 595, reason: 'Errors during connection establishment, proxy handshake: No route to host' };
    await expect(pve.nodeStatus('agent')).rejects.toMatchObject({
      code: 'NODE_UNREACHABLE',
      retryable: true,
      message: 'Errors during connection establishment, proxy handshake: No route to host',
    });
  });

  it.each([
    ['an HTML page', '<html>login</html>'],
    ['JSON without the data envelope', '{"result":[]}'],
    ['a JSON array', '[1,2,3]'],
    ['an empty body', ''],
  ])('a 200 with %s → MALFORMED', async (_label, body) => {
    reply = { status: 200, body };
    await expect(pve.version()).rejects.toMatchObject({ code: 'MALFORMED', retryable: false });
  });

  it('a list endpoint answering an object, or a UPID that is not one → MALFORMED', async () => {
    reply = { status: 200, body: '{"data":{"not":"a list"}}' };
    await expect(pve.clusterResources()).rejects.toMatchObject({ code: 'MALFORMED' });
    reply = { status: 200, body: '{"data":"OK"}' };
    await expect(pve.powerAction('pve', 100, 'qemu', 'start')).rejects.toMatchObject({ code: 'MALFORMED' });
  });

  it('drops unusable list entries but keeps the rest', async () => {
    reply = { status: 200, body: '{"data":[{"vmid":"101","status":"running"},{"name":"no-id"},42,{"vmid":100}]}' };
    const guests = await pve.listGuests('pve', 'lxc');
    expect(guests.map((g) => [g.vmid, g.status])).toEqual([
      [100, 'unknown'],
      [101, 'running'],
    ]);
  });
});
