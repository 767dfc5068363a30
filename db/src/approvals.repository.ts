import { type Pool } from 'pg';
import { encodeEvent, EVENTS_CHANNEL } from './events';

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface ApprovalDecisionView {
  readonly by: string;
  readonly at: string;
  readonly verdict: 'approve' | 'reject';
  readonly comment?: string;
}

/** One approval as the API lists it (CONTRACT.md, `GET /api/approvals`). */
export interface ApprovalView {
  readonly id: string;
  readonly workflowId: string;
  readonly version: number;
  readonly state: ApprovalState;
  readonly tier: 'YELLOW' | 'RED';
  readonly action: string;
  readonly target: { readonly node: string; readonly vmid?: number; readonly type?: string };
  readonly resourceName: string;
  readonly reason: string | null;
  readonly requestedBy: { readonly kind: string; readonly id: string };
  readonly requestedAt: string;
  readonly expiresAt: string;
  readonly fingerprint: string;
  readonly blastRadius: { readonly guests: readonly number[]; readonly nodes: readonly string[] };
  readonly twoPerson: boolean;
  readonly decisions: readonly ApprovalDecisionView[];
}

export class ApprovalsRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Write the workflow's latest snapshot of an approval. Idempotent and ordered: the row only
   * moves forward in `version`, so a retried or reordered older write is a no-op.
   */
  async upsert(a: ApprovalView): Promise<boolean> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const { rowCount } = await client.query(
        `INSERT INTO approvals (id, workflow_id, version, state, tier, action, target, resource_name, reason, requested_by,
                                requested_at, expires_at, fingerprint, blast_radius, two_person, decisions, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, now())
         ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state,
           decisions = EXCLUDED.decisions, expires_at = EXCLUDED.expires_at, updated_at = now()
         WHERE approvals.version < EXCLUDED.version`,
        [
          a.id,
          a.workflowId,
          a.version,
          a.state,
          a.tier,
          a.action,
          JSON.stringify(a.target),
          a.resourceName,
          a.reason,
          JSON.stringify(a.requestedBy),
          a.requestedAt,
          a.expiresAt,
          a.fingerprint,
          JSON.stringify(a.blastRadius),
          a.twoPerson,
          JSON.stringify(a.decisions),
        ],
      );
      if (rowCount) {
        await client.query('SELECT pg_notify($1, $2)', [
          EVENTS_CHANNEL,
          encodeEvent({ type: 'approval', id: a.id, workflowId: a.workflowId, state: a.state }),
        ]);
      }
      await client.query('COMMIT');
      return Boolean(rowCount);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async list(filter: { state?: 'pending' | 'decided'; limit?: number } = {}): Promise<ApprovalView[]> {
    const where =
      filter.state === 'pending'
        ? `WHERE state = 'pending'`
        : filter.state === 'decided'
          ? `WHERE state <> 'pending'`
          : '';
    const { rows } = await this.pool.query(`SELECT * FROM approvals ${where} ORDER BY requested_at DESC LIMIT $1`, [
      Math.min(filter.limit ?? 200, 1000),
    ]);
    return rows.map(toView);
  }

  async get(id: string): Promise<ApprovalView | undefined> {
    const { rows } = await this.pool.query('SELECT * FROM approvals WHERE id = $1', [id]);
    return rows[0] ? toView(rows[0] as Record<string, unknown>) : undefined;
  }

  async forWorkflow(workflowId: string): Promise<ApprovalView[]> {
    const { rows } = await this.pool.query('SELECT * FROM approvals WHERE workflow_id = $1 ORDER BY requested_at', [
      workflowId,
    ]);
    return rows.map(toView);
  }
}

function toView(r: Record<string, unknown>): ApprovalView {
  return {
    id: r['id'] as string,
    workflowId: r['workflow_id'] as string,
    version: r['version'] as number,
    state: r['state'] as ApprovalState,
    tier: r['tier'] as 'YELLOW' | 'RED',
    action: r['action'] as string,
    target: r['target'] as ApprovalView['target'],
    resourceName: r['resource_name'] as string,
    reason: (r['reason'] as string | null) ?? null,
    requestedBy: r['requested_by'] as ApprovalView['requestedBy'],
    requestedAt: (r['requested_at'] as Date).toISOString(),
    expiresAt: (r['expires_at'] as Date).toISOString(),
    fingerprint: r['fingerprint'] as string,
    blastRadius: r['blast_radius'] as ApprovalView['blastRadius'],
    twoPerson: r['two_person'] as boolean,
    decisions: r['decisions'] as ApprovalDecisionView[],
  };
}
