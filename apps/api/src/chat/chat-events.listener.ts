import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { Subject, type Observable } from 'rxjs';
import { CHAT_CHANNEL } from '@jarvis/db';
import { API_CONFIG, type ApiConfig } from '../api-config';

export interface ChatChannelEvent {
  readonly type: 'delta' | 'reset' | 'card' | 'stage' | 'message' | 'cost';
  readonly sessionId: string;
  readonly workflowId: string;
  readonly [key: string]: unknown;
}

const TYPES: ReadonlySet<string> = new Set(['delta', 'reset', 'card', 'stage', 'message', 'cost']);

export function parseChatEvent(payload: string | undefined): ChatChannelEvent | undefined {
  try {
    const v = JSON.parse(payload ?? '') as Record<string, unknown>;
    return typeof v === 'object' &&
      v !== null &&
      typeof v['type'] === 'string' &&
      TYPES.has(v['type']) &&
      typeof v['sessionId'] === 'string' &&
      typeof v['workflowId'] === 'string'
      ? (v as unknown as ChatChannelEvent)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * LISTEN on the chat channel, on its own connection (as EventsListener does for projections):
 * token deltas are many and small, and must not queue behind projection events.
 */
@Injectable()
export class ChatEventsListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ChatEvents');
  private readonly subject = new Subject<ChatChannelEvent>();
  private client?: Client;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;

  constructor(@Inject(API_CONFIG) private readonly config: ApiConfig) {}

  get events(): Observable<ChatChannelEvent> {
    return this.subject.asObservable();
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
      application_name: `jarvis-api-chat:${process.pid}`,
    });
    let gone = false;
    const lost = (reason: string): void => {
      if (gone) return;
      gone = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (this.stopped || this.retryTimer) return;
      if (this.failures === 0) this.logger.warn(`chat listener lost (${reason}); reconnecting`);
      const delay = Math.min(10_000, 250 * 2 ** Math.min(this.failures++, 6));
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.connect();
      }, delay);
      this.retryTimer.unref();
    };
    client.on('error', (err) => lost(err.message));
    try {
      await client.connect();
      client.on('notification', (msg) => {
        if (msg.channel !== CHAT_CHANNEL) return;
        const event = parseChatEvent(msg.payload);
        if (event) this.subject.next(event);
      });
      client.on('end', () => lost('connection ended'));
      await client.query(`LISTEN ${CHAT_CHANNEL}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      this.failures = 0;
    } catch (err) {
      lost((err as Error).message);
    }
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
