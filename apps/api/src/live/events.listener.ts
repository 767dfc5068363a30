import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { Subject, type Observable } from 'rxjs';
import { EVENTS_CHANNEL, type JarvisEvent } from '@jarvis/db';
import { API_CONFIG, type ApiConfig } from '../api-config';

const TYPES: ReadonlySet<string> = new Set(['approval', 'step', 'archived', 'incident']);
const MAX_BACKOFF_MS = 10_000;
export const LISTENER_APPLICATION_NAME = 'jarvis-api-events';

function parseEvent(payload: string | undefined): JarvisEvent | undefined {
  try {
    const value = JSON.parse(payload ?? '') as { type?: unknown; workflowId?: unknown };
    return typeof value === 'object' &&
      value !== null &&
      typeof value.type === 'string' &&
      TYPES.has(value.type) &&
      typeof value.workflowId === 'string'
      ? (value as JarvisEvent)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Postgres LISTEN on the projection channel, on a dedicated connection: a pooled client would
 * be handed back and lose its LISTEN. If the connection drops it is re-established with
 * backoff; events sent while it was down are lost, which is why clients re-read on reconnect.
 */
@Injectable()
export class EventsListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Events');
  private readonly subject = new Subject<JarvisEvent>();
  private client?: Client;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  get events(): Observable<JarvisEvent> {
    return this.subject.asObservable();
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  onModuleInit(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.config.databaseUrl,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      // Named, so an operator (or a test) can tell this long-lived connection from the pool's.
      application_name: `${LISTENER_APPLICATION_NAME}:${process.pid}`,
    });
    let gone = false;
    const lost = (reason: string): void => {
      // 'error' and 'end' both fire for one failure; only the first may schedule a reconnect.
      if (gone) return;
      gone = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      this.scheduleReconnect(reason);
    };
    // Attached before connecting: an unhandled 'error' on a pg Client would crash the process.
    client.on('error', (err) => lost(err.message));
    try {
      await client.connect();
      client.on('notification', (msg) => {
        if (msg.channel !== EVENTS_CHANNEL) return;
        const event = parseEvent(msg.payload);
        if (event) this.subject.next(event);
      });
      client.on('end', () => lost('connection ended'));
      await client.query(`LISTEN ${EVENTS_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      if (this.failures > 0) this.logger.log('listening again');
      this.failures = 0;
    } catch (err) {
      lost((err as Error).message);
    }
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 6));
    if (this.failures === 0) this.logger.warn(`event listener lost (${reason}); reconnecting`);
    this.failures++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    this.subject.complete();
    if (client) {
      client.removeAllListeners('end');
      client.removeAllListeners('notification');
      await client.end().catch(() => undefined);
    }
  }
}
