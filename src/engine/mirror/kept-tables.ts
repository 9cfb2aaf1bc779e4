import type pg from 'pg';
import type { CopyPlan, TablePlan } from '../copy-plan.js';
import { quoteIdent } from '../mask-sql.js';
import { tableHash } from './clone-checks.js';
import { MACHINERY_SCHEMA } from './mask-triggers.js';

/**
 * Tables kept whole from the target are not replicated: the mirror holds the target's rows of
 * its seed. A refresh copies such a table again only when the target's rows are no longer
 * those. Telling so by reading the rows (a hash of every value, large ones included) costs as
 * much as the table; the row headers tell it for the price of the table's main pages:
 *
 * - the seed records, per kept table, the hash of the rows it copied, the target's snapshot it
 *   read them in, and the transactions that wrote them into the mirror;
 * - at refresh, a target row is the seed's if its inserting transaction (xmin) had committed
 *   in that snapshot (the original target's rows), or is one of those that wrote the mirror
 *   (a target made from a clone of the mirror holds the mirror's very rows). An INSERT or
 *   UPDATE since makes a row with a newer xmin; a DELETE leaves fewer rows. As many rows as
 *   the seed's and every one of them the seed's: the rows are the seed's, and so is the hash.
 * - otherwise, or when the snapshot is too old to compare transaction ids with (a billion
 *   transactions), the target's rows are hashed and compared, as a full check.
 */
const table = `${quoteIdent(MACHINERY_SCHEMA)}.kept_table`;

export interface KeptRecord {
  /** tableHash of the rows the seed copied ("rows:sum"). */
  readonly hash: string;
  /** The target's snapshot the seed read them in (pg_snapshot text: "xmin:xmax:xip,…"). */
  readonly seen: string;
  /** The transactions (32-bit ids) that wrote them into the mirror. */
  readonly written: readonly string[];
}

/** Records each kept table's rows in the mirror, read in `targetSnapshot` (see above). */
export async function recordKeptTables(mirror: pg.ClientBase, plan: CopyPlan, targetSnapshot: string): Promise<void> {
  await mirror.query(`CREATE TABLE ${table} (name text PRIMARY KEY, hash text NOT NULL, seen text NOT NULL, written text[] NOT NULL)`);
  for (const kept of plan.tables.filter((t) => t.mode === 'keep-rows')) {
    const hash = await tableHash(mirror, kept.qualifiedName);
    // xid has no ordering: its text is grouped.
    const written = await mirror.query<{ w: string[] }>(`SELECT coalesce(array_agg(DISTINCT t.xmin::text), '{}') AS w FROM ${kept.qualifiedName} AS t`);
    await mirror.query(`INSERT INTO ${table} VALUES ($1, $2, $3, $4)`, [`${kept.schema}.${kept.name}`, hash, targetSnapshot, written.rows[0]!.w]);
  }
}

/** What recordKeptTables stored, read from a clone before its machinery is removed. */
export async function readKeptRecords(clone: pg.ClientBase): Promise<Map<string, KeptRecord>> {
  const found = await clone
    .query<{ name: string } & KeptRecord>(`SELECT name, hash, seen, written FROM ${table}`)
    .catch(() => ({ rows: [] as ({ name: string } & KeptRecord)[] }));
  return new Map(found.rows.map((r) => [r.name, { hash: r.hash, seen: r.seen, written: r.written }]));
}

/** A kept table whose rows in the clone are the target's: how that was told, and their tableHash. */
export interface KeptUnchanged {
  readonly hash: string;
  readonly by: 'row headers' | 'contents';
}

/**
 * Splits the tables kept from the target: those whose rows in the clone are not the target's
 * (`reload`), and the others (`unchanged`, by "schema.table"). `target`: the target's
 * snapshot the kept rows are read in.
 */
export async function keptToReload(
  clone: pg.ClientBase,
  target: pg.ClientBase,
  tables: readonly TablePlan[],
  seeded: ReadonlyMap<string, KeptRecord>,
): Promise<{ reload: TablePlan[]; unchanged: Map<string, KeptUnchanged> }> {
  const reload: TablePlan[] = [];
  const unchanged = new Map<string, KeptUnchanged>();
  for (const kept of tables) {
    const name = `${kept.schema}.${kept.name}`;
    const record = seeded.get(name);
    if (record && (await rowsOfTheSeed(target, kept.qualifiedName, record))) {
      unchanged.set(name, { hash: record.hash, by: 'row headers' });
      continue;
    }
    const [mine, theirs] = await Promise.all([record?.hash ?? tableHash(clone, kept.qualifiedName), tableHash(target, kept.qualifiedName)]);
    if (mine === theirs) unchanged.set(name, { hash: theirs, by: 'contents' });
    else reload.push(kept);
  }
  return { reload, unchanged };
}

/** Transaction ids compare safely within 2^31 of each other: a snapshot older than this is not relied on. */
const MAX_AGE = 1_000_000_000;

/** The table's rows are the seed's (see the top of this file): reads row headers only, no large value. */
async function rowsOfTheSeed(target: pg.ClientBase, qualifiedName: string, record: KeptRecord): Promise<boolean> {
  const [xmin, xmax, xip] = record.seen.split(':');
  if (xmin === undefined || xmax === undefined || xip === undefined) return false;
  const low32 = (xid8: string) => (BigInt(xid8) & 0xffffffffn).toString();
  const inProgress = xip === '' ? [] : xip.split(',').map(low32);
  const result = await target.query<{ fresh: boolean; rows: string; newer: string }>(
    `SELECT age($1::text::xid) BETWEEN 0 AND ${MAX_AGE} AS fresh, count(*) AS rows,
            count(*) FILTER (WHERE NOT (t.xmin::text = ANY($2::text[]) OR (age(t.xmin) > age($1::text::xid) AND NOT t.xmin::text = ANY($3::text[])))) AS newer
       FROM ${qualifiedName} AS t`,
    [low32(xmax), record.written, inProgress],
  );
  const row = result.rows[0]!;
  return row.fresh && row.newer === '0' && row.rows === record.hash.slice(0, record.hash.indexOf(':'));
}
