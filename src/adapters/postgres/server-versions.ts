import type { ServerVersions } from '../../domain/preflight/app-versions.js';
import type { Queryable } from '../../ports/database-server.js';

/**
 * What a refresh's preflight judges of two servers (domain/preflight/app-versions.ts): their
 * PostgreSQL majors, the source database's extensions with their versions, and the versions
 * of those extensions the target server can install (pg_available_extension_versions lists
 * every version reachable from an install script, so a newer package still offers the old
 * versions it can update from). Catalog reads only, the same on PostgreSQL 13 to 18.
 */
export async function readServerVersions(source: Queryable, target: Queryable, targetName: string): Promise<ServerVersions> {
  const extensions = (
    await source.query<{ name: string; version: string }>('select extname as name, extversion as version from pg_catalog.pg_extension order by 1')
  ).rows;
  const offered = await target.query<{ name: string; versions: string[] }>(
    `select n as name, coalesce(array_agg(v.version::text order by v.version) filter (where v.version is not null), '{}'::text[]) as versions
       from unnest($1::text[]) n left join pg_catalog.pg_available_extension_versions v on v.name = n
      group by n`,
    [extensions.map((e) => e.name)],
  );
  const versions = new Map(offered.rows.map((r) => [r.name, r.versions]));
  return {
    sourceMajor: await serverMajor(source),
    targetMajor: await serverMajor(target),
    extensions: extensions.map((e) => ({ name: e.name, version: e.version, targetVersions: versions.get(e.name) ?? [] })),
    targetName,
  };
}

/**
 * The one value of a profile's schemaVersion query (its first row's first column, as text;
 * null for no row or a null), run in a read-only transaction so a query cannot change the
 * application's data.
 */
export async function readSchemaVersion(session: Queryable, query: string): Promise<string | null> {
  await session.query('begin transaction read only');
  try {
    const row = (await session.query(query)).rows[0];
    const value = row === undefined ? undefined : Object.values(row)[0];
    if (value === undefined || value === null) return null;
    return value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  } finally {
    await session.query('rollback').catch(() => {});
  }
}

async function serverMajor(client: Queryable): Promise<number> {
  const row = (await client.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0]!;
  return Math.floor(Number(row.v) / 10000);
}
