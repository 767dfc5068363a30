import { type Pool } from 'pg';
import { EVENTS_CHANNEL } from './events';

export interface AuditEventInput {
  readonly workflowId: string;
  /** Temporal's activity ID (stable across retries) or another caller-chosen idempotency key. */
  readonly activityId: string;
  readonly kind: string;
  readonly title: string;
  readonly actor?: string;
  readonly node?: string;
  readonly vmid?: number;
  readonly detail?: Record<string, unknown>;
  readonly at: string;
}

export interface AuditEventRow extends AuditEventInput {
  readonly id: number;
}

export class AuditRepository {
  constructor(private readonly pool: Pool) {}

  /** Idempotent: a second write with the same (workflowId, activityId) changes nothing. Returns whether it was new. */
  async record(e: AuditEventInput): Promise<boolean> {
    return (await this.recordMany([e])) > 0;
  }

  /**
   * Several events in one statement (so one round trip and one implicit transaction), each
   * idempotent on its key; only rows that were new are announced on the events channel.
   * Returns how many were new.
   */
  async recordMany(events: readonly AuditEventInput[]): Promise<number> {
    if (events.length === 0) return 0;
    const rows = events.map((e) => ({
      workflow_id: e.workflowId,
      activity_id: e.activityId,
      kind: e.kind,
      title: e.title,
      actor: e.actor ?? null,
      node: e.node ?? null,
      vmid: e.vmid ?? null,
      detail: e.detail ?? {},
      at: e.at,
    }));
    const { rowCount } = await this.pool.query(
      `WITH added AS (
         INSERT INTO audit_events (workflow_id, activity_id, kind, title, actor, node, vmid, detail, at)
         SELECT workflow_id, activity_id, kind, title, actor, node, vmid, detail, at
           FROM jsonb_to_recordset($1::jsonb) AS r(workflow_id text, activity_id text, kind text, title text,
                actor text, node text, vmid integer, detail jsonb, at timestamptz)
         ON CONFLICT ON CONSTRAINT audit_events_idempotency DO NOTHING
         RETURNING workflow_id, kind, title, at)
       SELECT pg_notify($2, json_build_object('type', 'step', 'workflowId', workflow_id, 'kind', kind,
                'title', left(title, 2000), 'at', to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text)
         FROM added`,
      [JSON.stringify(rows), EVENTS_CHANNEL],
    );
    return rowCount ?? 0;
  }

  async forWorkflow(workflowId: string): Promise<AuditEventRow[]> {
    const { rows } = await this.pool.query(
      `SELECT id, workflow_id, activity_id, kind, title, actor, node, vmid, detail, at
         FROM audit_events WHERE workflow_id = $1 ORDER BY at, id`,
      [workflowId],
    );
    return rows.map(toAuditRow);
  }

  async recent(limit: number, before?: string): Promise<AuditEventRow[]> {
    const { rows } = await this.pool.query(
      `SELECT id, workflow_id, activity_id, kind, title, actor, node, vmid, detail, at
         FROM audit_events WHERE ($2::timestamptz IS NULL OR at < $2) ORDER BY at DESC, id DESC LIMIT $1`,
      [limit, before ?? null],
    );
    return rows.map(toAuditRow);
  }
}

function toAuditRow(r: Record<string, unknown>): AuditEventRow {
  return {
    id: Number(r['id']),
    workflowId: r['workflow_id'] as string,
    activityId: r['activity_id'] as string,
    kind: r['kind'] as string,
    title: r['title'] as string,
    ...(r['actor'] ? { actor: r['actor'] as string } : {}),
    ...(r['node'] ? { node: r['node'] as string } : {}),
    ...(r['vmid'] !== null ? { vmid: r['vmid'] as number } : {}),
    detail: r['detail'] as Record<string, unknown>,
    at: (r['at'] as Date).toISOString(),
  };
}
