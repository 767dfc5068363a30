import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { type Observable } from 'rxjs';
import { EVENTS_CHANNEL, type JarvisEvent } from '@jarvis/db';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { PgChannelListener } from '../infra/pg-channel-listener';

const TYPES: ReadonlySet<string> = new Set(['approval', 'step', 'archived', 'incident']);
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

/** LISTEN on the projection channel: approvals, steps, archive notices and incidents. */
@Injectable()
export class EventsListener implements OnModuleInit, OnApplicationShutdown {
  private readonly listener: PgChannelListener<JarvisEvent>;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.listener = new PgChannelListener({
      databaseUrl: config.databaseUrl,
      channel: EVENTS_CHANNEL,
      applicationName: LISTENER_APPLICATION_NAME,
      parse: parseEvent,
      logger: new Logger('Events'),
      what: 'event',
    });
  }

  get events(): Observable<JarvisEvent> {
    return this.listener.events;
  }

  get connected(): boolean {
    return this.listener.connected;
  }

  onModuleInit(): void {
    this.listener.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.listener.stop();
  }
}
