import type { CatalogReader } from '../../adapters/postgres/source-catalog.js';

/**
 * Every column of the database's tables, "schema.table.column" → its type: plain and
 * partitioned tables (a partition's columns are its parent's), not temporary ones, not an
 * extension's. For the schema drift a refresh preview shows.
 */
const COLUMNS = `
  select n.nspname || '.' || c.relname || '.' || a.attname as name, format_type(a.atttypid, a.atttypmod) as type
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p') and not c.relispartition and c.relpersistence <> 't'
     and a.attnum > 0 and not a.attisdropped
     and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp)'
     and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
   order by 1`;

export async function readColumnList(session: CatalogReader): Promise<Record<string, string>> {
  const rows = (await session.query<{ name: string; type: string }>(COLUMNS)).rows;
  return Object.fromEntries(rows.map((r) => [r.name, r.type]));
}
