import { DataalmError } from '../domain/errors/dataalm-error.js';
import type { Mask, Profile, Rule } from '../domain/profile/profile-schema.js';
import { tableKey } from '../adapters/postgres/source-relations.js';
import { resolveProfile } from './profile-rules.js';
import type { CatalogIndex, CatalogTable, SourceCatalog } from '../adapters/postgres/source-catalog.js';
import { carriedTo } from './key-masks.js';
import { uniqueColumns } from './mask-checks.js';
import { copyCostFactor, defaultSplitCost } from './copy-schedule.js';
import { maskExpression, qualified, quoteIdent } from './mask-sql.js';

/**
 * What happens to one table:
 * - copy: the source's rows, masked where the profile says so;
 * - clear: nothing is copied;
 * - keep-rows: the keep-from database's rows instead of the source's;
 * - keep-columns: the source's rows, with some columns' values taken from keep-from by key.
 */
export type TableMode = 'copy' | 'clear' | 'keep-rows' | 'keep-columns';

export interface TablePart {
  /** 0-based index of the part within its table. */
  readonly index: number;
  /** A ctid range, so that one big table is copied by several workers at once. */
  readonly where: string | undefined;
}

export interface TablePlan {
  readonly schema: string;
  readonly name: string;
  readonly qualifiedName: string;
  readonly mode: TableMode;
  readonly bytes: number;
  /**
   * Copied columns (generated columns are computed by the target). May be empty: a table
   * without columns (or with only generated ones) still has rows to copy.
   */
  readonly columns: readonly string[];
  /** One SQL expression per copied column, for the source side. */
  readonly selectList: readonly string[];
  readonly masked: readonly string[];
  readonly keepColumns: readonly string[];
  readonly primaryKey: readonly string[];
  /**
   * Binary COPY is faster; only when every copied column's type allows it (see
   * CatalogColumn.binary). One text-only column puts the whole table in text.
   */
  readonly binary: boolean;
  /**
   * A copied column holds reg* values (OIDs naming catalog objects): both sides' sessions
   * run under search_path = pg_catalog while this table is copied, so the names are
   * written and read back the same way.
   */
  readonly namesObjects: boolean;
  readonly parts: readonly TablePart[];
  readonly reason: string | undefined;
  /** Built as soon as this table's data is in, while other tables are still copying. */
  readonly indexes: readonly CatalogIndex[];
  /** What copying it costs, as bytes of a plain copy (masks cost more): orders and splits the work. */
  readonly cost: number;
  /** Each masked column's expression (without its alias) and the condition a `when` puts on it: for a mirror's masking trigger. */
  readonly maskSql: readonly MaskedColumnSql[];
}

export interface MaskedColumnSql {
  readonly column: string;
  readonly expression: string;
  readonly when: { readonly column: string; readonly equals: string } | undefined;
}

export interface CopyPlan {
  readonly tables: readonly TablePlan[];
  readonly totalBytes: number;
}

export interface PlanOptions {
  readonly jobs: number;
  /** Whether a keep-from database was given; without it keep-target tables arrive empty. */
  readonly keepFrom: boolean;
  /** Hash salt when the profile names none: the installation's masking key. */
  readonly maskKey: string;
  /**
   * Tables above this size are split into parts of about this size; a masked table counts
   * as bigger by its cost factor (copy-schedule.ts). (Default: half a worker's fair share of
   * the total cost, see defaultSplitCost: a bigger table would be the critical path. A split
   * table cannot be written frozen, so splitting is not free.)
   */
  readonly splitBytes: number | undefined;
  /** See MaskContext.saltSql. (Default: the salt as a literal) */
  readonly saltSql?: string;
}

const PAGE = 8192;
const MIN_SPLIT_BYTES = 128 * 1024 * 1024;

