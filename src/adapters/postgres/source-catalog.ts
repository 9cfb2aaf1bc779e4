import type pg from 'pg';
import { type SourceRelations, readSourceRelations } from './source-relations.js';

/** What the copy needs to know of a database, read inside the source snapshot. */
export interface CatalogColumn {
  readonly name: string;
  /** format_type(): the declared type, used to cast masked values back. */
  readonly type: string;
  readonly generated: boolean;
  readonly notNull: boolean;
  /**
   * Binary COPY is safe for this column: its type, through domains, array elements and
   * composite fields, is built-in, has binary send/receive functions and is no reg* type.
   * (A user type's binary form may carry its OIDs; aclitem has no binary form at all.)
   */
  readonly binary: boolean;
  /**
   * The type (through domains, arrays, fields) is a reg* type (regclass, regtype, …): its
   * value is an OID naming a catalog object, whose text form is the object's name as seen
   * from search_path. Copied as text under search_path = pg_catalog, so it names the same
   * object in the copy; binary would carry the source's raw OIDs.
   */
  readonly namesObjects: boolean;
}

/** An index to build once the table's data is in; with the constraint it backs, if any. */
export interface CatalogIndex {
  readonly oid: string;
  /** CREATE INDEX … (schema-qualified, read with an empty search_path). */
  readonly definition: string;
  readonly constraint: { readonly oid: string; readonly name: string; readonly definition: string } | undefined;
  /**
   * What pg_dump writes in the same entry as the index, so it must be redone with it:
   * CLUSTER ON, REPLICA IDENTITY USING INDEX, and per-column statistics targets.
   */
  readonly name: string;
  readonly clustered: boolean;
  readonly replicaIdentity: boolean;
  readonly statisticsTargets: readonly { readonly column: number; readonly target: number }[];
}

export interface CatalogTable {
  readonly schema: string;
  readonly name: string;
  /** Size of the heap and TOAST (an estimate for progress and splitting). */
  readonly bytes: number;
  readonly pages: number;
  readonly columns: readonly CatalogColumn[];
  readonly primaryKey: readonly string[];
  /** Indexes and key constraints of ordinary, non-partition tables, built per table after its data. */
  readonly indexes: readonly CatalogIndex[];
}

export type CatalogSequence = {
  readonly schema: string;
  readonly name: string;
};

export interface SourceCatalog {
  readonly serverMajor: number;
  readonly encoding: string;
  readonly tables: readonly CatalogTable[];
  readonly sequences: readonly CatalogSequence[];
  /** Materialized views that hold data in the source, to be refreshed in the copy. */
  readonly populatedMatviews: readonly CatalogSequence[];
  /** How many large objects the database holds (they live outside tables; see engine/large-objects). */
  readonly largeObjects: number;
  /** The database's collation and character type. */
  readonly locale: { readonly collate: string; readonly ctype: string };
  /** Extensions whose configuration tables hold data pg_dump would carry separately. */
  readonly extensionsWithConfig: readonly string[];
  /** Partitions, foreign keys and unique keys, for the profile's rules. */
  readonly relations: SourceRelations;
}

/** Tables whose rows are dumped: ordinary and partition tables, not temporary, not an extension's. */
const TABLES = `
  select c.oid::int8 as oid, n.nspname as schema, c.relname as name,
         pg_table_size(c.oid)::int8 as bytes,
         (pg_relation_size(c.oid) / current_setting('block_size')::int)::int8 as pages
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
   where c.relkind = 'r' and c.relpersistence <> 't'
     and n.nspname not in ('pg_catalog', 'information_schema')
     and n.nspname !~ '^pg_(toast|temp)'
     and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
   order by n.nspname, c.relname`;

/** The reg* types: OID aliases whose text form names a catalog object (regcollation: 13+). */
export const REG_TYPES = [
  'regclass', 'regtype', 'regproc', 'regprocedure', 'regoper', 'regoperator',
  'regnamespace', 'regrole', 'regconfig', 'regdictionary', 'regcollation',
] as const;

/**
 * Each column's type followed through domains (typbasetype), arrays (typelem of a
 * varlena), and composite fields: binary COPY only when every type met is built-in
 * (OID below FirstNormalObjectId), has typsend and typreceive, and is no reg* type.
 * Read with search_path = pg_catalog, so format_type() qualifies every non-catalog type
 * and the casts of masks mean the same in the data sessions (which use that search_path).
 */
const COLUMNS = `
  with recursive chain(root, typ) as (
    select distinct a.atttypid, a.atttypid from pg_attribute a
     where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
    union
    select c.root, n.next
      from chain c
      join pg_type t on t.oid = c.typ
     cross join lateral (
       select nullif(t.typbasetype, 0) as next
       union all select case when t.typlen = -1 then nullif(t.typelem, 0) end
       union all select f.atttypid from pg_attribute f
                  where t.typtype = 'c' and f.attrelid = t.typrelid and f.attnum > 0 and not f.attisdropped
     ) n
     where n.next is not null
  ), kinds as (
    select c.root,
           bool_or(t.typnamespace = 'pg_catalog'::regnamespace and t.typname = any($2::name[])) as names_objects,
           bool_and(t.oid < 16384 and t.typsend <> 0 and t.typreceive <> 0) as sendable
      from chain c join pg_type t on t.oid = c.typ
     group by c.root
  )
  select a.attrelid::int8 as oid, a.attname as name, format_type(a.atttypid, a.atttypmod) as type,
         a.attgenerated <> '' as generated, a.attnotnull as not_null,
         (k.sendable and not k.names_objects) as binary, k.names_objects
    from pg_attribute a
    join kinds k on k.root = a.atttypid
   where a.attrelid = any($1::oid[]) and a.attnum > 0 and not a.attisdropped
   order by a.attrelid, a.attnum`;

