import { type Pool } from 'pg';
import { SettingsRepository } from './settings.repository';

/**
 * A stored document, as raw JSON: callers read it with `parsePolicyDocument` from @jarvis/policies
 * (this package has no dependency on it), which drops anything it does not trust.
 */
export type StoredPolicyDocument = Readonly<Record<string, unknown>>;

export interface PolicyVersion {
  readonly cluster: string;
  /** 0: nothing stored yet (the document then comes from the settings an older Jarvis kept). */
  readonly version: number;
  readonly document: StoredPolicyDocument;
  readonly changedBy: string;
  readonly change: string;
  readonly changedAt: string;
}

interface Row {
  cluster: string;
  version: number;
  document: unknown;
  changed_by: string;
  change: string;
  changed_at: Date;
}

const toVersion = (r: Row): PolicyVersion => ({
  cluster: r.cluster,
  version: r.version,
  document: asDocument(r.document),
  changedBy: r.changed_by,
  change: r.change,
  changedAt: r.changed_at.toISOString(),
});

/**
 * The versioned policy store, per cluster. Writes append a version only when the document
 * changes, under a per-cluster transaction lock, so concurrent writers (the API and the worker at
 * boot, two operators) never lose each other's change.
 */
export class PolicyStoreRepository {
  constructor(private readonly pool: Pool) {}

  async current(cluster: string): Promise<PolicyVersion> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM policy_versions WHERE cluster = $1 ORDER BY version DESC LIMIT 1',
      [cluster],
    );
    if (rows[0]) return toVersion(rows[0]);
    return {
      cluster,
      version: 0,
      document: await this.legacy(),
      changedBy: 'jarvis',
      change: 'initial',
      changedAt: new Date(0).toISOString(),
    };
  }

  async history(cluster: string, limit = 50): Promise<PolicyVersion[]> {
    const { rows } = await this.pool.query<Row>(
      'SELECT * FROM policy_versions WHERE cluster = $1 ORDER BY version DESC LIMIT $2',
      [cluster, Math.max(1, Math.min(500, limit))],
    );
    return rows.map(toVersion);
  }

  /**
   * Applies `patch` to the newest document; appends a version (and returns it) only if that
   * changes anything. `change` says what, for the history.
   */
  async update(
    cluster: string,
    patch: (current: StoredPolicyDocument) => StoredPolicyDocument,
    changedBy: string,
    change: string,
  ): Promise<PolicyVersion> {
    // Most calls change nothing (each request re-asserts the two-person rule, each start the
    // protected set): one plain read answers them, and only a change takes the lock.
    const seen = await this.current(cluster);
    if (seen.version > 0 && canonical(patch(seen.document)) === canonical(seen.document)) return seen;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('jarvis-policy:' || $1))", [cluster]);
      const { rows } = await client.query<Row>(
        'SELECT * FROM policy_versions WHERE cluster = $1 ORDER BY version DESC LIMIT 1',
        [cluster],
      );
      const latest = rows[0] ? toVersion(rows[0]) : undefined;
      const before = latest?.document ?? (await this.legacy());
      const next = patch(before);
      if (latest && canonical(next) === canonical(before)) {
        await client.query('COMMIT');
        return latest;
      }
      const inserted = await client.query<Row>(
        `INSERT INTO policy_versions (cluster, version, document, changed_by, change)
         VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [cluster, (latest?.version ?? 0) + 1, JSON.stringify(next), changedBy.slice(0, 200), change.slice(0, 500)],
      );
      await client.query('COMMIT');
      return toVersion(inserted.rows[0]!);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** What an older Jarvis kept in `settings` (tier overrides, autonomy): the first version starts from it. */
  private async legacy(): Promise<StoredPolicyDocument> {
    const settings = new SettingsRepository(this.pool);
    const ks = await settings.get<Record<string, unknown>>('kill_switch');
    return {
      tierOverrides: (await settings.get('tier_overrides')) ?? {},
      autonomy: (await settings.get('autonomy')) ?? {},
      ...(ks ? { killSwitch: { engaged: ks['engaged'] === true, by: ks['updatedBy'], at: ks['updatedAt'] } } : {}),
    };
  }
}

const asDocument = (v: unknown): StoredPolicyDocument =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as StoredPolicyDocument) : {};

/** A document's identity for "did it change": keys sorted at every level. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}
