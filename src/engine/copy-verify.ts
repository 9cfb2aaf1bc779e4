import type pg from 'pg';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import type { CopyPlan, TablePlan } from './copy-plan.js';
import { OBJECT_NAMES_PATH } from './copy-workers.js';
import { quoteIdent } from './mask-sql.js';

/** Same text output on both sides, whatever the servers' defaults. */
/** Tables counted (and checksummed) per snapshot transaction when the session can be renewed. */
const VERIFY_BATCH = 100;

export const CANONICAL_SETTINGS = [
  "SET DateStyle = 'ISO, MDY'",
  "SET TimeZone = 'UTC'",
  "SET IntervalStyle = 'postgres'",
  'SET extra_float_digits = 3',
  "SET bytea_output = 'hex'",
];

/**
 * Row counts in the copy must equal the rows the snapshot holds (counted again inside the
 * snapshot, not taken from the copy's own report), zero for cleared tables and the
 * keep-from database's for kept tables. With checksums, every copied table's content is
 * compared too: an order-independent sum of per-row hashes, computed by each server, so
 * nothing large crosses the network and no sort is needed.
 */
export async function verifyCopy(
  plan: CopyPlan,
  target: pg.ClientBase,
  sources: {
    snapshot: pg.ClientBase;
    keepFrom: pg.ClientBase | undefined;
    /**
     * Starts the snapshot session's next transaction in the same snapshot, so that the locks
     * of the tables counted so far (and of their indexes) are let go. (Default: one
     * transaction for all tables)
     */
    renewSnapshot?: () => Promise<void>;
  },
  checksums: boolean,
): Promise<void> {
  const mismatches: string[] = [];
  for (const sql of CANONICAL_SETTINGS) {
    await target.query(sql);
    await sources.snapshot.query(sql);
    await sources.keepFrom?.query(sql);
  }
  const count = async (client: pg.ClientBase, table: TablePlan) =>
    Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${table.qualifiedName}`)).rows[0]!.n);
  for (const [index, table] of plan.tables.entries()) {
    if (index > 0 && index % VERIFY_BATCH === 0) await sources.renewSnapshot?.();
    const origin = table.mode === 'clear' ? undefined : table.mode === 'keep-rows' ? sources.keepFrom! : sources.snapshot;
    const [expected, actual] = await Promise.all([origin ? count(origin, table) : 0, count(target, table)]);
    if (actual !== expected) {
      const where = table.mode === 'keep-rows' ? 'the keep-from database has' : 'the snapshot had';
      mismatches.push(`${table.schema}.${table.name}: ${actual} rows, ${where} ${expected}`);
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

/**
 * The table's content checksum on one side. reg* values are hashed by their text form
 * under search_path = pg_catalog on both sides: OIDs that differ but name the same object
 * compare equal, and the source's raw OIDs carried into the copy do not.
 */
export async function checksum(client: pg.ClientBase, table: Pick<TablePlan, 'qualifiedName' | 'namesObjects'>, selectList: readonly string[]): Promise<string> {
  if (table.namesObjects) await client.query(OBJECT_NAMES_PATH);
  const result = await client.query<{ sum: string }>(
    `SELECT coalesce(sum(('x' || substr(md5(x::text), 1, 16))::bit(64)::bigint::numeric), 0)::text AS sum
       FROM (SELECT ${selectList.join(', ')} FROM ONLY ${table.qualifiedName}) AS x`,
  );
  if (table.namesObjects) await client.query('RESET search_path');
  return result.rows[0]!.sum;
}
