import { MIRROR_OBJECT_PREFIX } from '../domain/mirror.js';
import { aclItems, aclOf, commentOf, extensionMember, sortedArray, userSchema } from './fingerprint-sql.js';

/**
 * Fingerprint queries of the objects that are not tables: schemas, extensions, routines,
 * types, collations, conversions, operators and their classes and families, text search,
 * foreign-data wrappers and servers, casts, transforms, languages, access methods, event
 * triggers, publications, default privileges and large objects. Same row shape and rules
 * as in fingerprint-relations.ts. Objects that exist before any user's (initdb's) have
 * OIDs below 16384 (FirstNormalObjectId) where no schema tells them apart.
 */

const FIRST_NORMAL_OID = 16384;

/** format('%I.%I') of the schema-qualified row `alias` of a catalog with a namespace column. */
const qualified = (nsp: string, name: string) => `format('%I.%I', (select nspname from pg_namespace where oid = ${nsp}), ${name})`;

/** A function (regproc or oid column) as its signature, or null when it is 0. */
const proc = (column: string) => `case when ${column}::oid <> 0 then ${column}::oid::regprocedure::text end`;
const procOrNull = proc;
/**
 * Made by the server as part of another object (a multirange's constructors and casts,
 * PostgreSQL 14+): never dumped, so a copy onto a newer major has them where its source had none.
 */
const internalPart = (catalog: string, oid: string) =>
  `exists (select from pg_depend d where d.classid = '${catalog}'::regclass and d.objid = ${oid} and d.deptype = 'i')`;

function schemas(): string {
  return `
select 'schema' as kind, format('%I', n.nspname) as identity, pg_get_userbyid(n.nspowner)::text as owner,
       ${aclOf('n.nspacl', `'n'`, 'n.nspowner')} as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object('comment', ${commentOf('pg_namespace', 'n.oid')})) as detail
  from pg_namespace n
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_namespace', 'n.oid')}`;
}

function extensions(): string {
  return `
select 'extension' as kind, format('%I', x.extname) as identity, null::text as owner, null::jsonb as acl, null::text[] as roles,
       -- No version: CREATE EXTENSION (pg_dump's too) installs the target server's default.
       jsonb_strip_nulls(jsonb_build_object('schema', (select nspname from pg_namespace where oid = x.extnamespace),
         'comment', ${commentOf('pg_extension', 'x.oid')})) as detail
  from pg_extension x`;
}

/**
 * Functions, procedures, aggregates and window functions. The body is the catalog's own
 * text (prosrc, read in the snapshot), not a deparse of the current definition.
 */
