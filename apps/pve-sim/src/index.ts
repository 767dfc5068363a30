import { loadOrCreateCert } from './cert';
import { ClusterSim } from './cluster';
import { presetAcl } from './permissions';
import { resolveOptions, type RunningSimulator, type SimulatorOptions } from './options';
import { listen } from './server';
import { generateEd25519 } from './ssh/keys';
import { startSshForCluster, type RunningSimSsh, type SimSshOptions } from './ssh/ssh-servers';

export { DEFAULT_RESTRICTED_TOKEN, DEFAULT_SIM_TOKEN, type RunningSimulator, type SimulatorOptions } from './options';
export { UPID_PATTERN, decodeUpid, encodeUpid, type UpidParts } from './upid';
export { type LedgerEntry } from './ledger';
export { AUDITOR_PRIVILEGES, PERMISSION_PRESETS, POWER_POOL, type Acl, type PermissionPreset } from './permissions';
export { type RunningSimSsh, type SimSshEndpoint, type SimSshOptions } from './ssh/ssh-servers';

/** A fresh ed25519 key pair in OpenSSH format, for a client of the simulator's SSH servers (the demo's Jarvis key). */
export function generateSshKeyPair(comment = 'jarvis'): { privateKey: string; publicKey: string } {
  const pair = generateEd25519(comment);
  return { privateKey: pair.private, publicKey: pair.public };
}

/** The cluster behind each running simulator, for the SSH servers that answer as its nodes. */
const clusters = new WeakMap<RunningSimulator, { sim: ClusterSim; ssh: RunningSimSsh[] }>();

/**
 * Starts one SSH server per node of a running simulator (see ssh/ssh-servers.ts). They share the
 * simulator's state (guests, CPU, the node-offline fault) and close with it.
 */
export async function startSimSshServers(simulator: RunningSimulator, opts: SimSshOptions): Promise<RunningSimSsh> {
  const entry = clusters.get(simulator);
  if (!entry) throw new Error('pve-sim ssh: not a simulator started by startSimulator, or already closed');
  const ssh = await startSshForCluster(entry.sim, opts);
  entry.ssh.push(ssh);
  return ssh;
}

/** Starts a Proxmox VE 8.4 look-alike on HTTPS, with the /_sim control API on the same port. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const o = resolveOptions(opts);
  const cert = await loadOrCreateCert(o.certDir);
  const sim = new ClusterSim({
    seed: o.seed,
    taskMs: o.taskMs,
    refreshMs: o.refreshMs,
    localFingerprint: cert.fingerprint,
    tokenUser: o.token.tokenUser,
  });
  sim.acl = presetAcl(o.permissions);
  const closing = new AbortController();
  let running;
  try {
    running = await listen(
      {
        sim,
        cert,
        token: o.token,
        restrictedToken: o.restrictedToken,
        authFailDelayMs: o.authFailDelayMs,
        closing: closing.signal,
      },
      o.host,
      o.port,
    );
  } catch (err) {
    sim.dispose();
    throw err;
  }
  const origin = `https://${o.host}:${running.port}`;
  let closed: Promise<void> | undefined;
  const ssh: RunningSimSsh[] = [];
  const simulator: RunningSimulator = {
    url: `${origin}/api2/json`,
    controlUrl: `${origin}/_sim`,
    port: running.port,
    token: o.token.full,
    restrictedToken: o.restrictedToken.full,
    fingerprint: cert.fingerprint,
    certPem: cert.certPem,
    close: () => {
      closed ??= (async () => {
        clusters.delete(simulator);
        await Promise.all(ssh.map((s) => s.close()));
        sim.dispose();
        closing.abort();
        await running.close();
      })();
      return closed;
    },
  };
  clusters.set(simulator, { sim, ssh });
  return simulator;
}
