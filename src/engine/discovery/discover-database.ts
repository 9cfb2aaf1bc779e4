import { type CatalogReader, type SourceCatalog, readSourceCatalog } from '../../adapters/postgres/source-catalog.js';
import { type TableName, tableKey } from '../../adapters/postgres/source-relations.js';
import { type ColumnClassification, classifyColumn, logTableReason, looksLikeStreet, sampled } from '../../domain/discovery/classify-column.js';
import { uniqueColumns } from '../mask-checks.js';
import { sampleTable } from './sample-columns.js';

/**
 * What discovery found in a live database: each table that holds rows (a partitioned table
 * once, under its own name, for all its partitions), each column's kind of personal data,
 * and the tables that look like logs.
 */
export interface DiscoveredColumn extends ColumnClassification {
  readonly column: string;
  readonly type: string;
  readonly notNull: boolean;
  readonly generated: boolean;
  /** Part of a primary key or a unique constraint or index: a mask must keep values distinct. */
  readonly unique: boolean;
  /** The column it references by a foreign key ("schema.table.column"), if any: a mask on that key carries over to it. */
  readonly references: string | undefined;
}

export interface DiscoveredTable {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly DiscoveredColumn[];
  /** Why the table looks like a log, session or history table, if it does. */
  readonly logReason: string | undefined;
  /** Tables with a foreign key to this one ("schema.name"): a clear would break their keys. */
  readonly referencedBy: readonly string[];
  /** Whether its values could be sampled (false: judged by names only). */
  readonly sampled: boolean;
}

/** Which columns to classify (default: all). */
export type ColumnFilter = (schema: string, table: string, column: string) => boolean;

/** The tables of the catalog as a profile names them: a partition under its partitioned root. */
export function profileTables(catalog: SourceCatalog): { label: TableName; leaf: TableName; columns: SourceCatalog['tables'][number]['columns'] }[] {
  const seen = new Map<string, { label: TableName; leaf: TableName; columns: SourceCatalog['tables'][number]['columns'] }>();
  for (const table of catalog.tables) {
    const label = catalog.relations.ancestors.get(tableKey(table.schema, table.name))?.at(-1) ?? table;
    const key = tableKey(label.schema, label.name);
    if (!seen.has(key)) seen.set(key, { label: { schema: label.schema, name: label.name }, leaf: table, columns: table.columns });
  }
  return [...seen.values()];
}

/**
 * Classifies the columns `wanted` selects (all, by default), sampling their values inside the caller's
 * snapshot (a read-only transaction is open on `session`).
 */
export async function classifyCatalog(
  session: CatalogReader,
  catalog: SourceCatalog,
  wanted: ColumnFilter = () => true,
  options: { readonly budgetMs?: number } = {},
): Promise<DiscoveredTable[]> {
  const tables: DiscoveredTable[] = [];
  // Past the time budget (a preview's), the remaining tables are judged by their names only.
  const deadline = options.budgetMs === undefined ? Infinity : Date.now() + options.budgetMs;
  for (const { label, leaf, columns } of profileTables(catalog)) {
    const chosen = columns.filter((c) => wanted(label.schema, label.name, c.name));
    if (chosen.length === 0) continue;
    const key = tableKey(label.schema, label.name);
    const unique = uniqueColumns(catalog, leaf);
    const sample =
      Date.now() < deadline
        ? await sampleTable(
            session,
            label.schema,
            label.name,
            chosen.filter((c) => !c.generated && sampled(c.type)).map((c) => c.name),
          )
        : { values: undefined };
    const hasStreet = columns.some((c) => looksLikeStreet(c.name));
    const references = new Map<string, string>();
    for (const k of catalog.relations.foreignKeys.filter((k) => k.schema === label.schema && k.table === label.name)) {
      k.columns.forEach((c, i) => references.set(c, `${tableKey(k.refSchema, k.refTable)}.${k.refColumns[i]}`));
    }
    const referencedBy = catalog.relations.foreignKeys
      .filter((k) => k.refSchema === label.schema && k.refTable === label.name && !(k.schema === label.schema && k.table === label.name))
      .map((k) => tableKey(k.schema, k.table));
    tables.push({
      schema: label.schema,
      table: label.name,
      logReason: logTableReason(label.name),
      referencedBy: [...new Set(referencedBy)],
      sampled: sample.values !== undefined,
      columns: chosen.map((c) => ({
        column: c.name,
        type: c.type,
        notNull: c.notNull,
        generated: c.generated,
        unique: unique.has(c.name),
        references: references.get(c.name),
        ...classifyColumn(c, sample.values?.get(c.name), hasStreet),
      })),
    });
  }
  return tables;
}

/** Reads the catalog and classifies every column, in one read-only snapshot. */
export async function discoverDatabase(session: CatalogReader): Promise<{ catalog: SourceCatalog; tables: DiscoveredTable[] }> {
  await session.query('begin isolation level repeatable read read only');
  try {
    const catalog = await readSourceCatalog(session);
    return { catalog, tables: await classifyCatalog(session, catalog) };
  } finally {
    await session.query('rollback').catch(() => {});
  }
}