function routines(v: number): string {
  return `
select case p.prokind when 'f' then 'function' when 'p' then 'procedure' when 'a' then 'aggregate' when 'w' then 'window function' end as kind,
       format('%I.%I(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as identity,
       pg_get_userbyid(p.proowner)::text as owner, ${aclOf('p.proacl', `'f'`, 'p.proowner')} as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'arguments', pg_get_function_arguments(p.oid),
         'result', pg_get_function_result(p.oid),
         'language', (select lanname from pg_language where oid = p.prolang),
         'body', case when p.prokind <> 'a' then p.prosrc end,
         ${v >= 140000 ? `'sql body', case when p.prosqlbody is not null then pg_get_function_sqlbody(p.oid) end,` : ''}
         'object file', p.probin,
         'volatility', p.provolatile, 'strict', p.proisstrict, 'security definer', p.prosecdef, 'leakproof', p.proleakproof,
         'parallel', p.proparallel, 'cost', p.procost, 'rows', p.prorows, 'returns set', p.proretset,
         'support', nullif(p.prosupport::text, '-'),
         'settings', p.proconfig,
         'transforms', (select array_agg(format_type(t, null) order by format_type(t, null)) from unnest(p.protrftypes) t),
         'aggregate', (select jsonb_strip_nulls(jsonb_build_object(
             'kind', g.aggkind, 'direct arguments', g.aggnumdirectargs, 'transition', ${proc('g.aggtransfn')},
             'final', ${proc('g.aggfinalfn')}, 'combine', ${proc('g.aggcombinefn')}, 'serialize', ${proc('g.aggserialfn')},
             'deserialize', ${proc('g.aggdeserialfn')}, 'moving transition', ${proc('g.aggmtransfn')},
             'moving inverse', ${proc('g.aggminvtransfn')}, 'moving final', ${proc('g.aggmfinalfn')},
             'final extra', g.aggfinalextra, 'moving final extra', g.aggmfinalextra,
             'final modify', g.aggfinalmodify, 'moving final modify', g.aggmfinalmodify,
             'sort operator', case when g.aggsortop <> 0 then g.aggsortop::regoperator::text end,
             'state type', format_type(g.aggtranstype, null), 'state space', g.aggtransspace,
             'moving state type', case when g.aggmtranstype <> 0 then format_type(g.aggmtranstype, null) end,
             'moving state space', g.aggmtransspace, 'initial', g.agginitval, 'moving initial', g.aggminitval))
           from pg_aggregate g where g.aggfnoid = p.oid),
         'comment', ${commentOf('pg_proc', 'p.oid')})) as detail
  from pg_proc p
  join pg_namespace n on n.oid = p.pronamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_proc', 'p.oid')} and not ${internalPart('pg_proc', 'p.oid')}`;
}

/**
 * Types made by CREATE TYPE or CREATE DOMAIN: not the row types of tables (their columns
 * are the table's), not array types made alongside, not multiranges (they come with their
 * range, which names them).
 */
function types(v: number): string {
  return `
select case t.typtype when 'b' then 'base type' when 'c' then 'composite type' when 'd' then 'domain' when 'e' then 'enum'
         when 'r' then 'range' when 'p' then 'pseudo-type' else 'type' end as kind,
       format('%I.%I', n.nspname, t.typname) as identity,
       pg_get_userbyid(t.typowner)::text as owner, ${aclOf('t.typacl', `'T'`, 't.typowner')} as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'defined', t.typisdefined,
         'labels', case when t.typtype = 'e' then (select array_agg(e.enumlabel order by e.enumsortorder) from pg_enum e where e.enumtypid = t.oid) end,
         'base', case when t.typtype = 'd' then format_type(t.typbasetype, t.typtypmod) end,
         'not null', case when t.typtype = 'd' then t.typnotnull end,
         'default', coalesce(pg_get_expr(t.typdefaultbin, 0), t.typdefault),
         'collation', (select format('%I.%I', cn.nspname, co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace
                        where co.oid = t.typcollation and (t.typtype <> 'd' or t.typcollation <> (select b.typcollation from pg_type b where b.oid = t.typbasetype))),
         'range', (select jsonb_strip_nulls(jsonb_build_object('subtype', format_type(r.rngsubtype, null),
                      'collation', (select format('%I.%I', cn.nspname, co.collname) from pg_collation co join pg_namespace cn on cn.oid = co.collnamespace where co.oid = r.rngcollation),
                      'operator class', (select format('%I.%I', on_.nspname, oc.opcname) from pg_opclass oc join pg_namespace on_ on on_.oid = oc.opcnamespace where oc.oid = r.rngsubopc),
                      'canonical', ${proc('r.rngcanonical')}, 'subtype diff', ${proc('r.rngsubdiff')}
                      ${v >= 140000 ? `, 'multirange', format_type(r.rngmultitypid, null)` : ''}))
                    from pg_range r where r.rngtypid = t.oid),
         'base type', case when t.typtype = 'b' then jsonb_strip_nulls(jsonb_build_object(
             'input', ${proc('t.typinput')}, 'output', ${proc('t.typoutput')}, 'receive', ${proc('t.typreceive')}, 'send', ${proc('t.typsend')},
             'modifier input', ${proc('t.typmodin')}, 'modifier output', ${proc('t.typmodout')}, 'analyze', ${proc('t.typanalyze')},
             ${v >= 140000 ? `'subscript', ${proc('t.typsubscript')},` : ''}
             'length', t.typlen, 'by value', t.typbyval, 'alignment', t.typalign, 'storage', t.typstorage,
             'category', t.typcategory, 'preferred', t.typispreferred, 'delimiter', t.typdelim,
             'element', case when t.typelem <> 0 then format_type(t.typelem, null) end)) end,
         'comment', ${commentOf('pg_type', 't.oid')})) as detail
  from pg_type t
  join pg_namespace n on n.oid = t.typnamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_type', 't.oid')}
   and t.typtype <> 'm'
   and (t.typtype <> 'c' or (select relkind from pg_class where oid = t.typrelid) = 'c')
   and not exists (select from pg_type el where el.oid = t.typelem and el.typarray = t.oid)`;
}

