import { type Pool } from 'pg';

export class SettingsRepository {
  constructor(private readonly pool: Pool) {}

  async get<T>(key: string): Promise<T | undefined> {
    const { rows } = await this.pool.query<{ value: T }>('SELECT value FROM settings WHERE key = $1', [key]);
    return rows[0]?.value;
  }

  async set(key: string, value: unknown, by: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO settings (key, value, updated_by, updated_at) VALUES ($1, $2, $3, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [key, JSON.stringify(value), by],
    );
  }
}
