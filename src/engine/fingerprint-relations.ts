import { aclOf, commentOf, extensionMember, relationName, sortedArray, userSchema } from './fingerprint-sql.js';

/**
 * Fingerprint queries of tables and what hangs off them: relations, columns, indexes,
 * constraints, triggers, rules, policies and statistics objects. Each is one set-based
 * statement (no per-object round trip), so a catalog of thousands of tables costs a few
 * scans. `v` is the server's server_version_num: columns that not every version from 13 on
 * has are read only where they exist.
 */

/** The relations in scope: the user's, not an extension's, not temporary. */
const RELATIONS_IN_SCOPE = `
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
 where ${userSchema('n.nspname')} and c.relpersistence <> 't'
   and not ${extensionMember('pg_class', 'c.oid')}`;

const RELATION_KIND = `case c.relkind when 'r' then 'table' when 'p' then 'partitioned table' when 'v' then 'view'
  when 'm' then 'materialized view' when 'S' then 'sequence' when 'f' then 'foreign table' end`;

function relations(): string {
  return `
select ${RELATION_KIND} as kind, format('%I.%I', n.nspname, c.relname) as identity,
       pg_get_userbyid(c.relowner)::text as owner,
       ${aclOf('c.relacl', `case c.relkind when 'S' then 's' else 'r' end`, 'c.relowner')} as acl,
       null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'persistence', c.relpersistence,
         'options', ${sortedArray('c.reloptions')},
         'toast options', (select ${sortedArray('t.reloptions')} from pg_class t where t.oid = c.reltoastrelid),
         'row security', c.relrowsecurity,
         'forced row security', c.relforcerowsecurity,
         'replica identity', c.relreplident,
         'access method', (select amname from pg_am where oid = c.relam),
         'tablespace', (select spcname from pg_tablespace where oid = c.reltablespace),
         'typed as', case when c.reloftype <> 0 then format_type(c.reloftype, null) end,
         'inherits', (select array_agg(${relationName('i.inhparent')} order by i.inhseqno) from pg_inherits i where i.inhrelid = c.oid),
         'partition bound', case when c.relispartition then pg_get_expr(c.relpartbound, c.oid) end,
         'partition key', case when c.relkind = 'p' then pg_get_partkeydef(c.oid) end,
         'definition', case when c.relkind in ('v', 'm') then pg_get_viewdef(c.oid) end,
         'populated', case when c.relkind = 'm' then c.relispopulated end,
         'sequence', (select jsonb_build_object('type', format_type(s.seqtypid, null), 'start', s.seqstart::text, 'increment', s.seqincrement::text,
                        'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text, 'cycle', s.seqcycle)
                        from pg_sequence s where s.seqrelid = c.oid),
         'owned by', (select format('%s.%I', ${relationName('d.refobjid')}, a.attname)
                        from pg_depend d join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                       where c.relkind = 'S' and d.classid = 'pg_class'::regclass and d.objid = c.oid
                         and d.refclassid = 'pg_class'::regclass and d.refobjsubid > 0 and d.deptype in ('a', 'i') limit 1),
         'server', (select s.srvname from pg_foreign_table f join pg_foreign_server s on s.oid = f.ftserver where f.ftrelid = c.oid),
         'foreign options', (select ${sortedArray('f.ftoptions')} from pg_foreign_table f where f.ftrelid = c.oid),
         'comment', ${commentOf('pg_class', 'c.oid')})) as detail
${RELATIONS_IN_SCOPE} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')`;
}

/**
 * Columns of tables, views and foreign tables, and attributes of composite types. The
 * position counts only live columns: a column dropped in the source leaves a gap its copy
 * does not have.
 */
function columns(v: number): string {
  return `
select case when c.relkind = 'c' then 'attribute' else 'column' end as kind,
       format('%I.%I.%I', n.nspname, c.relname, a.attname) as identity,
       -- The table's owner: whose grants on the column were made as the owner.
       pg_get_userbyid(c.relowner)::text as owner,
       case when a.attacl is null then null else ${aclOf('a.attacl', `'c'`, 'c.relowner')} end as acl,
       null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'position', row_number() over (partition by a.attrelid order by a.attnum),
         'type', format_type(a.atttypid, a.atttypmod),
         'not null', a.attnotnull,
         'default', pg_get_expr(ad.adbin, ad.adrelid),
         'identity', nullif(a.attidentity, ''),
         'generated', nullif(a.attgenerated, ''),
         'collation', (select format('%I.%I', cn.nspname, co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
                        where co.oid = a.attcollation and a.attcollation <> t.typcollation),
         'storage', nullif(a.attstorage, t.typstorage),
         ${v >= 140000 ? `'compression', nullif(a.attcompression, ''),` : ''}
         'statistics target', nullif(a.attstattarget, -1),
         'local', a.attislocal,
         'inheritance count', nullif(a.attinhcount, 0),
         'options', ${sortedArray('a.attoptions')},
         'foreign options', ${sortedArray('a.attfdwoptions')},
         'comment', dsc.description)) as detail
  from pg_class c
  join pg_namespace n on n.oid = c.relnamespace
  join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
  join pg_type t on t.oid = a.atttypid
  left join pg_attrdef ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
  left join pg_description dsc on dsc.classoid = 'pg_class'::regclass and dsc.objoid = c.oid and dsc.objsubid = a.attnum
 where ${userSchema('n.nspname')} and c.relpersistence <> 't' and c.relkind in ('r', 'p', 'v', 'm', 'f', 'c')
   and not ${extensionMember('pg_class', 'c.oid')}
   and (c.relkind <> 'c' or not ${extensionMember('pg_type', 'c.reltype')})`;
}

