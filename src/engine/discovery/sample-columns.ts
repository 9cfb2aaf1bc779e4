import type { CatalogReader } from '../../adapters/postgres/source-catalog.js';
import { quoteIdent } from '../mask-sql.js';

/**
 * A bounded sample of some columns of one table: the first SAMPLE_ROWS rows a scan meets,
 * under a statement timeout, inside the caller's read-only snapshot. A table that cannot be
 * read in time (or at all) is left unsampled; its columns are judged by their names.
 * The values stay in memory for the classifier and are never written anywhere.
 */
export const SAMPLE_ROWS = 200;

/** Per table. (Default: 5 s) */
const TIMEOUT_MS = 5000;

export interface TableSample {
  /** Column → its non-empty values, as text; undefined when the table could not be sampled. */
  readonly values: ReadonlyMap<string, readonly string[]> | undefined;
}

export async function sampleTable(session: CatalogReader, schema: string, table: string, columns: readonly string[]): Promise<TableSample> {
  if (columns.length === 0) return { values: new Map() };
  const list = columns.map((c, i) => `${quoteIdent(c)}::text as c${i}`).join(', ');
  await session.query('savepoint dataalm_sample');
  try {
    await session.query(`set local statement_timeout = ${TIMEOUT_MS}`);
    const result = await session.query<Record<string, string | null>>(`select ${list} from ${quoteIdent(schema)}.${quoteIdent(table)} limit ${SAMPLE_ROWS}`);
    await session.query('release savepoint dataalm_sample');
    const values = new Map<string, string[]>(columns.map((c) => [c, []]));
    for (const row of result.rows) {
      columns.forEach((c, i) => {
        const value = row[`c${i}`];
        if (value !== null && value !== undefined && value.trim() !== '') values.get(c)!.push(value);
      });
    }
    return { values };
  } catch {
    // Timed out, or not readable by this user: an aborted statement needs the savepoint back.
    await session.query('rollback to savepoint dataalm_sample').catch(() => {});
    return { values: undefined };
  }
}
