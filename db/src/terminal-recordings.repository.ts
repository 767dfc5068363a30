import { type Pool } from 'pg';

/** One terminal session's recording, without its cast. */
export interface TerminalRecordingRow {
  readonly id: string;
  readonly operator: string;
  readonly node: string;
  readonly cols: number;
  readonly rows: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly endReason: string | null;
  readonly bytes: number;
  readonly truncated: boolean;
}

export interface TerminalRecordingStart extends Pick<
  TerminalRecordingRow,
  'id' | 'operator' | 'node' | 'cols' | 'rows' | 'startedAt'
> {
  /** The asciicast header line, stored as chunk 0. */
  readonly header: string;
}

export interface TerminalRecordingQuery {
  readonly node?: string;
  readonly operator?: string;
  /** Plain text to find in the echoed input or the output of a session (case-insensitive). */
  readonly q?: string;
  readonly limit?: number;
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

interface Row {
  session_id: string;
  operator: string;
  node: string;
  cols: number;
  rows: number;
  started_at: Date;
  ended_at: Date | null;
  end_reason: string | null;
  bytes: string;
  truncated: boolean;
}

const toRow = (r: Row): TerminalRecordingRow => ({
  id: r.session_id,
  operator: r.operator,
  node: r.node,
  cols: r.cols,
  rows: r.rows,
  startedAt: r.started_at.toISOString(),
  endedAt: r.ended_at?.toISOString() ?? null,
  endReason: r.end_reason,
  bytes: Number(r.bytes),
  truncated: r.truncated,
});

/** The terminal recordings of migration 007: a session row and its cast appended in chunks. */
export class TerminalRecordingsRepository {
  constructor(private readonly pool: Pool) {}

  async start(s: TerminalRecordingStart): Promise<void> {
    await this.pool.query(
      `WITH rec AS (
         INSERT INTO terminal_recordings (session_id, operator, node, cols, rows, started_at, bytes)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING session_id)
       INSERT INTO terminal_recording_chunks (session_id, seq, data) SELECT session_id, 0, $8 FROM rec`,
      [s.id, s.operator, s.node, s.cols, s.rows, s.startedAt, Buffer.byteLength(s.header), s.header],
    );
  }

  /** Appends chunk `seq` (idempotent on it) and adds its bytes to the session's size. */
  async append(
    id: string,
    seq: number,
    data: string,
    searchText: string,
    opts: { truncated?: boolean } = {},
  ): Promise<void> {
    await this.pool.query(
      `WITH added AS (
         INSERT INTO terminal_recording_chunks (session_id, seq, data, search_text) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING session_id)
       UPDATE terminal_recordings SET bytes = bytes + $5, truncated = truncated OR $6
        WHERE session_id = $1 AND EXISTS (SELECT 1 FROM added)`,
      [id, seq, data, searchText, Buffer.byteLength(data), opts.truncated === true],
    );
  }

  async end(id: string, endedAt: string, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE terminal_recordings SET ended_at = $2, end_reason = $3 WHERE session_id = $1 AND ended_at IS NULL`,
      [id, endedAt, reason],
    );
  }

  /** Newest first; `q` matches sessions whose echoed input or output contains it. */
  async list(query: TerminalRecordingQuery = {}): Promise<TerminalRecordingRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT session_id, operator, node, cols, rows, started_at, ended_at, end_reason, bytes, truncated
         FROM terminal_recordings r
        WHERE ($1::text IS NULL OR node = $1)
          AND ($2::text IS NULL OR operator = $2)
          -- Over the session's whole text, so a command split across two flushes is still found.
          AND ($3::text IS NULL OR (
                SELECT string_agg(c.search_text, '' ORDER BY c.seq) FROM terminal_recording_chunks c
                 WHERE c.session_id = r.session_id) ILIKE '%' || $3 || '%')
        ORDER BY started_at DESC, session_id DESC
        LIMIT $4`,
      [query.node ?? null, query.operator ?? null, query.q ? escapeLike(query.q) : null, query.limit ?? 100],
    );
    return rows.map(toRow);
  }

  async get(id: string): Promise<TerminalRecordingRow | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT session_id, operator, node, cols, rows, started_at, ended_at, end_reason, bytes, truncated
         FROM terminal_recordings WHERE session_id = $1`,
      [id],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** The whole cast: the header line, then every event line, in order. */
  async cast(id: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ data: string }>(
      `SELECT data FROM terminal_recording_chunks WHERE session_id = $1 ORDER BY seq`,
      [id],
    );
    return rows.length === 0 ? undefined : rows.map((r) => r.data).join('');
  }
}
