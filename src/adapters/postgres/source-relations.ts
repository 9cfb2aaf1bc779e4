import type { CatalogReader } from './source-catalog.js';

/**
 * How the source's tables relate, for the profile's rules: which tables a partitioned table
 * holds its rows in, which columns reference which (foreign keys), and which column sets
 * are unique. Read in the same snapshot as the rest of the catalog.
 */
export type TableName = {
  readonly schema: string;
  readonly name: string;
};

/** A foreign key as declared: on a partitioned table once, not once per partition. */
export interface CatalogForeignKey {
  readonly name: string;
  /** The referencing table (a plain or partitioned table). */
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly string[];
  /** The referenced table (a plain or partitioned table) and its key columns, in the same order. */
  readonly refSchema: string;
  readonly refTable: string;
  readonly refColumns: readonly string[];
}

export interface SourceRelations {
  /** Partitioned tables: they hold no rows themselves; a rule on one applies to its partitions. */
  readonly partitioned: readonly TableName[];
  /** Leaf partition "schema.name" → its ancestors, nearest first. */
  readonly ancestors: ReadonlyMap<string, readonly TableName[]>;
  readonly foreignKeys: readonly CatalogForeignKey[];
  /** "schema.name" → the column sets a unique index or constraint (primary key included) covers. */
  readonly uniqueKeys: ReadonlyMap<string, readonly (readonly string[])[]>;
}

export const tableKey = (schema: string, name: string): string => `${schema}.${name}`;

const USER_TABLES = `
  c.relpersistence <> 't'
  and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
  and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')`;

const PARTITIONED = `
  select n.nspname as schema, c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind = 'p' and ${USER_TABLES}
   order by 1, 2`;

/** pg_partition_ancestors (12+) lists the partition itself first, then its parents upwards. */
const ANCESTORS = `
  select n.nspname as schema, c.relname as name,
         array_agg(an.nspname::text order by a.level) as ancestor_schemas,
         array_agg(ac.relname::text order by a.level) as ancestor_names
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
   cross join lateral pg_partition_ancestors(c.oid) with ordinality a(relid, level)
    join pg_class ac on ac.oid = a.relid and ac.oid <> c.oid
    join pg_namespace an on an.oid = ac.relnamespace
   where c.relkind = 'r' and c.relispartition and ${USER_TABLES}
   group by n.nspname, c.relname`;

/** Declared foreign keys only (conparentid = 0): the copies PostgreSQL makes on partitions are not repeated. */
const FOREIGN_KEYS = `
  select k.conname as name, n.nspname as schema, c.relname as table,
         rn.nspname as ref_schema, r.relname as ref_table,
         array(select a.attname::text from unnest(k.conkey) with ordinality u(attnum, ord)
                 join pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.ord) as columns,
         array(select a.attname::text from unnest(k.confkey) with ordinality u(attnum, ord)
                 join pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.ord) as ref_columns
    from pg_constraint k
    join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
    join pg_class r on r.oid = k.confrelid join pg_namespace rn on rn.oid = r.relnamespace
   where k.contype = 'f' and k.conparentid = 0 and ${USER_TABLES}
   order by 2, 3, 1`;

/** Unique indexes on plain columns (no expression); a partial one still forbids duplicates where it applies. */
const UNIQUE_KEYS = `
  select n.nspname as schema, c.relname as name,
         array(select a.attname::text from unnest(i.indkey) with ordinality u(attnum, ord)
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = u.attnum
                where u.ord <= i.indnkeyatts order by u.ord) as columns
    from pg_index i
    join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace
   where i.indisunique and c.relkind in ('r', 'p') and not (0 = any (i.indkey::int2[])) and ${USER_TABLES}
   order by 1, 2`;

export async function readSourceRelations(client: CatalogReader): Promise<SourceRelations> {
  const partitioned = (await client.query<TableName>(PARTITIONED)).rows;
  const ancestors = new Map<string, TableName[]>();
  const ancestorRows = await client.query<{ schema: string; name: string; ancestor_schemas: string[]; ancestor_names: string[] }>(ANCESTORS);
  for (const row of ancestorRows.rows) {
    ancestors.set(
      tableKey(row.schema, row.name),
      row.ancestor_names.map((name, i) => ({ schema: row.ancestor_schemas[i]!, name })),
    );
  }
  const keys = await client.query<{ name: string; schema: string; table: string; ref_schema: string; ref_table: string; columns: string[]; ref_columns: string[] }>(
    FOREIGN_KEYS,
  );
  const uniqueKeys = new Map<string, string[][]>();
  for (const row of (await client.query<{ schema: string; name: string; columns: string[] }>(UNIQUE_KEYS)).rows) {
    const key = tableKey(row.schema, row.name);
    uniqueKeys.set(key, [...(uniqueKeys.get(key) ?? []), row.columns]);
  }
  return {
    partitioned,
    ancestors,
    foreignKeys: keys.rows.map((k) => ({
      name: k.name,
      schema: k.schema,
      table: k.table,
      columns: k.columns,
      refSchema: k.ref_schema,
      refTable: k.ref_table,
      refColumns: k.ref_columns,
    })),
    uniqueKeys,
  };
}
