import { type Logger } from '@nestjs/common';
import { Client } from 'pg';
import { Subject, type Observable } from 'rxjs';

const MAX_BACKOFF_MS = 10_000;

export interface PgChannelListenerOptions<T> {
  readonly databaseUrl: string;
  /** A fixed identifier (never user input): it is spliced into `LISTEN`. */
  readonly channel: string;
  /** Names the connection in pg_stat_activity, so an operator (or a test) can tell it from the pool's. */
  readonly applicationName: string;
  /** Turns a payload into an event, or undefined for anything malformed (it is dropped). */
  readonly parse: (payload: string | undefined) => T | undefined;
  readonly logger: Logger;
  readonly what: string;
}

/**
 * Postgres LISTEN on one channel, on a dedicated connection: a pooled client would be handed back
 * and lose its LISTEN. If the connection drops it is re-established with backoff; events sent
 * while it was down are lost, which is why clients re-read on reconnect.
 */
export class PgChannelListener<T> {
  private readonly subject = new Subject<T>();
  private client?: Client;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;

  constructor(private readonly o: PgChannelListenerOptions<T>) {
    if (!/^[a-z_][a-z0-9_]*$/.test(o.channel)) throw new Error(`not a channel name: ${o.channel}`);
  }

  get events(): Observable<T> {
    return this.subject.asObservable();
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({
      connectionString: this.o.databaseUrl,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      application_name: `${this.o.applicationName}:${process.pid}`,
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
        if (msg.channel !== this.o.channel) return;
        const event = this.o.parse(msg.payload);
        if (event !== undefined) this.subject.next(event);
      });
      client.on('end', () => lost('connection ended'));
      await client.query(`LISTEN ${this.o.channel}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      if (this.failures > 0) this.o.logger.log(`${this.o.what} listening again`);
      this.failures = 0;
    } catch (err) {
      lost((err as Error).message);
    }
  }

  private scheduleReconnect(reason: string): void {
    if (this.stopped || this.retryTimer) return;
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.failures, 6));
    if (this.failures === 0) this.o.logger.warn(`${this.o.what} listener lost (${reason}); reconnecting`);
    this.failures++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }

  async stop(): Promise<void> {
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
