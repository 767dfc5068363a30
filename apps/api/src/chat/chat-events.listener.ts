import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type Observable } from 'rxjs';
import { CHAT_CHANNEL } from '@jarvis/db';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { PgChannelListener } from '../infra/pg-channel-listener';

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
  private readonly listener: PgChannelListener<ChatChannelEvent>;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.listener = new PgChannelListener({
      databaseUrl: config.databaseUrl,
      channel: CHAT_CHANNEL,
      applicationName: 'jarvis-api-chat',
      parse: parseChatEvent,
      logger: new Logger('ChatEvents'),
      what: 'chat',
    });
  }

  get events(): Observable<ChatChannelEvent> {
    return this.listener.events;
  }

  onModuleInit(): void {
    this.listener.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.listener.stop();
  }
}
