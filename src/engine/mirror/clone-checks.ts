import type pg from 'pg';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { connectCopySession } from '../copy-session.js';
import { CANONICAL_SETTINGS, checksum } from '../copy-verify.js';
import { quoteIdent } from '../mask-sql.js';
import type { TablePlan } from '../copy-plan.js';

/**
 * The clone against the paused mirror it was made from, every replicated table:
 * - by default, its files' sizes (main fork and TOAST), which a file copy keeps block for
 *   block, so a table missing or cut short shows without reading its rows;
 * - with checksums, its row count and content on both, read side by side.
 * Returns each table's rows (exact with checksums, the planner's estimate otherwise) and the
 * clone's size.
 */
export async function compareWithMirror(mirrorUrl: string, cloneUrl: string, tables: readonly string[], checksums: boolean): Promise<{ rows: Map<string, number>; bytes: number }> {
  if (!checksums) return compareSizes(mirrorUrl, cloneUrl, tables);
  const [mirror, clone] = await Promise.all([connectCopySession(mirrorUrl, 'verify'), connectCopySession(cloneUrl, 'verify')]);
  try {
    const names = await clone.query<{ name: string; qualified: string }>(
      `SELECT n.nspname || '.' || c.relname AS name, format('%I.%I', n.nspname, c.relname) AS qualified
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE (n.nspname || '.' || c.relname) = ANY ($1) AND c.relkind = 'r'`,
      [tables],
    );
    const rows = new Map<string, number>();
    const mismatches: string[] = [];
    const count = async (client: pg.ClientBase, table: string) => Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${table}`)).rows[0]!.n);
    for (const { name, qualified } of names.rows) {
      const [want, got] = await Promise.all([count(mirror, qualified), count(clone, qualified)]);
      rows.set(name, got);
      if (want !== got) mismatches.push(`${name}: ${got} rows, the mirror has ${want}`);
      else {
        const columns = await clone.query<{ c: string }>(
          `SELECT attname AS c FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum`,
          [qualified],
        );
        const list = columns.rows.map((r) => quoteIdent(r.c));
        const table = { qualifiedName: qualified, namesObjects: false };
        const [a, b] = await Promise.all([checksum(mirror, table, list), checksum(clone, table, list)]);
        if (a !== b) mismatches.push(`${name}: content differs from the mirror's`);
      }
    }
    if (names.rows.length !== tables.length) mismatches.push(`${tables.length - names.rows.length} replicated table(s) are missing in the clone`);
    if (mismatches.length > 0) throw new DataalmError('VERIFY_FAILED', `the clone differs from the paused mirror: ${mismatches.slice(0, 3).join('; ')}`);
    const size = await clone.query<{ bytes: string }>('SELECT pg_database_size(current_database())::int8 AS bytes');
    return { rows, bytes: Number(size.rows[0]!.bytes) };
  } finally {
    await Promise.all([mirror.end(), clone.end()].map((p) => p.catch(() => {})));
  }
}

const SIZES = `
  SELECT n.nspname || '.' || c.relname AS name, pg_relation_size(c.oid)::int8 AS main,
         coalesce(pg_relation_size(nullif(c.reltoastrelid, 0)), 0)::int8 AS toast, greatest(c.reltuples, 0)::int8 AS estimate
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE (n.nspname || '.' || c.relname) = ANY ($1) AND c.relkind = 'r'`;

async function compareSizes(mirrorUrl: string, cloneUrl: string, tables: readonly string[]): Promise<{ rows: Map<string, number>; bytes: number }> {
  const [mirror, clone] = await Promise.all([connectCopySession(mirrorUrl, 'verify'), connectCopySession(cloneUrl, 'verify')]);
  try {
    type Size = { name: string; main: string; toast: string; estimate: string };
    const [want, got] = await Promise.all([mirror.query<Size>(SIZES, [tables]), clone.query<Size>(SIZES, [tables])]);
    const mirrorSizes = new Map(want.rows.map((r) => [r.name, `${r.main}/${r.toast}`]));
    const mismatches = got.rows.filter((r) => mirrorSizes.get(r.name) !== `${r.main}/${r.toast}`).map((r) => `${r.name}: its files differ in size from the mirror's`);
    if (got.rows.length !== tables.length) mismatches.push(`${tables.length - got.rows.length} replicated table(s) are missing in the clone`);
    if (mismatches.length > 0) throw new DataalmError('VERIFY_FAILED', `the clone differs from the paused mirror: ${mismatches.slice(0, 3).join('; ')}`);
    const size = await clone.query<{ bytes: string }>('SELECT pg_database_size(current_database())::int8 AS bytes');
    return { rows: new Map(got.rows.map((r) => [r.name, Number(r.estimate)])), bytes: Number(size.rows[0]!.bytes) };
  } finally {
    await Promise.all([mirror.end(), clone.end()].map((p) => p.catch(() => {})));
  }
}

