import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { DEFAULT_SIM_TOKEN, startSimulator } from '../../apps/pve-sim/src/index';
import { call, SimHarness } from './sim-client';

describe('pve-sim start-up options', () => {
  it('refuses to listen anywhere but 127.0.0.0/8', async () => {
    await expect(startSimulator({ port: 0, host: '0.0.0.0' })).rejects.toThrow(/127\.0\.0\.0\/8/);
    await expect(startSimulator({ port: 0, host: '::' })).rejects.toThrow(/127\.0\.0\.0\/8/);
    await expect(startSimulator({ port: 0, host: 'localhost' })).rejects.toThrow(/127\.0\.0\.0\/8/);
  });

  it('uses the default token and reports https URLs for the API and the control API', async () => {
    const h = await SimHarness.start();
    try {
      expect(h.sim.token).toBe(DEFAULT_SIM_TOKEN);
      expect(h.sim.url).toBe(`https://127.0.0.1:${h.sim.port}/api2/json`);
      expect(h.sim.controlUrl).toBe(`https://127.0.0.1:${h.sim.port}/_sim`);
    } finally {
      await h.close();
    }
  });

  it('keeps the same certificate across restarts when given a certDir', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pve-sim-cert-'));
    try {
      const first = await startSimulator({ port: 0, certDir: dir });
      await first.close();
      const second = await startSimulator({ port: 0, certDir: dir });
      await second.close();
      expect(second.fingerprint).toBe(first.fingerprint);
      expect(second.certPem).toBe(first.certPem);
      expect(second.endpoints).toEqual(first.endpoints.map((e) => ({ ...e, url: expect.any(String) })));
      // Laid out as PVE keeps them under /etc/pve.
      expect((await readdir(dir)).sort()).toEqual(['nodes', 'pve-root-ca.key', 'pve-root-ca.pem']);
      expect((await readdir(join(dir, 'nodes', 'pve'))).sort()).toEqual(['pve-ssl.key', 'pve-ssl.pem']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('adopts the self-signed CA of a certDir from before per-node endpoints as the cluster CA', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pve-sim-cert-'));
    try {
      const legacy = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
        keyType: 'ec',
        curve: 'P-256',
        algorithm: 'sha256',
        notAfterDate: new Date(Date.now() + 30 * 86_400_000),
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', digitalSignature: true, keyCertSign: true, critical: true },
        ],
      });
      await writeFile(join(dir, 'cert.pem'), legacy.cert);
      await writeFile(join(dir, 'key.pem'), legacy.private);
      const sim = await startSimulator({ port: 0, certDir: dir, authFailDelayMs: 10 });
      try {
        expect(sim.caPem).toBe(legacy.cert);
        expect((await call(sim, 'GET', `${sim.endpoints[1]?.url}/version`)).status).toBe(200);
      } finally {
        await sim.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts only the configured token and puts its user!tokenid in UPIDs', async () => {
    const token = 'ops@pve!bot=11111111-2222-3333-4444-555555555555';
    const h = await SimHarness.start({ token });
    try {
      expect((await call(h.sim, 'GET', `${h.sim.url}/version`, { token: DEFAULT_SIM_TOKEN })).status).toBe(401);
      const upid = await h.upid('/nodes/pve/qemu/100/status/reboot');
      expect(upid).toMatch(/:qmreboot:100:ops@pve!bot:$/);
      expect(await h.taskStatus('pve', upid)).toMatchObject({ user: 'ops@pve', tokenid: 'bot' });
    } finally {
      await h.close();
    }
  });

  it('closes promptly even while a request waits out the failed-auth delay', async () => {
    const h = await SimHarness.start({ authFailDelayMs: 30_000 });
    const pending = call(h.sim, 'GET', `${h.sim.url}/version`, { token: null }).catch((err: unknown) => err);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await h.close();
    expect(Date.now() - started).toBeLessThan(1000);
    // Jest's realms make instanceof unreliable; the dropped socket shows up as a reset.
    expect(await pending).toMatchObject({ code: 'ECONNRESET' });
  });

  it('rejects a token that is not USER@REALM!TOKENID=SECRET', async () => {
    await expect(startSimulator({ port: 0, token: 'root@pam:secret' })).rejects.toThrow(/USER@REALM!TOKENID=SECRET/);
  });
});
