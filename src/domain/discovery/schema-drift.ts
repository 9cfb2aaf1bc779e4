/**
 * Schema drift: how a source's columns changed since a target's last refresh. Columns are
 * "schema.table.column" → type; a table is new (or gone) when none of its columns was
 * there before (or is there now). Pure.
 */
export interface SchemaDrift {
  /** When and by which refresh the earlier columns were read. */
  readonly since: { readonly operation: number; readonly at: string };
  readonly addedTables: readonly string[];
  readonly removedTables: readonly string[];
  /** Columns of tables that were there before too. */
  readonly addedColumns: readonly string[];
  readonly removedColumns: readonly string[];
  readonly changedColumns: readonly { readonly column: string; readonly from: string; readonly to: string }[];
}

const tableOf = (column: string): string => column.slice(0, column.lastIndexOf('.'));

export function schemaDrift(
  before: Readonly<Record<string, string>>,
  now: Readonly<Record<string, string>>,
  since: SchemaDrift['since'],
): SchemaDrift {
  const tablesBefore = new Set(Object.keys(before).map(tableOf));
  const tablesNow = new Set(Object.keys(now).map(tableOf));
  const added = Object.keys(now).filter((c) => !(c in before)).sort();
  const removed = Object.keys(before).filter((c) => !(c in now)).sort();
  return {
    since,
    addedTables: [...tablesNow].filter((t) => !tablesBefore.has(t)).sort(),
    removedTables: [...tablesBefore].filter((t) => !tablesNow.has(t)).sort(),
    addedColumns: added.filter((c) => tablesBefore.has(tableOf(c))),
    removedColumns: removed.filter((c) => tablesNow.has(tableOf(c))),
    changedColumns: Object.keys(now)
      .filter((c) => c in before && before[c] !== now[c])
      .sort()
      .map((c) => ({ column: c, from: before[c]!, to: now[c]! })),
  };
}