/** Indexes, as pg_dump carries them: valid ones (and partitioned tables' parents). */
function indexes(): string {
  return `
select 'index' as kind, format('%I.%I', n.nspname, c.relname) as identity,
       null::text as owner, null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'definition', pg_get_indexdef(c.oid),
         'clustered', i.indisclustered,
         'replica identity', i.indisreplident,
         'tablespace', (select spcname from pg_tablespace where oid = c.reltablespace),
         'attached to', (select ${relationName('ih.inhparent')} from pg_inherits ih where ih.inhrelid = c.oid),
         'statistics targets', (select jsonb_object_agg(ia.attnum, ia.attstattarget) from pg_attribute ia
                                 where ia.attrelid = c.oid and ia.attstattarget > 0),
         'comment', ${commentOf('pg_class', 'c.oid')})) as detail
  from pg_index i
  join pg_class c on c.oid = i.indexrelid
  join pg_namespace n on n.oid = c.relnamespace
 where ${userSchema('n.nspname')} and c.relpersistence <> 't'
   and (i.indisvalid or c.relkind = 'I')
   and not ${extensionMember('pg_class', 'i.indrelid')}`;
}

/**
 * Constraints of tables and domains. NOT NULL constraints (pg_constraint rows from
 * PostgreSQL 18 on) are left to the columns' "not null", so servers of different versions
 * compare alike.
 */
function constraints(): string {
  return `
select case when k.contypid <> 0 then 'domain constraint' else 'constraint' end as kind,
       case when k.contypid <> 0 then format('%s.%I', (select format('%I.%I', tn.nspname, ty.typname) from pg_type ty join pg_namespace tn on tn.oid = ty.typnamespace where ty.oid = k.contypid), k.conname)
            else format('%s.%I', ${relationName('k.conrelid')}, k.conname) end as identity,
       null::text as owner, null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'definition', pg_get_constraintdef(k.oid),
         'deferrable', k.condeferrable,
         'deferred', k.condeferred,
         'validated', k.convalidated,
         'local', k.conislocal,
         'inheritance count', nullif(k.coninhcount, 0),
         -- Meaningful for CHECK constraints only; pg_dump makes partitions' keys with ALTER TABLE ONLY, which sets it.
         'no inherit', case when k.contype = 'c' then k.connoinherit end,
         'index', case when k.conindid <> 0 then ${relationName('k.conindid')} end,
         'comment', ${commentOf('pg_constraint', 'k.oid')})) as detail
  from pg_constraint k
  join pg_namespace n on n.oid = k.connamespace
 where ${userSchema('n.nspname')} and k.contype <> 'n'
   and (k.conrelid = 0 or not ${extensionMember('pg_class', 'k.conrelid')})
   and (k.contypid = 0 or not ${extensionMember('pg_type', 'k.contypid')})
   and (k.conrelid = 0 or (select relpersistence from pg_class where oid = k.conrelid) <> 't')`;
}

function triggers(): string {
  return `
select 'trigger' as kind, format('%s.%I', ${relationName('g.tgrelid')}, g.tgname) as identity,
       null::text as owner, null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'definition', pg_get_triggerdef(g.oid),
         'enabled', g.tgenabled,
         'comment', ${commentOf('pg_trigger', 'g.oid')})) as detail
  from pg_trigger g
  join pg_class c on c.oid = g.tgrelid
  join pg_namespace n on n.oid = c.relnamespace
 where not g.tgisinternal and g.tgparentid = 0 and ${userSchema('n.nspname')} and c.relpersistence <> 't'
   and not ${extensionMember('pg_class', 'c.oid')}`;
}

/** Rules, without the _RETURN rules that make views (their definition is the view's). */
function rules(): string {
  return `
select 'rule' as kind, format('%s.%I', ${relationName('r.ev_class')}, r.rulename) as identity,
       null::text as owner, null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'definition', pg_get_ruledef(r.oid),
         'enabled', r.ev_enabled,
         'comment', ${commentOf('pg_rewrite', 'r.oid')})) as detail
  from pg_rewrite r
  join pg_class c on c.oid = r.ev_class
  join pg_namespace n on n.oid = c.relnamespace
 where r.rulename <> '_RETURN' and ${userSchema('n.nspname')} and c.relpersistence <> 't'
   and not ${extensionMember('pg_class', 'c.oid')}`;
}

/** Row-level security policies; their TO roles go through the role map like owners do. */
function policies(): string {
  return `
select 'policy' as kind, format('%s.%I', ${relationName('p.polrelid')}, p.polname) as identity,
       null::text as owner, null::jsonb as acl,
       (select array_agg(case when r = 0 then '' else pg_get_userbyid(r)::text end) from unnest(p.polroles) r) as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'command', p.polcmd,
         'permissive', p.polpermissive,
         'using', pg_get_expr(p.polqual, p.polrelid),
         'with check', pg_get_expr(p.polwithcheck, p.polrelid),
         'comment', ${commentOf('pg_policy', 'p.oid')})) as detail
  from pg_policy p
  join pg_class c on c.oid = p.polrelid
  join pg_namespace n on n.oid = c.relnamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_class', 'c.oid')}`;
}

function statistics(): string {
  return `
select 'statistics' as kind, format('%I.%I', n.nspname, s.stxname) as identity,
       pg_get_userbyid(s.stxowner)::text as owner, null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'definition', pg_get_statisticsobjdef(s.oid),
         'statistics target', nullif(s.stxstattarget, -1),
         'comment', ${commentOf('pg_statistic_ext', 's.oid')})) as detail
  from pg_statistic_ext s
  join pg_namespace n on n.oid = s.stxnamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_statistic_ext', 's.oid')}`;
}

export function relationQueries(v: number): readonly string[] {
  return [relations(), columns(v), indexes(), constraints(), triggers(), rules(), policies(), statistics()];
}
