import { Client, escapeIdentifier, escapeLiteral } from 'pg';

/** The login role Jarvis's worker and API use where the demo creates the database. */
export const APP_ROLE = 'jarvis_app';

export interface AppRoleOptions {
  /** Role name (letters, digits, underscores; default `jarvis_app`). */
  readonly role?: string;
  readonly password: string;
  /** Schema holding Jarvis's tables (default `public`). */
  readonly schema?: string;
}

export interface AppRole {
  readonly role: string;
  /** The admin URL with the app role's name and password: what the worker and the API connect with. */
  readonly url: string;
}

/** The admin URL's user cannot create roles (neither superuser nor CREATEROLE). */
export class AppRoleNotPermittedError extends Error {
  override readonly name = 'AppRoleNotPermittedError';
}

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Jarvis's own least-privilege login role, set up through the admin connection that created the
 * database and applied the migrations (run it after `migrate`). The role may read and write the
 * rows of Jarvis's tables and use their sequences, and nothing more: it is not superuser, owns
 * nothing, cannot create tables or schemas, and `schema_migrations` is read-only to it (so the
 * runtime's `migrate()` call sees "up to date" and leaves DDL to the owner). Default privileges
 * cover the tables later migrations create, when the same admin applies them.
 *
 * Idempotent: on a database from an older demo (tables there, role missing) it creates the role;
 * on later starts it resets the password to the given one and re-asserts the attributes, so a
 * role someone widened by hand is narrowed again.
 */
export async function ensureAppRole(adminUrl: string, options: AppRoleOptions): Promise<AppRole> {
  const role = options.role ?? APP_ROLE;
  const schema = options.schema ?? 'public';
  if (!NAME.test(role)) throw new Error(`role name "${role}" must be lower-case letters, digits and underscores`);
  if (!NAME.test(schema)) throw new Error(`schema name "${schema}" must be lower-case letters, digits and underscores`);
  if (options.password.length < 16) throw new Error('the app role password must be at least 16 characters');

  const admin = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  try {
    const me = await admin.query<{ name: string; db: string; allowed: boolean }>(
      `SELECT current_user AS name, current_database() AS db, (rolsuper OR rolcreaterole) AS allowed
         FROM pg_roles WHERE rolname = current_user`,
    );
    const { name: owner, db, allowed } = me.rows[0]!;
    if (!allowed) throw new AppRoleNotPermittedError(`${owner} may not create roles (needs SUPERUSER or CREATEROLE)`);
    if (owner === role) throw new Error(`the admin connection is already the app role "${role}"`);

    const r = escapeIdentifier(role);
    const attributes = `LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT PASSWORD ${escapeLiteral(options.password)}`;
    const exists = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (!exists.rowCount) {
      await admin.query(`CREATE ROLE ${r} ${attributes}`).catch((err: { code?: string }) => {
        if (err.code !== '42710') throw err; // created concurrently: the ALTER below settles it
      });
    }
    await admin.query(`ALTER ROLE ${r} ${attributes}`);

    const s = escapeIdentifier(schema);
    const d = escapeIdentifier(db);
    const o = escapeIdentifier(owner);
    await admin.query('BEGIN');
    try {
      for (const sql of [
        // Only Jarvis's roles get in; PUBLIC's default CREATE on `public` (before Postgres 15) and
        // TEMP on the database go, so the app role can make no objects of its own anywhere.
        `REVOKE CREATE ON SCHEMA ${s} FROM PUBLIC`,
        `REVOKE TEMPORARY ON DATABASE ${d} FROM PUBLIC`,
        `REVOKE ALL ON SCHEMA ${s} FROM ${r}`,
        `GRANT CONNECT ON DATABASE ${d} TO ${r}`,
        `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
        `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${o} IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${r}`,
      ])
        await admin.query(sql);
      const migrations = await admin.query('SELECT to_regclass($1) AS t', [`${schema}.schema_migrations`]);
      if ((migrations.rows[0] as { t: string | null }).t)
        await admin.query(`REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ${s}.schema_migrations FROM ${r}`);
      await admin.query('COMMIT');
    } catch (err) {
      await admin.query('ROLLBACK').catch(() => undefined);
      throw err;
    }

    const url = new URL(adminUrl);
    url.username = encodeURIComponent(role);
    url.password = encodeURIComponent(options.password);
    return { role, url: url.toString() };
  } finally {
    await admin.end();
  }
}