interface ForeignKey {
  name: string;
  child: string;
  parent: string;
  columns: string[];
  refColumns: string[];
}

/**
 * Rows loaded into the clone at refresh time (and kept from the target) went in with no
 * foreign-key check; the other tables are the mirror's, from a moment a little earlier.
 * Every foreign key that touches a reloaded table (or a partitioned table above it) is
 * checked now; a violation fails the refresh, naming the key.
 */
export async function checkForeignKeys(clone: pg.ClientBase, tables: readonly TablePlan[]): Promise<void> {
  if (tables.length === 0) return;
  await clone.query('SET search_path = pg_catalog');
  const keys = await clone.query<ForeignKey>(
    `WITH touched AS (
       SELECT a.relid FROM unnest($1::text[]) AS t(name)
        CROSS JOIN LATERAL pg_partition_ancestors(t.name::regclass) AS a(relid)
       UNION SELECT t.name::regclass FROM unnest($1::text[]) AS t(name))
     SELECT c.conname AS name, c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,
            (SELECT array_agg(quote_ident(a.attname) ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS columns,
            (SELECT array_agg(quote_ident(a.attname) ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
               JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n) AS "refColumns"
       FROM pg_constraint c
      WHERE c.contype = 'f' AND c.conparentid = 0 AND c.convalidated
        AND (c.conrelid IN (SELECT relid FROM touched) OR c.confrelid IN (SELECT relid FROM touched))`,
    [tables.map((t) => t.qualifiedName)],
  );
  const broken: string[] = [];
  for (const key of keys.rows) {
    const present = key.columns.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
    const match = key.columns.map((c, i) => `p.${key.refColumns[i]} = c.${c}`).join(' AND ');
    const found = await clone.query(`SELECT 1 FROM ${key.child} AS c WHERE ${present} AND NOT EXISTS (SELECT 1 FROM ${key.parent} AS p WHERE ${match}) LIMIT 1`);
    if (found.rowCount !== 0) broken.push(`${key.name} on ${key.child} → ${key.parent}`);
  }
  await clone.query('RESET search_path');
  if (broken.length > 0) {
    throw new DataalmError(
      'VERIFY_FAILED',
      `foreign key(s) ${broken.slice(0, 3).join('; ')} do not hold between the mirror's rows and those copied at refresh time (the source changed between the two moments, or a kept table lacks rows the source refers to)`,
      { remedy: 'refresh again; if it keeps failing, resync the mirror or disable it to refresh by copy' },
    );
  }
}

/** An order-independent hash of a table's rows (count and the sum of each row's 64-bit hash), as the verification's keep-target digest reads it: one pass, no sort. */
export async function tableHash(client: pg.ClientBase, qualifiedName: string): Promise<string> {
  // Rows as text alike whatever the session's settings (time zone, date style, bytea output).
  for (const sql of CANONICAL_SETTINGS) await client.query(sql);
  const result = await client.query<{ h: string }>(`SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) AS h FROM ${qualifiedName} AS t`);
  return result.rows[0]!.h;
}

/**
 * A spare taken as the clone (spare.ts): it was compared with the paused mirror when it was
 * made, and kept current since by its own subscription. Every replicated table is still
 * there; returns each one's rows (the planner's estimate) and the clone's size.
 */
export async function replicatedTablesOf(clone: pg.ClientBase, tables: readonly string[]): Promise<{ rows: Map<string, number>; bytes: number }> {
  const found = await clone.query<{ name: string; estimate: string }>(SIZES, [tables]);
  if (found.rows.length !== tables.length) {
    throw new DataalmError('VERIFY_FAILED', `${tables.length - found.rows.length} replicated table(s) are missing in the spare taken as the clone`);
  }
  const size = await clone.query<{ bytes: string }>('SELECT pg_database_size(current_database())::int8 AS bytes');
  return { rows: new Map(found.rows.map((r) => [r.name, Number(r.estimate)])), bytes: Number(size.rows[0]!.bytes) };
}
