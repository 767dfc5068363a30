import { type Pool } from 'pg';
import { encodeEvent, EVENTS_CHANNEL } from './events';

export interface ArchiveInput {
  readonly workflowId: string;
  readonly runId: string;
  readonly kind: string;
  readonly status: string;
  readonly outcome?: string;
  readonly node?: string;
  readonly vmid?: number;
  readonly action?: string;
  readonly requestedBy?: string;
  readonly startedAt?: string;
  readonly closedAt?: string;
  readonly summary?: Record<string, unknown>;
  /** The history in Temporal's JSON form (`historyToJSON`), replayable as is. */
  readonly history: unknown;
}

export type ArchiveSummary = Omit<ArchiveInput, 'history'> & {
  readonly archivedAt: string;
  /** A chat turn's message as the operator sent it (from the chat projection), to name the turn by. */
  readonly chatText?: string;
};

export interface ArchiveFilter {
  readonly node?: string;
  readonly vmid?: number;
  /** One workflow type. */
  readonly kind?: string;
  /** Workflow types left out (the API leaves chat turns out unless asked for by kind). */
  readonly excludeKinds?: readonly string[];
  readonly outcome?: string;
  /** A remediation's incident class (its archive summary's `incidentClass`). */
  readonly incidentClass?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
}

export class ArchiveRepository {
  constructor(private readonly pool: Pool) {}

  /** Idempotent on (workflowId, runId): archiving the same run twice keeps the first copy. */
  async store(a: ArchiveInput): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO workflow_archive (workflow_id, run_id, kind, status, outcome, node, vmid, action, requested_by,
                                     started_at, closed_at, summary, history)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (workflow_id, run_id) DO NOTHING`,
      [
        a.workflowId,
        a.runId,
        a.kind,
        a.status,
        a.outcome ?? null,
        a.node ?? null,
        a.vmid ?? null,
        a.action ?? null,
        a.requestedBy ?? null,
        a.startedAt ?? null,
        a.closedAt ?? null,
        JSON.stringify(a.summary ?? {}),
        JSON.stringify(a.history),
      ],
    );
    if (rowCount) {
      await this.pool.query('SELECT pg_notify($1, $2)', [
        EVENTS_CHANNEL,
        encodeEvent({ type: 'archived', workflowId: a.workflowId, outcome: a.outcome ?? null }),
      ]);
    }
    return Boolean(rowCount);
  }

  async list(f: ArchiveFilter = {}): Promise<{ items: ArchiveSummary[]; total: number }> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown): void => {
      params.push(value);
      conditions.push(sql.replace('?', `$${params.length}`));
    };
    if (f.node) add('a.node = ?', f.node);
    if (f.vmid !== undefined) add('a.vmid = ?', f.vmid);
    if (f.kind) add('a.kind = ?', f.kind);
    if (f.excludeKinds?.length) add('NOT (a.kind = ANY(?))', f.excludeKinds);
    if (f.outcome) add('a.outcome = ?', f.outcome);
    if (f.incidentClass) add("a.summary->>'incidentClass' = ?", f.incidentClass);
    if (f.from) add('a.closed_at >= ?', f.from);
    if (f.to) add('a.closed_at <= ?', f.to);
    const where = conditions.length ? `WHERE ${conditions.join(' AND ')}` : '';
    // One row per run (a remediation's incident key recurs as its workflow ID), newest first; the
    // run ID breaks ties so pages never reorder between requests.
    const { rows } = await this.pool.query(
      `SELECT a.workflow_id, a.run_id, a.kind, a.status, a.outcome, a.node, a.vmid, a.action, a.requested_by,
              a.started_at, a.closed_at, a.summary, a.archived_at, m.text AS chat_text, count(*) OVER () AS total
         FROM workflow_archive a
         LEFT JOIN LATERAL (
           SELECT text FROM chat_messages c WHERE c.workflow_id = a.workflow_id AND c.role = 'user' ORDER BY c.id LIMIT 1
         ) m ON true
         ${where}
        ORDER BY a.closed_at DESC NULLS LAST, a.started_at DESC NULLS LAST, a.run_id DESC
        LIMIT ${Math.min(Math.max(f.limit ?? 100, 1), 500)}`,
      params,
    );
    const first = rows[0] as Record<string, unknown> | undefined;
    return { items: rows.map(toSummary), total: first ? Number(first['total']) : 0 };
  }

  /** One archived run: `runId`'s, or the latest run of a workflow ID that has run more than once. */
  async history(
    workflowId: string,
    runId?: string,
  ): Promise<{ summary: ArchiveSummary; history: unknown } | undefined> {
    const { rows } = await this.pool.query(
      runId === undefined
        ? `SELECT * FROM workflow_archive WHERE workflow_id = $1 ORDER BY closed_at DESC NULLS LAST LIMIT 1`
        : `SELECT * FROM workflow_archive WHERE workflow_id = $1 AND run_id = $2`,
      runId === undefined ? [workflowId] : [workflowId, runId],
    );
    const row = rows[0] as Record<string, unknown> | undefined;
    return row ? { summary: toSummary(row), history: row['history'] } : undefined;
  }
}

const iso = (v: unknown): string | undefined => (v instanceof Date ? v.toISOString() : undefined);

function toSummary(r: Record<string, unknown>): ArchiveSummary {
  const opt = <T>(key: string, value: T | null | undefined): Record<string, T> =>
    value === null || value === undefined ? {} : { [key]: value };
  return {
    workflowId: r['workflow_id'] as string,
    runId: r['run_id'] as string,
    kind: r['kind'] as string,
    status: r['status'] as string,
    ...opt('outcome', r['outcome'] as string | null),
    ...opt('node', r['node'] as string | null),
    ...opt('vmid', r['vmid'] as number | null),
    ...opt('action', r['action'] as string | null),
    ...opt('requestedBy', r['requested_by'] as string | null),
    ...opt('startedAt', iso(r['started_at'])),
    ...opt('closedAt', iso(r['closed_at'])),
    summary: r['summary'] as Record<string, unknown>,
    archivedAt: iso(r['archived_at']) ?? '',
    ...opt('chatText', r['chat_text'] as string | null | undefined),
  };
}
