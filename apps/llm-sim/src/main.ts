import { startLlmSim } from './index';

/** `node apps/llm-sim/dist/main.js`: both fakes on LLM_SIM_PORT (default: a free port), loopback only. */
async function main(): Promise<void> {
  const raw = process.env['LLM_SIM_PORT'];
  const port = raw ? Number(raw) : 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`LLM_SIM_PORT must be a port, got '${raw}'`);
  const sim = await startLlmSim({ port });
  process.stdout.write(`${JSON.stringify({ ready: true, url: sim.url, openaiUrl: sim.openaiUrl })}\n`);
  const stop = (signal: NodeJS.Signals): void => {
    process.stderr.write(`llm-sim: ${signal}, shutting down\n`);
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`llm-sim: ${(err as Error).message}\n`);
  process.exit(1);
});
