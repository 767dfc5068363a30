import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { createPool, migrate } from '@jarvis/db';
import { type Pool } from 'pg';
import { API_CONFIG, type ApiConfig } from '../api-config';

/** The API's Postgres pool. Repositories are built over it (see database.providers.ts). */
@Injectable()
export class DatabaseService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  readonly pool: Pool;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.pool = createPool(config.databaseUrl, { application_name: 'jarvis-api' });
  }

  /**
   * Migrations are idempotent and serialised by an advisory lock, so the API applies them too
   * and never reads a table the worker has not created yet. An unreachable database is not
   * fatal (health reports it and the API recovers when it returns); a broken migration is.
   */
  async onModuleInit(): Promise<void> {
    try {
      await migrate(this.pool);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && /^(ECONN|ENOTFOUND|ETIMEDOUT|08|57P|3D000)/.test(code)) {
        this.logger.warn(`database unreachable at start-up (${code}); continuing without migrations`);
        return;
      }
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
