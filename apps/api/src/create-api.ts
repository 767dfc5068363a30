import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type JarvisConfig } from '@jarvis/config';
import { ApiConfigError, toApiConfig } from './api-config';
import { DecisionSigner } from './auth/decision-signer';
import { ApiLogger } from './api-logger';
import { AppModule } from './app.module';
import { OperatorDirectory } from './auth/operators';
import { cameOverHttps, resolveClientAddress } from './common/client-address';
import { type HttpRequest, type HttpResponse, type NextFunction } from './common/http.types';
import { ErrorFilter } from './errors/error.filter';
import { refuseDeepJson } from './json-depth';
import { setupOpenApi } from './openapi';
import { createValidationPipe } from './validation';
import { SecureIoAdapter, securityHeaders } from './web/security-headers';
import { resolveWebDist, serveDashboard } from './web/static-dashboard';

export interface CreateApiOptions {
  /** `false` silences Nest's logger (tests). */
  readonly logger?: false;
  /** Where the API-only settings (TEMPERATURE_POLL_MS, TERMINAL_*) are read; `process.env` by default. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** JSON bodies above this are refused with 413 before any handler runs; no route needs more. */
export const JSON_BODY_LIMIT = '256kb';

/**
 * Builds the initialised API (HTTP + socket.io) without listening, so the process entry point
 * and the tests share one assembly. The caller listens (`app.listen(port, host)`) and closes.
 */
export async function createApi(config: JarvisConfig, opts: CreateApiOptions = {}): Promise<NestExpressApplication> {
  const apiConfig = toApiConfig(config, opts.env ?? process.env);
  // Hashed before anything else holds the config; from here on only the hashes exist in the API.
  const operators = await OperatorDirectory.fromAccounts(config.operators);
  let signer: DecisionSigner;
  try {
    signer = apiConfig.signingKey ? DecisionSigner.fromSetting(apiConfig.signingKey) : DecisionSigner.ephemeral();
  } catch (err) {
    throw new ApiConfigError(`invalid configuration:\n  - ${(err as Error).message}`);
  }
  if (!apiConfig.signingKey && opts.logger !== false)
    new Logger('Policy').warn(
      'JARVIS_SIGNING_KEY is not set: decisions are signed with a key that lasts until this API restarts',
    );
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(apiConfig, operators, signer), {
    bodyParser: false,
    abortOnError: false,
    forceCloseConnections: true,
    logger: opts.logger === false ? false : new ApiLogger(),
  });
  app.disable('x-powered-by');
  // First, so every answer carries them, errors from the body parser and the router included.
  app.use(securityHeaders);
  // API answers carry tokens and live state: never cached by a browser or proxy.
  app.use((req: HttpRequest, res: HttpResponse, next: NextFunction) => {
    // Once per request, for the login limiter and the refresh cookie's Secure flag.
    const peer = req.socket.remoteAddress;
    const trusted = apiConfig.trustedProxies;
    req.clientAddress = resolveClientAddress(peer, req.headers['x-forwarded-for'], trusted);
    req.viaHttps = cameOverHttps(
      (req.socket as { encrypted?: boolean }).encrypted === true,
      peer,
      req.headers['x-forwarded-proto'],
      trusted,
    );
    if (req.path.startsWith('/api/')) res.setHeader('Cache-Control', 'no-store');
    next();
  });
  // Nest's typing leaves `verify` out (it uses it for rawBody, which is off here); body-parser takes it.
  const jsonOptions = { limit: JSON_BODY_LIMIT, verify: refuseDeepJson };
  app.useBodyParser('json', jsonOptions);
  app.setGlobalPrefix('api');
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ErrorFilter());
  app.useWebSocketAdapter(new SecureIoAdapter(app));
  const webDist = resolveWebDist(config.webDist);
  if (webDist) serveDashboard(app, webDist);
  setupOpenApi(app);
  await app.init();
  return app;
}