function collations(): string {
  return `
select 'collation' as kind, format('%I.%I', n.nspname, c.collname) as identity, pg_get_userbyid(c.collowner)::text as owner,
       null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object('provider', c.collprovider, 'deterministic', to_jsonb(c)->'collisdeterministic',
         'encoding', c.collencoding,
         -- An ICU locale is in collcollate and collctype up to 14, colliculocale in 15 and 16, colllocale from 17.
         'collate', case when c.collprovider <> 'i' then c.collcollate end, 'ctype', case when c.collprovider <> 'i' then c.collctype end,
         'locale', coalesce(to_jsonb(c)->>'colllocale', to_jsonb(c)->>'colliculocale', case when c.collprovider = 'i' then c.collcollate end), 'rules', to_jsonb(c)->>'collicurules',
         'comment', ${commentOf('pg_collation', 'c.oid')})) as detail
  from pg_collation c
  join pg_namespace n on n.oid = c.collnamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_collation', 'c.oid')}`;
}

function conversions(): string {
  return `
select 'conversion' as kind, format('%I.%I', n.nspname, c.conname) as identity, pg_get_userbyid(c.conowner)::text as owner,
       null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object('from', pg_encoding_to_char(c.conforencoding), 'to', pg_encoding_to_char(c.contoencoding),
         -- By name: the conversion functions' arguments changed in PostgreSQL 14.
         'function', c.conproc::regproc::text, 'default', c.condefault, 'comment', ${commentOf('pg_conversion', 'c.oid')})) as detail
  from pg_conversion c
  join pg_namespace n on n.oid = c.connamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_conversion', 'c.oid')}`;
}

function operators(): string {
  const side = (col: string) => `case when ${col} = 0 then 'NONE' else format_type(${col}, null) end`;
  return `
select 'operator' as kind, format('%I.%s(%s, %s)', n.nspname, o.oprname, ${side('o.oprleft')}, ${side('o.oprright')}) as identity,
       pg_get_userbyid(o.oprowner)::text as owner, null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object('result', format_type(o.oprresult, null), 'function', ${proc('o.oprcode')},
         'commutator', case when o.oprcom <> 0 then o.oprcom::regoperator::text end,
         'negator', case when o.oprnegate <> 0 then o.oprnegate::regoperator::text end,
         'restrict', ${proc('o.oprrest')}, 'join', ${proc('o.oprjoin')}, 'merges', o.oprcanmerge, 'hashes', o.oprcanhash,
         'comment', ${commentOf('pg_operator', 'o.oid')})) as detail
  from pg_operator o
  join pg_namespace n on n.oid = o.oprnamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_operator', 'o.oid')}`;
}

function operatorClasses(): string {
  return `
select 'operator class' as kind, format('%I.%I using %I', n.nspname, o.opcname, (select amname from pg_am where oid = o.opcmethod)) as identity,
       pg_get_userbyid(o.opcowner)::text as owner, null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object('family', (select ${qualified('f.opfnamespace', 'f.opfname')} from pg_opfamily f where f.oid = o.opcfamily),
         'type', format_type(o.opcintype, null), 'default', o.opcdefault,
         'storage', case when o.opckeytype <> 0 then format_type(o.opckeytype, null) end,
         'comment', ${commentOf('pg_opclass', 'o.oid')})) as detail
  from pg_opclass o
  join pg_namespace n on n.oid = o.opcnamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_opclass', 'o.oid')}`;
}

