import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadConfig, temporalConnectionOptions, TemporalTlsError } from '@jarvis/config';

const BASE = {
  PVE_URL: 'https://127.0.0.1:8006/api2/json',
  PVE_TOKEN: 'root@pam!jarvis=secret',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/jarvis',
  JARVIS_USERNAME: 'operator',
  JARVIS_PASSWORD: 'long enough password',
  JWT_SECRET: 'x'.repeat(40),
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

/** Certificates made by the script the deployment uses (deploy/temporal-certs.sh, openssl only). */
const SERVER_NAME = 'temporal.jarvis.test';
let certs: string;
let other: string;
beforeAll(() => {
  certs = mkdtempSync(join(tmpdir(), 'jarvis-certs-'));
  other = mkdtempSync(join(tmpdir(), 'jarvis-certs-other-'));
  const script = resolve(__dirname, '..', '..', 'deploy', 'temporal-certs.sh');
  execFileSync('bash', [script, certs, SERVER_NAME], { stdio: 'pipe' });
  execFileSync('bash', [script, other], { stdio: 'pipe' }); // a second, unrelated CA
});
afterAll(() => {
  rmSync(certs, { recursive: true, force: true });
  rmSync(other, { recursive: true, force: true });
});
const file = (name: string): string => join(certs, name);

describe('Temporal TLS configuration', () => {
  test('unset: plaintext, the address only', () => {
    const config = loadConfig(BASE);
    expect(config.temporal.tls).toBeUndefined();
    expect(temporalConnectionOptions(config.temporal)).toEqual({ address: '127.0.0.1:7233' });
  });

  test('a certificate without its key, a key without its certificate, and other mistakes are refused at boot', () => {
    expect(problems({ TEMPORAL_TLS_CERT: '/x/jarvis.pem' })).toEqual([
      'TEMPORAL_TLS_CERT is set without TEMPORAL_TLS_KEY (a client certificate needs its key)',
    ]);
    expect(problems({ TEMPORAL_TLS_KEY: '/x/jarvis.key', TEMPORAL_TLS_CA: '/x/ca.pem' })).toEqual([
      'TEMPORAL_TLS_KEY is set without TEMPORAL_TLS_CERT (a client key needs its certificate)',
    ]);
    expect(problems({ TEMPORAL_TLS_SERVER_NAME: 'not a name!' })).toEqual([
      'TEMPORAL_TLS_SERVER_NAME must be a DNS name',
    ]);
    expect(problems({ TEMPORAL_TLS: 'off', TEMPORAL_TLS_CA: '/x/ca.pem' })).toEqual([
      'TEMPORAL_TLS is off but TEMPORAL_TLS_CERT/KEY/CA/SERVER_NAME are set',
    ]);
    expect(problems({ TEMPORAL_TLS: 'maybe' })).toEqual(['TEMPORAL_TLS must be 1/true/yes/on or 0/false/no/off']);
  });

  test('TEMPORAL_TLS=1 alone: TLS with the system roots', () => {
    const config = loadConfig({ ...BASE, TEMPORAL_TLS: '1', TEMPORAL_ADDRESS: 'temporal.example:7233' });
    expect(temporalConnectionOptions(config.temporal)).toEqual({ address: 'temporal.example:7233', tls: {} });
  });

  test('mTLS: the files are read when connecting, and the config holds their paths only', () => {
    const config = loadConfig({
      ...BASE,
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_TLS_CERT: file('jarvis.pem'),
      TEMPORAL_TLS_KEY: file('jarvis.key'),
      TEMPORAL_TLS_CA: file('ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    });
    expect(config.temporal.tls).toEqual({
      certFile: file('jarvis.pem'),
      keyFile: file('jarvis.key'),
      caFile: file('ca.pem'),
      serverName: SERVER_NAME,
    });
    expect(JSON.stringify(config)).not.toContain('PRIVATE KEY');
    const options = temporalConnectionOptions(config.temporal);
    expect(options.address).toBe('temporal:7233');
    expect(options.tls?.serverNameOverride).toBe(SERVER_NAME);
    expect(options.tls?.clientCertPair?.crt.equals(readFileSync(file('jarvis.pem')))).toBe(true);
    expect(options.tls?.clientCertPair?.key.equals(readFileSync(file('jarvis.key')))).toBe(true);
    expect(options.tls?.serverRootCACertificate?.equals(readFileSync(file('ca.pem')))).toBe(true);
  });

  test('a missing file, a non-PEM file, a key of another certificate, a leaf as CA: each named', () => {
    const tls = (over: Record<string, string>): void => {
      temporalConnectionOptions(
        loadConfig({
          ...BASE,
          TEMPORAL_TLS_CERT: file('jarvis.pem'),
          TEMPORAL_TLS_KEY: file('jarvis.key'),
          TEMPORAL_TLS_CA: file('ca.pem'),
          ...over,
        }).temporal,
      );
    };
    const junk = join(certs, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    expect(() => tls({ TEMPORAL_TLS_CERT: join(certs, 'nope.pem') })).toThrow(
      new TemporalTlsError(`TEMPORAL_TLS_CERT: cannot read ${join(certs, 'nope.pem')} (ENOENT)`),
    );
    expect(() => tls({ TEMPORAL_TLS_CERT: junk })).toThrow(/TEMPORAL_TLS_CERT: .*junk\.pem is not a PEM certificate/);
    expect(() => tls({ TEMPORAL_TLS_KEY: junk })).toThrow(/TEMPORAL_TLS_KEY: .*junk\.pem is not a PEM private key/);
    expect(() => tls({ TEMPORAL_TLS_KEY: file('temporal-ui.key') })).toThrow(
      /TEMPORAL_TLS_KEY: .*temporal-ui\.key is not the key of the certificate .*jarvis\.pem/,
    );
    expect(() => tls({ TEMPORAL_TLS_CA: file('jarvis.pem') })).toThrow(/TEMPORAL_TLS_CA: .*jarvis\.pem is not a CA/);
    expect(() => tls({ TEMPORAL_TLS_CA: junk })).toThrow(/TEMPORAL_TLS_CA: .*junk\.pem is not a PEM certificate/);
  });
});

/**
 * The dev server speaks no TLS, so a loopback TLS terminator that demands a client certificate
 * (as `requireClientAuth: true` does) stands in front of the real dev server of this test run.
 */
describe('mTLS to a Temporal frontend that requires client certificates', () => {
  let proxy: Server;
  let address: string;
  const clients: string[] = [];

  beforeAll(async () => {
    const [host, port] = process.env['JARVIS_TEST_TEMPORAL_ADDRESS']!.split(':') as [string, string];
    proxy = createServer(
      {
        key: readFileSync(file('server.key')),
        cert: readFileSync(file('server.pem')),
        ca: readFileSync(file('ca.pem')),
        requestCert: true,
        rejectUnauthorized: true,
        ALPNProtocols: ['h2'],
      },
      (socket: TLSSocket) => {
        clients.push(String(socket.getPeerCertificate().subject?.CN));
        const upstream = netConnect(Number(port), host);
        socket.pipe(upstream).pipe(socket);
        const close = (): void => {
          socket.destroy();
          upstream.destroy();
        };
        socket.on('error', close);
        upstream.on('error', close);
      },
    );
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    address = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => proxy.close(r));
  });

  const env = (over: Record<string, string> = {}): Record<string, string> => ({
    ...BASE,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TLS_CERT: file('jarvis.pem'),
    TEMPORAL_TLS_KEY: file('jarvis.key'),
    TEMPORAL_TLS_CA: file('ca.pem'),
    TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
    ...over,
  });

  test("the API's client and the worker's native connection get through with Jarvis's certificate", async () => {
    const options = temporalConnectionOptions(loadConfig(env()).temporal);
    const client = await Connection.connect({ ...options, connectTimeout: '5s' });
    try {
      const info = await client.workflowService.getSystemInfo({});
      expect(info.capabilities).toBeTruthy();
    } finally {
      await client.close();
    }
    const native = await NativeConnection.connect(options);
    await native.close();
    expect(clients).toContain('jarvis');
  });

  test('without a client certificate, or with one from another CA, the handshake is refused', async () => {
    const before = clients.length;
    const noCert = temporalConnectionOptions(loadConfig(env({ TEMPORAL_TLS_CERT: '', TEMPORAL_TLS_KEY: '' })).temporal);
    expect(noCert.tls?.clientCertPair).toBeUndefined();
    await expect(Connection.connect({ ...noCert, connectTimeout: '1s' })).rejects.toThrow();
    const foreign = temporalConnectionOptions(
      loadConfig(env({ TEMPORAL_TLS_CERT: join(other, 'jarvis.pem'), TEMPORAL_TLS_KEY: join(other, 'jarvis.key') }))
        .temporal,
    );
    await expect(Connection.connect({ ...foreign, connectTimeout: '1s' })).rejects.toThrow();
    expect(clients.length).toBe(before);
  });
});
