import type { Mask } from '../domain/profile/profile-schema.js';
import type { CatalogForeignKey } from '../adapters/postgres/source-relations.js';
import { tableKey } from '../adapters/postgres/source-relations.js';
import type { SourceCatalog } from '../adapters/postgres/source-catalog.js';
import { keepsUnique, maskMisfit, uniqueColumns } from './mask-checks.js';
import type { ProfileFinding, ResolvedRule } from './profile-rules.js';

/**
 * Foreign keys hold through masking: a mask on a key column that other tables reference is
 * applied, with the same transformer and salt, to every referencing column (and to the
 * columns that reference those, and so on). Every transformer maps a value through its salted
 * digest alone, so the same key gives the same masked key in the parent and in each child.
 * Refused, before anything is copied:
 * - a mask with `when` on a referenced key (rows it skips keep their key, their children not);
 * - a key mask that could map two keys to one (mask-checks.ts: keepsUnique);
 * - a mask on a referencing column whose referenced key is not masked (the child's values
 *   would point at no parent row); mask the parent's key instead;
 * - a referencing column with its own, different mask.
 */
export interface KeyMasks {
  /**
   * "schema.table" (as the foreign key declares it) → column → the mask carried over to it.
   * A referenced key is always unique, so a carried mask is built as a unique column's is
   * (list-based outputs get their digest suffix) whether or not the referencing column is.
   */
  readonly carried: ReadonlyMap<string, ReadonlyMap<string, Mask & { from: string }>>;
  readonly findings: readonly ProfileFinding[];
}

type Named = { mask: Mask; path: string };

export function keyMasks(catalog: SourceCatalog, rules: ReadonlyMap<string, ResolvedRule>): KeyMasks {
  const findings: ProfileFinding[] = [];
  // The masks the profile writes, by the table its rule names (a partitioned table, or a plain one).
  const written = new Map<string, Map<string, Named>>();
  for (const { rule, index } of rules.values()) {
    if (rule.action !== 'mask') continue;
    const key = tableKey(rule.schema, rule.table);
    if (!written.has(key)) written.set(key, new Map(Object.entries(rule.columns).map(([c, mask]) => [c, { mask, path: `rules[${index}].columns.${c}` }])));
  }
  const maskOf = (table: string, column: string): Mask | undefined => carried.get(table)?.get(column) ?? written.get(table)?.get(column)?.mask;
  const carried = new Map<string, Map<string, Mask & { from: string }>>();
  const say = (path: string, message: string) => findings.push({ path, message: `${path}: ${message}` });
  const queue: { table: string; column: string; mask: Mask; path: string }[] = [];
  for (const [table, columns] of written) for (const [column, { mask, path }] of columns) queue.push({ table, column, mask, path });
  for (let item = queue.shift(); item; item = queue.shift()) {
    const { table, column, mask, path } = item;
    for (const fk of referencing(catalog.relations.foreignKeys, table, column)) {
      const child = tableKey(fk.schema, fk.table);
      const childColumn = fk.columns[fk.refColumns.indexOf(column)]!;
      const label = `${child}.${childColumn}`;
      if (mask.when !== undefined) {
        say(path, `${table}.${column} is referenced by ${label} (foreign key ${fk.name}), so it cannot be masked only when ${mask.when.column} = ${String(mask.when.equals)}: mask every row's key, or none`);
        continue;
      }
      if (!keepsUnique(mask)) continue; // refused as a unique column already (profile-rules.ts)
      const own = written.get(child)?.get(childColumn);
      if (own && JSON.stringify(own.mask) !== JSON.stringify(mask)) {
        say(own.path, `${label} references ${table}.${column} (foreign key ${fk.name}), whose mask it gets: leave it out of the profile or give it the same mask`);
        continue;
      }
      if (carried.get(child)?.has(childColumn)) continue;
      const target = catalog.tables.find((t) => tableKey(t.schema, t.name) === child) ?? partitionOf(catalog, child);
      const columnInfo = target?.columns.find((c) => c.name === childColumn);
      const misfit = columnInfo && maskMisfit(columnInfo, mask, target ? uniqueColumns(catalog, target).has(childColumn) : false);
      if (misfit) {
        say(path, `the mask carries over to ${label} (foreign key ${fk.name}), and there ${misfit}`);
        continue;
      }
      // Also when the profile gives it the same mask itself: it is masked as a key (unique), as its parent is.
      if (!carried.has(child)) carried.set(child, new Map());
      carried.get(child)!.set(childColumn, { ...mask, from: `${table}.${column}` });
      if (!own) queue.push({ table: child, column: childColumn, mask, path });
    }
  }
  // A referencing column masked while the key it references is not: its rows would point at nothing.
  for (const [table, columns] of written) {
    for (const [column, { mask, path }] of columns) {
      if (mask.transformer === 'null') continue; // a null reference holds
      for (const fk of catalog.relations.foreignKeys) {
        if (tableKey(fk.schema, fk.table) !== table || !fk.columns.includes(column)) continue;
        const parent = tableKey(fk.refSchema, fk.refTable);
        const parentColumn = fk.refColumns[fk.columns.indexOf(column)]!;
        if (maskOf(parent, parentColumn) === undefined) {
          say(path, `${table}.${column} references ${parent}.${parentColumn} (foreign key ${fk.name}), which is not masked: the masked values would point at no row of ${parent}. Mask ${parent}.${parentColumn} instead, and its mask carries over to ${table}.${column}`);
        }
      }
    }
  }
  return { carried, findings };
}

/** The foreign keys that reference `table`.`column`. */
function referencing(foreignKeys: readonly CatalogForeignKey[], table: string, column: string): CatalogForeignKey[] {
  return foreignKeys.filter((fk) => tableKey(fk.refSchema, fk.refTable) === table && fk.refColumns.includes(column));
}

/** A partitioned table's columns are its partitions'. */
function partitionOf(catalog: SourceCatalog, key: string) {
  return catalog.tables.find((t) => (catalog.relations.ancestors.get(tableKey(t.schema, t.name)) ?? []).some((a) => tableKey(a.schema, a.name) === key));
}

/** The masks carried over to one table that holds rows (by its own name or a partitioned ancestor's). */
export function carriedTo(catalog: SourceCatalog, masks: KeyMasks, table: { schema: string; name: string }): ReadonlyMap<string, Mask> {
  const key = tableKey(table.schema, table.name);
  const names = [key, ...(catalog.relations.ancestors.get(key) ?? []).map((a) => tableKey(a.schema, a.name))];
  const result = new Map<string, Mask>();
  for (const name of names.reverse()) {
    for (const [column, { from: _, ...mask }] of masks.carried.get(name) ?? []) result.set(column, mask as Mask);
  }
  return result;
}
