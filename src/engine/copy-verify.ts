import type pg from 'pg';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import type { CopyPlan, TablePlan } from './copy-plan.js';
import type { TableCounts } from './copy-workers.js';
import { quoteIdent } from './mask-sql.js';

/** Same text output on both sides, whatever the servers' defaults. */
export const CANONICAL_SETTINGS = [
  "SET DateStyle = 'ISO, MDY'",
  "SET TimeZone = 'UTC'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
];

/**
 * Row counts in the copy must equal what was read from the snapshot (zero for cleared
 * tables). With checksums, every copied table's content is compared too: an
 * order-independent sum of per-row hashes, computed by each server, so nothing large
 * crosses the network and no sort is needed.
 */
export async function verifyCopy(
  plan: CopyPlan,
  counts: Map<string, TableCounts>,
  target: pg.ClientBase,
  sources: { snapshot: pg.ClientBase; keepFrom: pg.ClientBase | undefined },
  checksums: boolean,
): Promise<void> {
  const mismatches: string[] = [];
  for (const sql of CANONICAL_SETTINGS) {
    await target.query(sql);
    await sources.snapshot.query(sql);
    await sources.keepFrom?.query(sql);
  }
  for (const table of plan.tables) {
    const expected = counts.get(table.qualifiedName)?.rows ?? 0;
    const actual = Number((await target.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${table.qualifiedName}`)).rows[0]!.n);
    if (actual !== expected) {
      mismatches.push(`${table.schema}.${table.name}: ${actual} rows, the snapshot had ${expected}`);
      continue;
    }
    if (!checksums || table.mode === 'clear' || table.mode === 'keep-columns') continue;
    const source = table.mode === 'keep-rows' ? sources.keepFrom! : sources.snapshot;
    const selectList = table.mode === 'keep-rows' ? table.columns.map(quoteIdent) : table.selectList;
    const [want, got] = await Promise.all([
      checksum(source, table, selectList),
      checksum(target, table, table.columns.map(quoteIdent)),
    ]);
    if (want !== got) mismatches.push(`${table.schema}.${table.name}: content checksum differs`);
  }
  if (mismatches.length > 0) {
    throw new DataalmError('VERIFY_FAILED', `verification failed: ${mismatches.slice(0, 3).join('; ')}${mismatches.length > 3 ? ` (+${mismatches.length - 3} more)` : ''}`);
  }
}

async function checksum(client: pg.ClientBase, table: TablePlan, selectList: readonly string[]): Promise<string> {
  const result = await client.query<{ sum: string }>(
    `SELECT coalesce(sum(('x' || substr(md5(x::text), 1, 16))::bit(64)::bigint::numeric), 0)::text AS sum
       FROM (SELECT ${selectList.join(', ')} FROM ONLY ${table.qualifiedName}) AS x`,
  );
  return result.rows[0]!.sum;
}