/** Families with their members, ordered by what they mean (never by OID). */
function operatorFamilies(): string {
  return `
select 'operator family' as kind, format('%I.%I using %I', n.nspname, f.opfname, (select amname from pg_am where oid = f.opfmethod)) as identity,
       pg_get_userbyid(f.opfowner)::text as owner, null::jsonb as acl, null::text[] as roles,
       jsonb_strip_nulls(jsonb_build_object(
         'operators', (select jsonb_agg(m.e order by m.e::text) from (select jsonb_build_array(ao.amopstrategy, ao.amopopr::regoperator::text,
               format_type(ao.amoplefttype, null), format_type(ao.amoprighttype, null), ao.amoppurpose,
               (select ${qualified('sf.opfnamespace', 'sf.opfname')} from pg_opfamily sf where sf.oid = ao.amopsortfamily)) as e
             from pg_amop ao where ao.amopfamily = f.oid) m),
         'functions', (select jsonb_agg(m.e order by m.e::text) from (select jsonb_build_array(ap.amprocnum, ap.amproc::regprocedure::text,
               format_type(ap.amproclefttype, null), format_type(ap.amprocrighttype, null)) as e
             from pg_amproc ap where ap.amprocfamily = f.oid) m),
         'comment', ${commentOf('pg_opfamily', 'f.oid')})) as detail
  from pg_opfamily f
  join pg_namespace n on n.oid = f.opfnamespace
 where ${userSchema('n.nspname')} and not ${extensionMember('pg_opfamily', 'f.oid')}`;
}

function textSearch(): string[] {
  const scope = (alias: string, nsp: string, catalog: string) =>
    `join pg_namespace n on n.oid = ${alias}.${nsp} where ${userSchema('n.nspname')} and not ${extensionMember(catalog, `${alias}.oid`)}`;
  return [
    `select 'text search configuration' as kind, format('%I.%I', n.nspname, c.cfgname) as identity, pg_get_userbyid(c.cfgowner)::text as owner,
            null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('parser', (select ${qualified('p.prsnamespace', 'p.prsname')} from pg_ts_parser p where p.oid = c.cfgparser),
              'mapping', (select jsonb_agg(jsonb_build_array(m.maptokentype, m.mapseqno, (select ${qualified('d.dictnamespace', 'd.dictname')} from pg_ts_dict d where d.oid = m.mapdict))
                            order by m.maptokentype, m.mapseqno) from pg_ts_config_map m where m.mapcfg = c.oid),
              'comment', ${commentOf('pg_ts_config', 'c.oid')})) as detail
       from pg_ts_config c ${scope('c', 'cfgnamespace', 'pg_ts_config')}`,
    `select 'text search dictionary' as kind, format('%I.%I', n.nspname, d.dictname) as identity, pg_get_userbyid(d.dictowner)::text as owner,
            null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('template', (select ${qualified('t.tmplnamespace', 't.tmplname')} from pg_ts_template t where t.oid = d.dicttemplate),
              'options', d.dictinitoption, 'comment', ${commentOf('pg_ts_dict', 'd.oid')})) as detail
       from pg_ts_dict d ${scope('d', 'dictnamespace', 'pg_ts_dict')}`,
    `select 'text search parser' as kind, format('%I.%I', n.nspname, p.prsname) as identity, null::text as owner, null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('start', ${proc('p.prsstart')}, 'token', ${proc('p.prstoken')}, 'end', ${proc('p.prsend')},
              'headline', ${proc('p.prsheadline')}, 'types', ${proc('p.prslextype')}, 'comment', ${commentOf('pg_ts_parser', 'p.oid')})) as detail
       from pg_ts_parser p ${scope('p', 'prsnamespace', 'pg_ts_parser')}`,
    `select 'text search template' as kind, format('%I.%I', n.nspname, t.tmplname) as identity, null::text as owner, null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('init', ${proc('t.tmplinit')}, 'lexize', ${proc('t.tmpllexize')},
              'comment', ${commentOf('pg_ts_template', 't.oid')})) as detail
       from pg_ts_template t ${scope('t', 'tmplnamespace', 'pg_ts_template')}`,
  ];
}