/** Builds the plan and checks the profile against the source: nothing is created before this passes. */
export function planCopy(catalog: SourceCatalog, profile: Profile, options: PlanOptions): CopyPlan {
  const resolved = resolveProfile(catalog, profile);
  const first = resolved.findings[0];
  if (first) {
    const more = resolved.findings.length - 1;
    throw new DataalmError('INVALID_INPUT', more > 0 ? `${first.message} (and ${more} more: dataalm profile validate FILE --against URL lists them)` : first.message, {
      field: 'profile',
    });
  }
  const carried = resolved.keyMasks;
  const ruleOf = (table: CatalogTable) => resolved.rules.get(tableKey(table.schema, table.name))?.rule;
  // Splitting and order go by cost, not bytes: a masked table takes longer per byte.
  const factors = new Map(catalog.tables.map((t) => [t, copyCostFactor(ruleOf(t), options.keepFrom)]));
  const totalCost = catalog.tables.reduce((sum, t) => sum + t.bytes * factors.get(t)!, 0);
  const splitCost = options.splitBytes ?? defaultSplitCost(totalCost, options.jobs, MIN_SPLIT_BYTES);
  const tables = catalog.tables.map((table) => {
    const factor = factors.get(table)!;
    const splitBytes = splitCost / Math.max(1, factor);
    const planned = planTable(table, ruleOf(table), profile.salt ?? options.maskKey, { ...options, splitBytes }, {
      carried: carriedTo(catalog, carried, table),
      unique: uniqueColumns(catalog, table),
    });
    return { ...planned, cost: table.bytes * factor };
  });
  // Costliest first: the longest tasks start early, so workers finish together.
  tables.sort((a, b) => b.cost - a.cost);
  return { tables, totalBytes: tables.reduce((sum, t) => sum + (t.mode === 'clear' ? 0 : t.bytes), 0) };
}

/**
 * `keys.carried`: masks of the keys this table's columns reference (foreign keys hold);
 * `keys.unique`: columns of its primary and unique keys (list-based masks add a suffix there).
 */
function planTable(
  table: CatalogTable,
  rule: Rule | undefined,
  salt: string,
  options: PlanOptions & { splitBytes: number },
  keys: { carried: ReadonlyMap<string, Mask>; unique: ReadonlySet<string> },
): Omit<TablePlan, 'cost'> {
  const copied = table.columns.filter((c) => !c.generated);
  const masks = new Map<string, Mask>();
  let mode: TableMode = 'copy';
  let keepColumns: string[] = [];
  if (rule?.action === 'clear') mode = 'clear';
  else if (rule?.action === 'keep-target' && !rule.columns) mode = options.keepFrom ? 'keep-rows' : 'clear';
  else if (rule?.action === 'keep-target' && rule.columns) {
    mode = 'keep-columns';
    keepColumns = rule.columns;
    // The source's values never leave the source: they are replaced before the copy, and
    // the target's own values are written over them afterwards where the key matches.
    for (const name of rule.columns) masks.set(name, rule.otherwise ?? { transformer: 'null' });
  } else if (rule?.action === 'mask') {
    for (const [name, mask] of Object.entries(rule.columns)) masks.set(name, mask);
  }
  if (mode === 'copy' || mode === 'keep-columns') {
    for (const [name, mask] of keys.carried) if (!masks.has(name)) masks.set(name, mask);
  }
  // A column that references a masked key is masked as that key is: as a unique column.
  const unique = (name: string) => keys.unique.has(name) || keys.carried.has(name);
  const maskSql: MaskedColumnSql[] = [];
  const selectList = copied.map((c) => {
    const mask = masks.get(c.name);
    if (!mask) return quoteIdent(c.name);
    const expression = maskExpression(c.name, c.type, mask, { salt, unique: unique(c.name), saltSql: options.saltSql });
    maskSql.push({ column: c.name, expression, when: mask.when && { column: mask.when.column, equals: String(mask.when.equals) } });
    return `${expression} AS ${quoteIdent(c.name)}`;
  });
  return {
    schema: table.schema,
    name: table.name,
    qualifiedName: qualified(table.schema, table.name),
    mode,
    bytes: table.bytes,
    columns: copied.map((c) => c.name),
    selectList,
    masked: [...masks.keys()],
    keepColumns,
    primaryKey: table.primaryKey,
    binary: copied.every((c) => c.binary),
    namesObjects: copied.some((c) => c.namesObjects),
    parts: mode === 'copy' || mode === 'keep-columns' ? splitParts(table, options) : [{ index: 0, where: undefined }],
    reason: rule?.reason,
    indexes: table.indexes,
    maskSql,
  };
}

/** Splits a big table into ctid (block) ranges; the last range is open so no row is missed. */
function splitParts(table: CatalogTable, options: PlanOptions & { splitBytes: number }): TablePart[] {
  const partPages = Math.max(1, Math.floor(options.splitBytes / PAGE));
  if (options.jobs < 2 || table.pages <= partPages * 1.5) return [{ index: 0, where: undefined }];
  const count = Math.ceil(table.pages / partPages);
  return Array.from({ length: count }, (_, index) => {
    const from = index * partPages;
    const lower = `ctid >= '(${from},0)'::tid`;
    const upper = `ctid < '(${from + partPages},0)'::tid`;
    return { index, where: index === 0 ? upper : index === count - 1 ? lower : `${lower} AND ${upper}` };
  });
}
