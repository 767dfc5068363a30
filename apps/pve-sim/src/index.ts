import { loadOrCreateClusterCerts, type SimCert } from './cert';
import { ClusterSim } from './cluster';
import { presetAcl } from './permissions';
import { loopbackAddress, resolveOptions, type RunningSimulator, type SimulatorOptions } from './options';
import { NODE_SPECS } from './scenario-specs';
import { EndpointListener, ListenError, type ServerDeps } from './server';
import { generateEd25519 } from './ssh/keys';
import { startSshForCluster, type RunningSimSsh, type SimSshOptions } from './ssh/ssh-servers';

export {
  DEFAULT_RESTRICTED_TOKEN,
  DEFAULT_SIM_TOKEN,
  type RunningSimulator,
  type SimEndpoint,
  type SimulatorOptions,
} from './options';
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

const LISTEN_ATTEMPTS = 5;

/**
 * Starts a Proxmox VE 8.4 look-alike on HTTPS, with the /_sim control API on the same port, and each
 * node's own endpoint on its loopback address (nodeAddressBase + 1, + 2, ...) on that same port.
 */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const o = resolveOptions(opts);
  // Node i's cluster IP; endpoints are opened for the nodes the simulator starts with (see README).
  const nodeAddress = (index: number) => loopbackAddress(o.nodeAddressBase, 1 + index);
  const nodes = NODE_SPECS.map((spec, i) => ({ name: spec.name, ip: nodeAddress(i) }));
  const clash = nodes.find((n) => n.ip === o.host);
  if (clash)
    throw new Error(
      `pve-sim: host ${o.host} is also node '${clash.name}''s address; pick another host or nodeAddressBase`,
    );
  const mainNode = nodes[0];
  if (!mainNode) throw new Error('pve-sim: the scenario has no nodes');
  const certs = await loadOrCreateClusterCerts(
    o.certDir,
    // The first node answers on the main address too, so its certificate names that address as well.
    nodes.map((n, i) => ({
      name: n.name,
      ips: i === 0 ? [n.ip, o.host] : [n.ip],
      dnsNames: i === 0 ? ['localhost'] : [],
    })),
  );
  const certOf = (name: string): SimCert => {
    const cert = certs.nodes.get(name);
    if (!cert) throw new Error(`pve-sim: no certificate for node '${name}'`);
    return cert;
  };
  const sim = new ClusterSim({
    seed: o.seed,
    taskMs: o.taskMs,
    refreshMs: o.refreshMs,
    identities: {
      ip: nodeAddress,
      fingerprint: (name) => certs.nodes.get(name)?.fingerprint,
    },
    tokenUser: o.token.tokenUser,
  });
  sim.acl = presetAcl(o.permissions);
  if (sim.model.localNode !== mainNode.name) {
    sim.dispose();
    throw new Error(`pve-sim: the main address must be the first node, '${mainNode.name}'`);
  }
  const closing = new AbortController();
  let listeners: EndpointListener[] = [];
  const deps: ServerDeps = {
    sim,
    token: o.token,
    restrictedToken: o.restrictedToken,
    authFailDelayMs: o.authFailDelayMs,
    closing: closing.signal,
    control: {
      settled: async () => {
        await Promise.all(listeners.map((l) => l.idle()));
      },
      endpoints: () =>
        listeners.map((l) => ({
          node: l.spec.node,
          url: l.url,
          listening: l.listening,
          ...(l.lastError ? { lastError: l.lastError.message } : {}),
        })),
    },
  };
  let main: EndpointListener | undefined;
  for (let attempt = 1; main === undefined; attempt++) {
    const candidate = new EndpointListener(
      deps,
      { node: mainNode.name, host: o.host, cert: certOf(mainNode.name), control: true },
      o.port,
      'the main address',
    );
    const own: EndpointListener[] = [];
    try {
      await candidate.open();
      for (const n of nodes) {
        const spec = { node: n.name, host: n.ip, cert: certOf(n.name), control: false };
        const listener = new EndpointListener(deps, spec, candidate.boundPort, `node '${n.name}'`);
        own.push(listener);
        await listener.open();
      }
    } catch (err) {
      await Promise.all([candidate.close(), ...own.map((l) => l.close())]);
      // With port 0 the main address's free port may be taken on a node address: try another one.
      const retry =
        o.port === 0 && err instanceof ListenError && err.code === 'EADDRINUSE' && attempt < LISTEN_ATTEMPTS;
      if (!retry) {
        sim.dispose();
        throw err;
      }
      continue;
    }
    main = candidate;
    listeners = own;
  }
  const mainListener = main;
  // An offline or powered-off node's endpoint refuses connections until the node is back.
  const unsubscribe = sim.onNodesChanged(() => {
    for (const l of listeners) void l.want(sim.nodeOnline(l.spec.node));
  });
  const port = mainListener.boundPort;
  const origin = `https://${o.host}:${port}`;
  let closed: Promise<void> | undefined;
  const ssh: RunningSimSsh[] = [];
  const simulator: RunningSimulator = {
    url: mainListener.url,
    controlUrl: `${origin}/_sim`,
    port,
    token: o.token.full,
    restrictedToken: o.restrictedToken.full,
    fingerprint: certOf(mainNode.name).fingerprint,
    certPem: certs.ca.certPem,
    caPem: certs.ca.certPem,
    endpoints: listeners.map((l) => ({ node: l.spec.node, url: l.url, fingerprint: l.spec.cert.fingerprint })),
    close: () => {
      closed ??= (async () => {
        clusters.delete(simulator);
        unsubscribe();
        await Promise.all(ssh.map((s) => s.close()));
        sim.dispose();
        closing.abort();
        await Promise.all(listeners.map((l) => l.idle()));
        await Promise.all([mainListener.close(), ...listeners.map((l) => l.close())]);
      })();
      return closed;
    },
  };
  clusters.set(simulator, { sim, ssh });
  return simulator;
}