function foreignData(): string[] {
  return [
    `select 'foreign-data wrapper' as kind, format('%I', w.fdwname) as identity, pg_get_userbyid(w.fdwowner)::text as owner,
            ${aclOf('w.fdwacl', `'F'`, 'w.fdwowner')} as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('handler', ${procOrNull('w.fdwhandler')}, 'validator', ${procOrNull('w.fdwvalidator')},
              'options', ${sortedArray('w.fdwoptions')}, 'comment', ${commentOf('pg_foreign_data_wrapper', 'w.oid')})) as detail
       from pg_foreign_data_wrapper w where not ${extensionMember('pg_foreign_data_wrapper', 'w.oid')}`,
    `select 'server' as kind, format('%I', s.srvname) as identity, pg_get_userbyid(s.srvowner)::text as owner,
            ${aclOf('s.srvacl', `'S'`, 's.srvowner')} as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('wrapper', (select fdwname from pg_foreign_data_wrapper where oid = s.srvfdw),
              'type', s.srvtype, 'version', s.srvversion, 'options', ${sortedArray('s.srvoptions')},
              'comment', ${commentOf('pg_foreign_server', 's.oid')})) as detail
       from pg_foreign_server s where not ${extensionMember('pg_foreign_server', 's.oid')}`,
  ];
}

function castsAndLanguages(): string[] {
  return [
    `select 'cast' as kind, format('(%s AS %s)', format_type(c.castsource, null), format_type(c.casttarget, null)) as identity,
            null::text as owner, null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('function', ${procOrNull('c.castfunc')}, 'context', c.castcontext, 'method', c.castmethod,
              'comment', ${commentOf('pg_cast', 'c.oid')})) as detail
       from pg_cast c where c.oid >= ${FIRST_NORMAL_OID} and not ${extensionMember('pg_cast', 'c.oid')} and not ${internalPart('pg_cast', 'c.oid')}`,
    `select 'transform' as kind, format('FOR %s LANGUAGE %I', format_type(t.trftype, null), (select lanname from pg_language where oid = t.trflang)) as identity,
            null::text as owner, null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('from sql', ${procOrNull('t.trffromsql')}, 'to sql', ${procOrNull('t.trftosql')},
              'comment', ${commentOf('pg_transform', 't.oid')})) as detail
       from pg_transform t where t.oid >= ${FIRST_NORMAL_OID} and not ${extensionMember('pg_transform', 't.oid')}`,
    `select 'language' as kind, format('%I', l.lanname) as identity, pg_get_userbyid(l.lanowner)::text as owner,
            ${aclOf('l.lanacl', `'l'`, 'l.lanowner')} as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('trusted', l.lanpltrusted, 'handler', ${procOrNull('l.lanplcallfoid')},
              'inline', ${procOrNull('l.laninline')}, 'validator', ${procOrNull('l.lanvalidator')},
              'comment', ${commentOf('pg_language', 'l.oid')})) as detail
       from pg_language l where l.lanispl and not ${extensionMember('pg_language', 'l.oid')}`,
    `select 'access method' as kind, format('%I', a.amname) as identity, null::text as owner, null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('type', a.amtype, 'handler', ${proc('a.amhandler')}, 'comment', ${commentOf('pg_am', 'a.oid')})) as detail
       from pg_am a where a.oid >= ${FIRST_NORMAL_OID} and not ${extensionMember('pg_am', 'a.oid')}`,
  ];
}

