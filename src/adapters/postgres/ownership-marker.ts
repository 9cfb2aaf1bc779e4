import type { Queryable } from '../../ports/database-server.js';

/**
 * Databases and roles that dataalm creates carry a comment starting with this marker, so
 * dataalm only ever drops or reloads what is its own, even on a server others share.
 */
export const MARKER = 'dataalm:';

export async function databaseMarker(client: Queryable, database: string): Promise<string | null | undefined> {
  const result = await client.query<{ comment: string | null }>(
    `SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`,
    [database],
  );
  return result.rowCount === 0 ? undefined : result.rows[0]!.comment;
}

export async function roleMarker(client: Queryable, role: string): Promise<string | null | undefined> {
  const result = await client.query<{ comment: string | null }>(
    `SELECT shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = $1`,
    [role],
  );
  return result.rowCount === 0 ? undefined : result.rows[0]!.comment;
}

export function isOurs(comment: string | null | undefined): boolean {
  return typeof comment === 'string' && comment.startsWith(MARKER);
}

/** Marks a database; needs its owner or a superuser, so a refusal leaves it unmarked. */
export async function markDatabase(client: Queryable, database: string, text: string, quote: (s: string) => string): Promise<void> {
  try {
    await client.query(`COMMENT ON DATABASE ${quote(database)} IS '${(MARKER + ' ' + text).replace(/'/g, "''")}'`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
  }
}
