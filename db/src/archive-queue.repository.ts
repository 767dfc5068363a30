import { type Pool } from 'pg';

export interface ArchiveQueueEntry {
  readonly workflowId: string;
  readonly runId: string;
  readonly kind: string;
  readonly summary: Record<string, unknown>;
  readonly attempts: number;
}

export class ArchiveQueueRepository {
  constructor(private readonly pool: Pool) {}

  async enqueue(e: Omit<ArchiveQueueEntry, 'attempts'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO archive_queue (workflow_id, run_id, kind, summary) VALUES ($1, $2, $3, $4)
       ON CONFLICT (workflow_id, run_id) DO NOTHING`,
      [e.workflowId, e.runId, e.kind, JSON.stringify(e.summary)],
    );
  }

  /** Entries due now; Oldest first; a row is only deleted once its history is stored. */
  async due(limit: number): Promise<ArchiveQueueEntry[]> {
    const { rows } = await this.pool.query(
      `SELECT workflow_id, run_id, kind, summary, attempts FROM archive_queue
        WHERE next_try_at <= now() ORDER BY next_try_at LIMIT $1`,
      [limit],
    );
    return rows.map((r: Record<string, unknown>) => ({
      workflowId: r['workflow_id'] as string,
      runId: r['run_id'] as string,
      kind: r['kind'] as string,
      summary: r['summary'] as Record<string, unknown>,
      attempts: r['attempts'] as number,
    }));
  }

  async done(workflowId: string, runId: string): Promise<void> {
    await this.pool.query('DELETE FROM archive_queue WHERE workflow_id = $1 AND run_id = $2', [workflowId, runId]);
  }

  async retryLater(workflowId: string, runId: string, delayMs: number, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE archive_queue SET attempts = attempts + 1, next_try_at = now() + ($3::text || ' milliseconds')::interval,
              last_error = $4 WHERE workflow_id = $1 AND run_id = $2`,
      [workflowId, runId, String(Math.max(0, Math.round(delayMs))), error.slice(0, 500)],
    );
  }
}
