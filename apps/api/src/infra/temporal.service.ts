import { Logger, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { Client, Connection } from '@temporalio/client';
import { temporalConnectionOptions, type TemporalConnectionOptions } from '@jarvis/config';
import { API_CONFIG, type ApiConfig } from '../api-config';

/** Temporal is not connected (yet): callers get this at once instead of waiting out gRPC retries. */
export class TemporalUnavailableError extends Error {
  override readonly name = 'TemporalUnavailableError';
}

const CONNECT_TIMEOUT = '3s';
const RECONNECT_MS = 2000;

/**
 * The API's Temporal client. If the server is not up at boot the API starts anyway (health says
 * "down", requests that need Temporal get a 503 at once) and keeps trying to connect in the
 * background. Every call goes through `call()`, which bounds it with a deadline and counts it, so
 * shutdown can wait for in-flight calls: closing the channel under a call that the SDK's gRPC
 * retry interceptor is about to retry would throw from a timer and crash the process.
 */
export class TemporalService implements OnApplicationShutdown {
  private readonly logger = new Logger('Temporal');
  private connection?: Connection;
  private client?: Client;
  private readonly inflight = new Set<Promise<unknown>>();
  private retryTimer?: NodeJS.Timeout;
  private closed = false;
  private failing = false;

  /** Address and TLS material, read once at construction: a wrong TLS file stops start-up. */
  private readonly connectOptions: TemporalConnectionOptions;

  private constructor(private readonly config: ApiConfig) {
    this.connectOptions = temporalConnectionOptions(config.temporal);
  }

  static async create(config: ApiConfig): Promise<TemporalService> {
    const service = new TemporalService(config);
    await service.connect();
    return service;
  }

  get taskQueue(): string {
    return this.config.temporal.taskQueue;
  }

  get namespace(): string {
    return this.config.temporal.namespace;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    try {
      const connection = await Connection.connect({ ...this.connectOptions, connectTimeout: CONNECT_TIMEOUT });
      if (this.closed) {
        await connection.close();
        return;
      }
      this.connection = connection;
      this.client = new Client({ connection, namespace: this.config.temporal.namespace });
      if (this.failing) this.logger.log(`connected to ${this.config.temporal.address}`);
      this.failing = false;
    } catch (err) {
      if (!this.failing)
        this.logger.warn(
          `Temporal at ${this.config.temporal.address} is unreachable (${(err as Error).message}); retrying in the background`,
        );
      this.failing = true;
      this.retryTimer = setTimeout(() => void this.connect(), RECONNECT_MS);
      this.retryTimer.unref();
    }
  }

  /** Runs `fn` against the client under a deadline (every gRPC call inside it inherits the deadline). */
  async call<T>(timeoutMs: number, fn: (client: Client) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!client || this.closed)
      throw new TemporalUnavailableError(`not connected to Temporal at ${this.config.temporal.address}`);
    const running = client.withDeadline(Date.now() + timeoutMs, () => fn(client));
    this.inflight.add(running);
    try {
      return await running;
    } finally {
      this.inflight.delete(running);
    }
  }

  /** One cheap round trip to the frontend. */
  async ping(timeoutMs: number): Promise<void> {
    await this.call(timeoutMs, (client) => client.connection.workflowService.getSystemInfo({}));
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await Promise.allSettled([...this.inflight]);
    await this.connection?.close().catch(() => undefined);
  }
}

export const TEMPORAL_PROVIDER: Provider = {
  provide: TemporalService,
  useFactory: (config: ApiConfig): Promise<TemporalService> => TemporalService.create(config),
  inject: [API_CONFIG],
};
