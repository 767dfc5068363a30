import { loadOrCreateCert } from './cert';
import { ClusterSim } from './cluster';
import { resolveOptions, type RunningSimulator, type SimulatorOptions } from './options';
import { listen } from './server';

export { DEFAULT_SIM_TOKEN, type RunningSimulator, type SimulatorOptions } from './options';
export { UPID_PATTERN, decodeUpid, encodeUpid, type UpidParts } from './upid';
export { type LedgerEntry } from './ledger';

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
  const closing = new AbortController();
  let running;
  try {
    running = await listen(
      { sim, cert, token: o.token, authFailDelayMs: o.authFailDelayMs, closing: closing.signal },
      o.host,
      o.port,
    );
  } catch (err) {
    sim.dispose();
    throw err;
  }
  const origin = `https://${o.host}:${running.port}`;
  let closed: Promise<void> | undefined;
  return {
    url: `${origin}/api2/json`,
    controlUrl: `${origin}/_sim`,
    port: running.port,
    token: o.token.full,
    fingerprint: cert.fingerprint,
    certPem: cert.certPem,
    close: () => {
      closed ??= (async () => {
        sim.dispose();
        closing.abort();
        await running.close();
      })();
      return closed;
    },
  };
}
