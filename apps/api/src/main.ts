import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig, TemporalTlsError, type JarvisConfig } from '@jarvis/config';
import { ApiConfigError } from './api-config';
import { createApi } from './create-api';

async function main(): Promise<void> {
  let config: JarvisConfig;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const app = await createApi(config);
  // Nest closes providers (Temporal, Postgres, sockets) on these, then re-raises the signal to exit.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen(config.apiPort, config.bindAddress);
  const host = config.bindAddress.includes(':') ? `[${config.bindAddress}]` : config.bindAddress;
  new Logger('Jarvis').log(
    `API listening on http://${host}:${config.apiPort}/api (docs: /api/docs, sockets: /socket.io)`,
  );
}

main().catch((err: unknown) => {
  console.error(err instanceof ApiConfigError || err instanceof TemporalTlsError ? err.message : err);
  process.exit(1);
});