function databaseWide(v: number): string[] {
  return [
    `select 'event trigger' as kind, format('%I', e.evtname) as identity, pg_get_userbyid(e.evtowner)::text as owner,
            null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('event', e.evtevent, 'function', ${proc('e.evtfoid')}, 'enabled', e.evtenabled,
              'tags', ${sortedArray('e.evttags')}, 'comment', ${commentOf('pg_event_trigger', 'e.oid')})) as detail
       from pg_event_trigger e where not ${extensionMember('pg_event_trigger', 'e.oid')}`,
    `select 'publication' as kind, format('%I', p.pubname) as identity, pg_get_userbyid(p.pubowner)::text as owner,
            null::jsonb as acl, null::text[] as roles,
            jsonb_strip_nulls(jsonb_build_object('flags', to_jsonb(p) - 'oid' - 'pubname' - 'pubowner',
              'tables', (select jsonb_agg(m.e order by m.e::text) from (select jsonb_build_array(format('%I.%I', rn.nspname, rc.relname)
                  ${v >= 150000 ? `, pg_get_expr(r.prqual, r.prrelid), (select array_agg(a.attname order by a.attnum) from pg_attribute a where a.attrelid = r.prrelid and a.attnum = any(r.prattrs))` : ''}) as e
                  from pg_publication_rel r join pg_class rc on rc.oid = r.prrelid join pg_namespace rn on rn.oid = rc.relnamespace where r.prpubid = p.oid) m),
              ${v >= 150000 ? `'schemas', (select array_agg(pn.nspname::text order by pn.nspname) from pg_publication_namespace x join pg_namespace pn on pn.oid = x.pnnspid where x.pnpubid = p.oid),` : ''}
              'comment', ${commentOf('pg_publication', 'p.oid')})) as detail
       from pg_publication p where p.pubname not like '${MIRROR_OBJECT_PREFIX.replace(/_/g, '\\_')}%'`,
    // Who the defaults are for is part of their identity: catalog-fingerprint.ts puts the
    // role (the owner column, mapped) in front.
    `select 'default privileges' as kind,
            format('%s ON %s', case when d.defaclnamespace = 0 then 'GLOBALLY' else format('IN SCHEMA %I', (select nspname from pg_namespace where oid = d.defaclnamespace)) end,
              case d.defaclobjtype when 'r' then 'TABLES' when 'S' then 'SEQUENCES' when 'f' then 'FUNCTIONS' when 'T' then 'TYPES' when 'n' then 'SCHEMAS' else d.defaclobjtype::text end) as identity,
            pg_get_userbyid(d.defaclrole)::text as owner, ${aclItems('d.defaclacl')} as acl, null::text[] as roles, '{}'::jsonb as detail
       from pg_default_acl d`,
    // Large objects may be millions: one row per owner and ACL, with a digest of their OIDs
    // (pg_dump keeps them) and comments.
    `select 'large objects' as kind, format('from OID %s', min(g.oid)) as identity, pg_get_userbyid(g.lomowner)::text as owner,
            ${aclItems('g.acl::aclitem[]')} as acl, null::text[] as roles,
            jsonb_build_object('count', count(*), 'OIDs and comments digest',
              md5(string_agg(g.oid::text || coalesce(':' || g.comment, ''), ',' order by g.oid))) as detail
       from (select l.oid, l.lomowner, coalesce(l.lomacl, acldefault('L', l.lomowner))::text as acl, ${commentOf('pg_largeobject', 'l.oid')} as comment
               from pg_largeobject_metadata l) g
      group by g.lomowner, g.acl`,
  ];
}

export function objectQueries(v: number): readonly string[] {
  return [
    schemas(),
    extensions(),
    routines(v),
    types(v),
    collations(),
    conversions(),
    operators(),
    operatorClasses(),
    operatorFamilies(),
    ...textSearch(),
    ...foreignData(),
    ...castsAndLanguages(),
    ...databaseWide(v),
  ];
}
