import { startSimulator, type SimulatorOptions } from './index';

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
  };
}

async function main(): Promise<void> {
  const sim = await startSimulator(optionsFromEnv(process.env));
  process.stdout.write(
    `${JSON.stringify({ ready: true, url: sim.url, controlUrl: sim.controlUrl, fingerprint: sim.fingerprint })}\n`,
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
