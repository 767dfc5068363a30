import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, makeTelemetryFilterString, DefaultLogger } from '@temporalio/worker';
import { createSshPoolFromConfig, ProxmoxClient } from '@jarvis/activities';
import {
  loadConfig,
  ConfigError,
  pveClientSettings,
  temporalConnectionOptions,
  TemporalTlsError,
} from '@jarvis/config';
import { createPool, migrate } from '@jarvis/db';
import { DEFAULT_LLM_PRICES, parseProtected } from '@jarvis/policies';
import { createJarvisWorker } from './worker';

const log = (message: string): void => console.log(`[worker] ${new Date().toISOString()} ${message}`);

async function main(): Promise<void> {
  const config = loadConfig();
  // Read (and checked) before anything connects: a wrong TLS file stops start-up with its name.
  const temporalOptions = temporalConnectionOptions(config.temporal);
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), console: {} } },
  });
  const pool = createPool(config.databaseUrl);
  await migrate(pool);
  const pve = new ProxmoxClient({ ...pveClientSettings(config.pve), onEvent: (message) => log(message) });
  // The node SSH pool when SSH_* are set: chat's ssh.run/service.status and the service-restart runbook.
  const ssh = createSshPoolFromConfig(config, { log: (event) => log(`ssh ${JSON.stringify(event)}`) });
  const connection = await NativeConnection.connect(temporalOptions);
  const clientConnection = await Connection.connect(temporalOptions);
  const client = new Client({ connection: clientConnection, namespace: config.temporal.namespace });
  const jarvis = await createJarvisWorker({
    connection,
    client,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    pve,
    pool,
    log,
    ...(ssh ? { ssh } : {}),
    autonomy: {
      config: config.autonomy,
      start: config.autonomy.autostart,
      protectedResources: parseProtected(config.protectedJson),
      // The same rule as the API's: two-person approval once more than one operator exists.
      twoPersonRule: config.operators.length > 1,
      approvalTtlMs: config.approvalTtlMs,
      approvalEscalateMs: config.approvalEscalateMs,
    },
    llm: {
      ...(config.anthropic
        ? {
            anthropic: {
              apiKey: config.anthropic.apiKey,
              model: config.chat.anthropicModel,
              ...(config.anthropic.baseUrl ? { baseUrl: config.anthropic.baseUrl } : {}),
            },
          }
        : {}),
      ...(config.localLlm ? { local: { url: config.localLlm.url, model: config.chat.localModel } } : {}),
      prices: { ...DEFAULT_LLM_PRICES, ...config.chat.prices },
      ...(config.chat.budgetDailyUsd !== undefined ? { dailyCapUsd: config.chat.budgetDailyUsd } : {}),
      ...(config.chat.budgetMonthlyUsd !== undefined ? { monthlyCapUsd: config.chat.budgetMonthlyUsd } : {}),
    },
    notify: {
      ...(config.smtp?.url ? { smtpUrl: config.smtp.url } : {}),
      ...(config.smtp?.alertEmail ? { alertEmail: config.smtp.alertEmail } : {}),
    },
  });
  const stop = (signal: string): void => {
    log(`${signal}: draining`);
    void jarvis.shutdown();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  log(
    `polling task queue "${config.temporal.taskQueue}" on ${config.temporal.address}${temporalOptions.tls ? (temporalOptions.tls.clientCertPair ? ' (mTLS)' : ' (TLS)') : ''}`,
  );
  await jarvis.run();
  await Promise.allSettled([connection.close(), clientConnection.close(), pool.end(), pve.close(), ssh?.close()]);
  log('stopped');
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError || err instanceof TemporalTlsError ? err.message : err);
  process.exit(1);
});