const PRIMARY_KEYS = `
  select i.indrelid::int8 as oid, array_agg(a.attname::text order by k.ord) as columns
    from pg_index i
   cross join lateral unnest(i.indkey) with ordinality k(attnum, ord)
    join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indisprimary and i.indrelid = any($1::oid[])
   group by i.indrelid`;

/**
 * Valid indexes of plain tables (not partitioned, not partitions: their indexes attach to a
 * parent's and stay with pg_restore), with the primary-key, unique or exclusion constraint
 * each backs.
 */
const INDEXES = `
  select i.indrelid::int8 as table_oid, i.indexrelid::int8 as oid, pg_get_indexdef(i.indexrelid) as definition,
         (select relname from pg_class where oid = i.indexrelid) as name, i.indisclustered as clustered,
         i.indisreplident as replica_identity,
         (select coalesce(json_agg(json_build_object('column', a.attnum, 'target', a.attstattarget)), '[]')
            from pg_attribute a where a.attrelid = i.indexrelid and a.attstattarget >= 0) as statistics_targets,
         c.oid::int8 as constraint_oid, c.conname as constraint_name, pg_get_constraintdef(c.oid) as constraint_definition
    from pg_index i
    join pg_class t on t.oid = i.indrelid
    left join pg_constraint c on c.conindid = i.indexrelid and c.conrelid = i.indrelid and c.contype in ('p', 'u', 'x')
   where i.indrelid = any($1::oid[]) and i.indisvalid and t.relkind = 'r' and not t.relispartition
   order by i.indrelid, i.indexrelid`;

const SEQUENCES = `
  select n.nspname as schema, c.relname as name
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind = 'S' and n.nspname not in ('pg_catalog', 'information_schema')
     and not exists (select 1 from pg_depend d
                      where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
   order by 1, 2`;

const MATVIEWS = `select schemaname as schema, matviewname as name from pg_matviews where ispopulated order by 1, 2`;

/** What reading the catalog needs of a connection: node-postgres' client, or a session of the ports. */
export interface CatalogReader {
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

export async function readSourceCatalog(client: CatalogReader): Promise<SourceCatalog> {
  const version = await client.query<{ v: string; e: string }>(
    `select current_setting('server_version_num') as v, pg_encoding_to_char(encoding) as e from pg_database where datname = current_database()`,
  );
  const tables = (await client.query<{ oid: string; schema: string; name: string; bytes: string; pages: string }>(TABLES)).rows;
  const oids = tables.map((t) => t.oid);
  const keys = await client.query<{ oid: string; columns: string[] }>(PRIMARY_KEYS, [oids]);
  // Definitions read with an empty search_path are fully qualified, so they mean the same
  // on the target whatever its search_path.
  await client.query('SET LOCAL search_path = pg_catalog');
  const columns = await client.query<{
    oid: string;
    name: string;
    type: string;
    generated: boolean;
    not_null: boolean;
    binary: boolean;
    names_objects: boolean;
  }>(COLUMNS, [oids, REG_TYPES]);
  const indexes = await client.query<{
    table_oid: string;
    oid: string;
    definition: string;
    constraint_oid: string | null;
    constraint_name: string | null;
    constraint_definition: string | null;
    name: string;
    clustered: boolean;
    replica_identity: boolean;
    statistics_targets: { column: number; target: number }[];
  }>(INDEXES, [oids]);
  await client.query('RESET search_path');
  const indexesByOid = new Map<string, CatalogIndex[]>();
  for (const row of indexes.rows) {
    const list = indexesByOid.get(row.table_oid) ?? [];
    list.push({
      oid: row.oid,
      definition: row.definition,
      name: row.name,
      clustered: row.clustered,
      replicaIdentity: row.replica_identity,
      statisticsTargets: row.statistics_targets,
      constraint:
        row.constraint_oid === null ? undefined : { oid: row.constraint_oid, name: row.constraint_name!, definition: row.constraint_definition! },
    });
    indexesByOid.set(row.table_oid, list);
  }
  const byOid = new Map<string, CatalogColumn[]>();
  for (const c of columns.rows) {
    const list = byOid.get(c.oid) ?? [];
    list.push({ name: c.name, type: c.type, generated: c.generated, notNull: c.not_null, binary: c.binary, namesObjects: c.names_objects });
    byOid.set(c.oid, list);
  }
  const pkByOid = new Map(keys.rows.map((k) => [k.oid, k.columns]));
  return {
    serverMajor: Math.floor(Number(version.rows[0]!.v) / 10000),
    encoding: version.rows[0]!.e,
    tables: tables.map((t) => ({
      schema: t.schema,
      name: t.name,
      bytes: Number(t.bytes),
      pages: Number(t.pages),
      columns: byOid.get(t.oid) ?? [],
      primaryKey: pkByOid.get(t.oid) ?? [],
      indexes: indexesByOid.get(t.oid) ?? [],
    })),
    sequences: (await client.query<CatalogSequence>(SEQUENCES)).rows,
    populatedMatviews: (await client.query<CatalogSequence>(MATVIEWS)).rows,
    largeObjects: Number((await client.query<{ n: string }>('select count(*) as n from pg_largeobject_metadata')).rows[0]!.n),
    locale: (
      await client.query<{ collate: string; ctype: string }>(
        'select datcollate as collate, datctype as ctype from pg_database where datname = current_database()',
      )
    ).rows[0]!,
    extensionsWithConfig: (await client.query<{ n: string }>('select extname as n from pg_extension where extconfig is not null order by 1')).rows.map((r) => r.n),
    relations: await readSourceRelations(client),
  };
}
