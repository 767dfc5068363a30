import { join } from 'node:path';
import { CA_FILE } from './cert';
import {
  startSimSshServers,
  startSimulator,
  type PermissionPreset,
  type SimSshEndpoint,
  type SimulatorOptions,
} from './index';

/** Reads SIM_* into options; a malformed number stops start-up with the variable's name. */
function optionsFromEnv(env: NodeJS.ProcessEnv): SimulatorOptions {
  const number = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got '${raw}'`);
    return n;
  };
  const text = (name: string): string | undefined => (env[name] === '' ? undefined : env[name]);
  return {
    port: number('SIM_PORT'),
    host: text('SIM_HOST'),
    seed: number('SIM_SEED'),
    taskMs: number('SIM_TASK_MS'),
    refreshMs: number('SIM_REFRESH_MS'),
    certDir: text('SIM_CERT_DIR'),
    token: text('SIM_TOKEN'),
    restrictedToken: text('SIM_RESTRICTED_TOKEN'),
    // Checked by startSimulator, which names the presets.
    permissions: text('SIM_PERMISSIONS') as PermissionPreset | undefined,
    nodeAddressBase: text('SIM_NODE_ADDRESS_BASE'),
  };
}

async function main(): Promise<void> {
  const options = optionsFromEnv(process.env);
  const certDir = options.certDir;
  const sim = await startSimulator(options);
  let ssh: readonly SimSshEndpoint[] | undefined;
  // SIM_SSH_AUTHORIZED_KEY (an OpenSSH public key line) turns on one SSH server per node;
  // SIM_SSH_HOST_KEY_DIR keeps their host keys; SIM_SSH_PORTS is JSON {node: port} (default: free ports).
  const authorizedKey = process.env['SIM_SSH_AUTHORIZED_KEY'];
  if (authorizedKey) {
    const ports = process.env['SIM_SSH_PORTS']
      ? (JSON.parse(process.env['SIM_SSH_PORTS']) as Record<string, number>)
      : undefined;
    const hostKeyDir = process.env['SIM_SSH_HOST_KEY_DIR'] || undefined;
    ssh = (
      await startSimSshServers(sim, {
        authorizedKeys: authorizedKey,
        ...(ports ? { ports } : {}),
        ...(hostKeyDir ? { hostKeyDir } : {}),
      })
    ).endpoints;
  }
  process.stdout.write(
    `${JSON.stringify({
      ready: true,
      url: sim.url,
      controlUrl: sim.controlUrl,
      fingerprint: sim.fingerprint,
      restrictedToken: sim.restrictedToken,
      endpoints: sim.endpoints,
      ...(certDir ? { caFile: join(certDir, CA_FILE) } : {}),
      ...(ssh ? { ssh } : {}),
    })}\n`,
  );
  const stop = (signal: NodeJS.Signals) => {
    process.stderr.write(`pve-sim: ${signal}, shutting down\n`);
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`pve-sim: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`pve-sim: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
