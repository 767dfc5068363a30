import { type Pool } from 'pg';
import { encodeEvent, EVENTS_CHANNEL } from './events';

export type IncidentState = 'open' | 'resolved' | 'escalated';

export interface IncidentView {
  readonly id: string;
  readonly incidentKey: string;
  readonly workflowId: string;
  readonly version: number;
  readonly class: string;
  readonly severity: string;
  readonly subject: {
    readonly node: string;
    readonly vmid?: number;
    readonly storage?: string;
    readonly service?: string;
  };
  readonly state: IncidentState;
  readonly outcome?: string;
  readonly evidence: Record<string, unknown>;
  readonly attempts: number;
  readonly detectedAt: string;
  readonly resolvedAt?: string;
}

export class IncidentsRepository {
  constructor(private readonly pool: Pool) {}

  /** Idempotent and ordered by `version`: an older snapshot never replaces a newer one. */
  async upsert(v: IncidentView): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO incidents (id, incident_key, workflow_id, version, class, severity, node, vmid, subject, state,
                              outcome, evidence, attempts, detected_at, resolved_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, now())
       ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, state = EXCLUDED.state, outcome = EXCLUDED.outcome,
              evidence = EXCLUDED.evidence, attempts = EXCLUDED.attempts, resolved_at = EXCLUDED.resolved_at,
              updated_at = now()
        WHERE incidents.version < EXCLUDED.version`,
      [
        v.id,
        v.incidentKey,
        v.workflowId,
        v.version,
        v.class,
        v.severity,
        v.subject.node,
        v.subject.vmid ?? null,
        JSON.stringify(v.subject),
        v.state,
        v.outcome ?? null,
        JSON.stringify(v.evidence),
        v.attempts,
        v.detectedAt,
        v.resolvedAt ?? null,
      ],
    );
    if (rowCount) {
      await this.pool.query('SELECT pg_notify($1, $2)', [
        EVENTS_CHANNEL,
        encodeEvent({ type: 'incident', id: v.id, workflowId: v.workflowId, state: v.state }),
      ]);
    }
    return Boolean(rowCount);
  }

  async list(f: { state?: IncidentState; limit?: number } = {}): Promise<IncidentView[]> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `SELECT * FROM incidents WHERE ($1::text IS NULL OR state = $1)
        ORDER BY detected_at DESC, id LIMIT $2`,
      [f.state ?? null, Math.min(Math.max(f.limit ?? 100, 1), 500)],
    );
    return rows.map(toView);
  }

  async get(id: string): Promise<IncidentView | undefined> {
    const { rows } = await this.pool.query<Record<string, unknown>>('SELECT * FROM incidents WHERE id = $1', [id]);
    return rows[0] ? toView(rows[0]) : undefined;
  }
}

const iso = (v: unknown): string | undefined => (v instanceof Date ? v.toISOString() : undefined);

function toView(r: Record<string, unknown>): IncidentView {
  const resolvedAt = iso(r['resolved_at']);
  return {
    id: r['id'] as string,
    incidentKey: r['incident_key'] as string,
    workflowId: r['workflow_id'] as string,
    version: Number(r['version']),
    class: r['class'] as string,
    severity: r['severity'] as string,
    subject: r['subject'] as IncidentView['subject'],
    state: r['state'] as IncidentState,
    ...(r['outcome'] ? { outcome: r['outcome'] as string } : {}),
    evidence: (r['evidence'] as Record<string, unknown> | null) ?? {},
    attempts: Number(r['attempts']),
    detectedAt: iso(r['detected_at']) ?? '',
    ...(resolvedAt ? { resolvedAt } : {}),
  };
}
