import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { libpqEnv, findPgTools } from '../../src/adapters/postgres/pg-tools.ts';

/**
 * pg_dump's schema text with owners and privileges, without the lines that name versions
 * and without user mappings (credentials of foreign servers: a copy never carries them).
 */
export function schemaDump(url: string): string {
  const tools = findPgTools({ source: 15, target: 15 }, process.env.DATAALM_PG_BIN);
  const env = libpqEnv(url);
  const result = spawnSync(tools.pgDump, ['--schema-only', `--dbname=${env.PGDATABASE}`], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
  // pg_dump writes its SET lines (default tablespace, access method) where they first
  // change, which may be inside the user mapping's entry: those are kept. Blank lines do
  // not count.
  return result.stdout
    .split(/\n(?=--\n-- Name: )/)
    .map((entry) => (/^--\n-- Name: [^\n]*; Type: USER MAPPING;/.test(entry) ? entry.split('\n').filter((l) => l.startsWith('SET ')).join('\n') : entry))
    .join('\n')
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^-- Dumped (from|by)/.test(line) && !/^\\(un)?restrict /.test(line))
    .join('\n');
}

/**
 * Per table and materialized view: row count and an order-independent sum of row hashes,
 * under fixed output settings; plus every sequence's position.
 */
export async function contentChecksums(url: string): Promise<Record<string, string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET extra_float_digits = 3");
    const relations = await client.query<{ name: string; kind: string }>(
      `SELECT format('%I.%I', n.nspname, c.relname) AS name, CASE WHEN c.relkind = 'm' AND NOT c.relispopulated THEN 'unpopulated' ELSE c.relkind::text END AS kind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
        ORDER BY 1`,
    );
    const sums: Record<string, string> = {};
    for (const { name, kind } of relations.rows) {
      // A materialized view created WITH NO DATA cannot be read: that it is so is its content.
      if (kind === 'unpopulated') {
        sums[name] = 'not populated';
        continue;
      }
      const sql =
        kind === 'S'
          ? `SELECT last_value || '/' || is_called AS v FROM ${name}`
          : `SELECT count(*) || ':' || coalesce(sum(('x' || substr(md5(t::text), 1, 16))::bit(64)::bigint::numeric), 0) AS v FROM ONLY ${name} t`;
      sums[name] = (await client.query<{ v: string }>(sql)).rows[0]!.v;
    }
    return sums;
  } finally {
    await client.end();
  }
}
