// Content checksums of every table in schema public, for determinism tests and for verifying
// a copy. Values are rendered in a session-independent way (timestamps in UTC with a fixed
// format, bytea hashed) so two databases compare equal whatever each connection's TimeZone,
// DateStyle or bytea_output.

import type { SqlPool } from './generate-sample.js';
import { runParallel } from './run-parallel.js';

interface TableShape {
  table: string;
  columns: string[];
  types: string[];
  primaryKey: string[] | null;
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

function canonical(column: string, type: string): string {
  const c = ident(column);
  switch (type) {
    case 'timestamp with time zone':
      return `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
    case 'timestamp without time zone':
      return `to_char(${c}, 'YYYY-MM-DD"T"HH24:MI:SS.US')`;
    case 'date':
      return `to_char(${c}, 'YYYY-MM-DD')`;
    case 'bytea':
      return `md5(${c})`;
    default:
      return `${c}::text`;
  }
}

/** One query per table: row count and md5 over the rows' md5s in primary-key order. */
function checksumQuery(shape: TableShape): string {
  const row = `md5(ROW(${shape.columns.map((c, i) => canonical(c, shape.types[i]!)).join(', ')})::text)`;
  // Without a primary key the row hashes themselves give a stable order.
  const order = shape.primaryKey === null ? row : shape.primaryKey.map(ident).join(', ');
  return `SELECT count(*)::text AS n, md5(coalesce(string_agg(${row}, '' ORDER BY ${order}), '')) AS h FROM public.${ident(shape.table)}`;
}

/** table → "<row count>:<md5>" for every ordinary table of schema public. */
export async function tableChecksums(pool: SqlPool): Promise<Record<string, string>> {
  const { rows } = await pool.query(`
    SELECT c.relname::text AS table,
           array_agg(a.attname::text ORDER BY a.attnum) AS columns,
           array_agg(format_type(a.atttypid, NULL) ORDER BY a.attnum) AS types,
           (SELECT array_agg(k.attname::text ORDER BY array_position(i.indkey::int2[], k.attnum))
              FROM pg_index i JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = ANY (i.indkey)
             WHERE i.indrelid = c.oid AND i.indisprimary) AS "primaryKey"
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     GROUP BY c.oid, c.relname
     ORDER BY c.relname`);
  const result: Record<string, string> = {};
  await runParallel((rows as TableShape[]).map((shape) => async () => {
    const { rows: [sum] } = await pool.query(checksumQuery(shape));
    result[shape.table] = `${sum.n}:${sum.h}`;
  }), 2);
  // Parallel completion order varies; return keys in name order for stable output.
  return Object.fromEntries(Object.entries(result).sort(([a], [b]) => (a < b ? -1 : 1)));
}
