import { type Pool } from 'pg';

/** One operator login session as stored (migration 006); the refresh token itself is never stored. */
export interface OperatorSessionRow {
  readonly id: string;
  readonly operator: string;
  readonly authTime: Date;
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
  readonly refreshHash: Buffer;
}

export interface RevokedSession {
  readonly id: string;
  readonly operator: string;
}

export type SessionRevokeReason = 'logout' | 'logout-all' | 'refresh-reuse';

interface Row {
  id: string;
  operator: string;
  auth_time: Date;
  expires_at: Date;
  revoked_at: Date | null;
  refresh_hash: Buffer;
}

const toSession = (r: Row): OperatorSessionRow => ({
  id: r.id,
  operator: r.operator,
  authTime: r.auth_time,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
  refreshHash: r.refresh_hash,
});

export class SessionsRepository {
  constructor(private readonly pool: Pool) {}

  async create(s: {
    id: string;
    operator: string;
    authTime: Date;
    expiresAt: Date;
    refreshHash: Buffer;
  }): Promise<void> {
    await this.pool.query(
      `INSERT INTO operator_sessions (id, operator, auth_time, expires_at, refresh_hash) VALUES ($1, $2, $3, $4, $5)`,
      [s.id, s.operator, s.authTime, s.expiresAt, s.refreshHash],
    );
  }

  async get(id: string): Promise<OperatorSessionRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      'SELECT id, operator, auth_time, expires_at, revoked_at, refresh_hash FROM operator_sessions WHERE id = $1',
      [id],
    );
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  /**
   * Swaps the refresh hash only if it is still the one presented (compare-and-set), so two
   * refreshes racing with one token cannot both win. Moves the idle deadline forward, capped at
   * `maxExpiresAt`. Resolves to the new deadline, or undefined when the session changed meanwhile.
   */
  async rotate(
    id: string,
    presentedHash: Buffer,
    nextHash: Buffer,
    idleSeconds: number,
    maxExpiresAt: Date,
  ): Promise<Date | undefined> {
    const { rows } = await this.pool.query<{ expires_at: Date }>(
      `UPDATE operator_sessions
          SET refresh_hash = $3, last_refresh_at = now(),
              expires_at = LEAST(now() + make_interval(secs => $4), $5)
        WHERE id = $1 AND refresh_hash = $2 AND revoked_at IS NULL AND expires_at > now()
        RETURNING expires_at`,
      [id, presentedHash, nextHash, idleSeconds, maxExpiresAt],
    );
    return rows[0]?.expires_at;
  }

  /** Revokes one session; resolves to whether it was live. */
  async revoke(id: string, reason: SessionRevokeReason): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `UPDATE operator_sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL`,
      [id, reason],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Revokes every live session of one operator; resolves to their IDs. */
  async revokeAllOf(operator: string, reason: SessionRevokeReason): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `UPDATE operator_sessions SET revoked_at = now(), revoked_reason = $2
        WHERE operator = $1 AND revoked_at IS NULL RETURNING id`,
      [operator, reason],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Sessions revoked after `since`, and the database's clock now (for the next `since`, less an
   * overlap the caller chooses: a revoke whose transaction is still open is not visible yet).
   */
  async revokedSince(since: Date): Promise<{ sessions: RevokedSession[]; now: Date }> {
    const { rows } = await this.pool.query<{ now: Date; sessions: RevokedSession[] }>(
      `SELECT now() AS now,
              (SELECT coalesce(json_agg(json_build_object('id', id, 'operator', operator)), '[]'::json)
                 FROM operator_sessions WHERE revoked_at > $1) AS sessions`,
      [since],
    );
    return { sessions: rows[0]?.sessions ?? [], now: rows[0]?.now ?? new Date() };
  }

  /** The database's clock, so pollers never miss a row to skew between hosts. */
  async now(): Promise<Date> {
    const { rows } = await this.pool.query<{ now: Date }>('SELECT now() AS now');
    return rows[0]?.now ?? new Date();
  }
}
