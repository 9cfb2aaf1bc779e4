import { RefusedError } from '../../domain/errors/dataalm-error.js';
import { MIRROR_OBJECT_PREFIX } from '../../domain/mirror.js';
import {
  type CopyNeedsFacts,
  type RoleUse,
  type SourceAccess,
  type SourceObjects,
  type TargetAccess,
  copyNeedRefusals,
  targetRoles,
} from '../../domain/preflight/copy-needs.js';
import type { Queryable } from '../../ports/database-server.js';
import { connectMaintenance } from './database-admin.js';

/**
 * Facts of the copy's needs, read from the servers (judged in domain/preflight/copy-needs.ts).
 * Every query is set-based (one round trip per kind of fact, whatever the catalog's size) and
 * reads only catalogs and privilege functions PostgreSQL 13 to 18 all have; what differs by
 * major (pg_publication_namespace since 15, pg_has_role(…, 'SET') since 16) is chosen from
 * the server's version.
 */

/** Objects of the user's: not a system object (OID below FirstNormalObjectId), not an extension's member. */
const USER_OBJECT = (catalog: string, alias: string) =>
  `${alias}.oid >= 16384 and not exists (select 1 from pg_catalog.pg_depend d
      where d.classid = '${catalog}'::regclass and d.objid = ${alias}.oid and d.deptype = 'e')`;

/** Schemas whose objects pg_dump dumps: not the system's, not another session's temporary ones. */
const USER_SCHEMA = `n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_(toast|temp_|toast_temp_)'`;

/** Relations the copy reads (pg_dump locks r and p; the workers read r; sequences' positions are read). */
const RELATIONS = `
  select c.oid, c.relkind, c.relowner, c.relrowsecurity, c.relforcerowsecurity, n.oid as nsp,
         format('%I.%I', n.nspname, c.relname) as name
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.relkind in ('r', 'p', 'S') and c.relpersistence <> 't' and ${USER_SCHEMA} and ${USER_OBJECT('pg_class', 'c')}`;

/** Reads what the source user may not read; inside the copy's snapshot when given its session. */
export async function readSourceAccess(client: Queryable): Promise<SourceAccess> {
  const me = (
    await client.query<{ user: string; superuser: boolean; bypass: boolean; compat: string }>(
      `select current_user as user, rolsuper as superuser, rolbypassrls as bypass, current_setting('lo_compat_privileges') as compat
         from pg_catalog.pg_roles where rolname = current_user`,
    )
  ).rows[0]!;
  const none: string[] = [];
  if (me.superuser) {
    return { user: me.user, superuser: true, unreadableTables: none, unreadableSequences: none, schemasWithoutUsage: none, rowSecurityTables: none, unreadableLargeObjects: none };
  }
  const rows = (
    await client.query<{ name: string; kind: string; select: boolean; usage: boolean; nspname: string; rls: boolean }>(
      `select r.name, r.relkind as kind, n.nspname,
              pg_catalog.has_table_privilege(r.oid, 'SELECT') as select,
              pg_catalog.has_schema_privilege(r.nsp, 'USAGE') as usage,
              (r.relkind = 'r' and r.relrowsecurity and not $1::bool
                and (r.relforcerowsecurity or not pg_catalog.pg_has_role(r.relowner, 'USAGE'))) as rls
         from (${RELATIONS}) r join pg_catalog.pg_namespace n on n.oid = r.nsp
        where not pg_catalog.has_table_privilege(r.oid, 'SELECT') or not pg_catalog.has_schema_privilege(r.nsp, 'USAGE')
           or (r.relkind = 'r' and r.relrowsecurity and not $1::bool)
        order by r.name`,
      [me.bypass],
    )
  ).rows;
  // Reading a large object needs SELECT on it (or its owner's rights), unless lo_compat_privileges is on.
  const largeObjects =
    me.compat === 'on'
      ? []
      : (
          await client.query<{ oid: string }>(
            `select l.oid::text as oid from pg_catalog.pg_largeobject_metadata l
              where not pg_catalog.pg_has_role(l.lomowner, 'USAGE')
                and not exists (select 1 from pg_catalog.aclexplode(coalesce(l.lomacl, pg_catalog.acldefault('L', l.lomowner))) a
                                 where a.privilege_type = 'SELECT' and (a.grantee = 0 or pg_catalog.pg_has_role(a.grantee, 'USAGE')))
              order by l.oid`,
          )
        ).rows.map((r) => `large object ${r.oid}`);
  return {
    user: me.user,
    superuser: false,
    unreadableTables: rows.filter((r) => r.kind !== 'S' && !r.select).map((r) => r.name),
    unreadableSequences: rows.filter((r) => r.kind === 'S' && !r.select).map((r) => r.name),
    schemasWithoutUsage: [...new Set(rows.filter((r) => !r.usage).map((r) => r.nspname))].sort(),
    rowSecurityTables: rows.filter((r) => r.rls).map((r) => r.name),
    unreadableLargeObjects: largeObjects,
  };
}

/** Catalogs of objects pg_dump carries with an owner (and an ACL where they have one). */
const OWNED: readonly { catalog: string; owner: string; acl?: string; where?: string }[] = [
  { catalog: 'pg_class', owner: 'relowner', acl: 'relacl', where: "o.relpersistence <> 't'" },
  { catalog: 'pg_proc', owner: 'proowner', acl: 'proacl' },
  { catalog: 'pg_type', owner: 'typowner', acl: 'typacl' },
  { catalog: 'pg_foreign_server', owner: 'srvowner', acl: 'srvacl' },
  { catalog: 'pg_foreign_data_wrapper', owner: 'fdwowner', acl: 'fdwacl' },
  { catalog: 'pg_language', owner: 'lanowner', acl: 'lanacl' },
  { catalog: 'pg_event_trigger', owner: 'evtowner' },
  // A mirror's publication (dataalm's own) is never copied.
  { catalog: 'pg_publication', owner: 'pubowner', where: `o.pubname not like '${MIRROR_OBJECT_PREFIX.replace(/_/g, '\\_')}%'` },
  { catalog: 'pg_collation', owner: 'collowner' },
  { catalog: 'pg_conversion', owner: 'conowner' },
  { catalog: 'pg_opclass', owner: 'opcowner' },
  { catalog: 'pg_opfamily', owner: 'opfowner' },
  { catalog: 'pg_operator', owner: 'oprowner' },
  { catalog: 'pg_ts_config', owner: 'cfgowner' },
  { catalog: 'pg_ts_dict', owner: 'dictowner' },
  { catalog: 'pg_statistic_ext', owner: 'stxowner' },
];

/**
 * Every role the copy's objects name, and how: owners, grantors and grantees of their ACLs
 * (column ACLs too), default privileges, policy roles, large objects' owners and ACLs, and
 * the schemas (the public schema only when its owner is not the server's default).
 */
const ROLE_USES = `
  with objects(owner, acl, owned) as (
    ${OWNED.map(
      (o) => `select o.${o.owner}, ${o.acl ? `o.${o.acl}` : 'null::aclitem[]'}, true from pg_catalog.${o.catalog} o
       where ${USER_OBJECT(o.catalog, 'o')}${o.where ? ` and ${o.where}` : ''}`,
    ).join('\n    union all ')}
    union all select n.nspowner, n.nspacl, true from pg_catalog.pg_namespace n where ${USER_SCHEMA} and ${USER_OBJECT('pg_namespace', 'n')}
    -- The public schema: its owner only when not the default (the bootstrap superuser up to 14,
    -- pg_database_owner from 15), its ACL only when changed.
    union all select n.nspowner, nullif(n.nspacl, pg_catalog.acldefault('n', n.nspowner)), n.nspowner not in (10, 6171)
      from pg_catalog.pg_namespace n where n.nspname = 'public'
    union all select c.relowner, a.attacl, false from pg_catalog.pg_attribute a join pg_catalog.pg_class c on c.oid = a.attrelid
     where a.attacl is not null and ${USER_OBJECT('pg_class', 'c')}
    union all select l.lomowner, l.lomacl, true from pg_catalog.pg_largeobject_metadata l
  ), uses(role, use) as (
    select owner, 'owner' from objects where owned
    union all select a.grantor, 'grantor' from objects o, pg_catalog.aclexplode(o.acl) a where a.grantor <> o.owner
    union all select a.grantee, 'grantee' from objects o, pg_catalog.aclexplode(o.acl) a where a.grantee <> 0
    union all select d.defaclrole, 'default-privileges' from pg_catalog.pg_default_acl d
    union all select a.grantee, 'grantee' from pg_catalog.pg_default_acl d, pg_catalog.aclexplode(d.defaclacl) a where a.grantee <> 0
    union all select r, 'policy' from pg_catalog.pg_policy p, unnest(p.polroles) r where r <> 0
  )
  select r.rolname as role, array_agg(distinct u.use order by u.use) as uses
    from uses u join pg_catalog.pg_roles r on r.oid = u.role
   group by r.rolname order by r.rolname`;

/**
 * What only a superuser may create on the target, outside extensions: event triggers,
 * functions in untrusted languages (C, internal, plpython3u…) or LEAKPROOF, languages and
 * foreign-data wrappers of their own, base types, binary-coercible casts, operator classes
 * and families, text-search parsers and templates, access methods, publications FOR ALL
 * TABLES (and FOR TABLES IN SCHEMA, from 15).
 */
function superuserOnlyQuery(major: number): string {
  const parts = [
    `select 'event trigger ' || quote_ident(o.evtname) from pg_catalog.pg_event_trigger o where ${USER_OBJECT('pg_event_trigger', 'o')}`,
    `select 'function ' || o.oid::regprocedure::text || ' in language ' || l.lanname from pg_catalog.pg_proc o
       join pg_catalog.pg_language l on l.oid = o.prolang where not l.lanpltrusted and ${USER_OBJECT('pg_proc', 'o')}`,
    `select 'leakproof function ' || o.oid::regprocedure::text from pg_catalog.pg_proc o where o.proleakproof and ${USER_OBJECT('pg_proc', 'o')}`,
    `select 'language ' || quote_ident(o.lanname) from pg_catalog.pg_language o where ${USER_OBJECT('pg_language', 'o')}`,
    `select 'foreign-data wrapper ' || quote_ident(o.fdwname) from pg_catalog.pg_foreign_data_wrapper o where ${USER_OBJECT('pg_foreign_data_wrapper', 'o')}`,
    `select 'base type ' || o.oid::regtype::text from pg_catalog.pg_type o where o.typtype = 'b'
       and not exists (select 1 from pg_catalog.pg_type e where e.typarray = o.oid) and ${USER_OBJECT('pg_type', 'o')}`,
    `select 'binary-coercible cast ' || format('(%s AS %s)', o.castsource::regtype, o.casttarget::regtype) from pg_catalog.pg_cast o
       where o.castmethod = 'b' and ${USER_OBJECT('pg_cast', 'o')}`,
    `select 'operator class ' || format('%I.%I', n.nspname, o.opcname) from pg_catalog.pg_opclass o
       join pg_catalog.pg_namespace n on n.oid = o.opcnamespace where ${USER_OBJECT('pg_opclass', 'o')}`,
    `select 'operator family ' || format('%I.%I', n.nspname, o.opfname) from pg_catalog.pg_opfamily o
       join pg_catalog.pg_namespace n on n.oid = o.opfnamespace where ${USER_OBJECT('pg_opfamily', 'o')}`,
    `select 'text search parser ' || format('%I.%I', n.nspname, o.prsname) from pg_catalog.pg_ts_parser o
       join pg_catalog.pg_namespace n on n.oid = o.prsnamespace where ${USER_OBJECT('pg_ts_parser', 'o')}`,
    `select 'text search template ' || format('%I.%I', n.nspname, o.tmplname) from pg_catalog.pg_ts_template o
       join pg_catalog.pg_namespace n on n.oid = o.tmplnamespace where ${USER_OBJECT('pg_ts_template', 'o')}`,
    `select 'access method ' || quote_ident(o.amname) from pg_catalog.pg_am o where ${USER_OBJECT('pg_am', 'o')}`,
    `select 'publication ' || quote_ident(o.pubname) || ' (FOR ALL TABLES)' from pg_catalog.pg_publication o where o.puballtables`,
  ];
  if (major >= 15) {
    parts.push(`select 'publication ' || quote_ident(o.pubname) || ' (FOR TABLES IN SCHEMA)' from pg_catalog.pg_publication o
       where exists (select 1 from pg_catalog.pg_publication_namespace p where p.pnpubid = o.oid)`);
  }
  return `select x as name from (${parts.join('\n union all ')}) s(x) order by 1`;
}

/** The source's roles, extensions and superuser-only objects. */
export async function readSourceObjects(client: Queryable): Promise<SourceObjects> {
  const major = await serverMajor(client);
  const roles = (await client.query<{ role: string; uses: RoleUse[] | string }>(ROLE_USES)).rows.map((r) => ({
    role: r.role,
    uses: parseArray(r.uses) as RoleUse[],
  }));
  const extensions = (await client.query<{ name: string; version: string }>('select extname as name, extversion as version from pg_catalog.pg_extension order by 1')).rows;
  const superuserOnly = (await client.query<{ name: string }>(superuserOnlyQuery(major))).rows.map((r) => r.name);
  const forced = await client.query<{ name: string }>(
    `select c.name from (${RELATIONS}) c where c.relkind in ('r', 'p') and c.relrowsecurity and c.relforcerowsecurity order by 1`,
  );
  return { roles, extensions, superuserOnly, forcedRowSecurityTables: forced.rows.map((r) => r.name) };
}

/** Roles whose members may create the extensions a managed service allows. */
const SERVICE_ADMINISTRATORS = ['rds_superuser', 'azure_pg_admin', 'cloudsqlsuperuser', 'alloydbsuperuser'];

/** The target user's rights, and what the target server has of the given roles and extensions. */
export async function readTargetAccess(client: Queryable, roles: readonly string[], extensions: readonly string[]): Promise<TargetAccess> {
  const major = await serverMajor(client);
  const me = (
    await client.query<{ user: string; superuser: boolean; createdb: boolean; createrole: boolean; bypass: boolean; admin: boolean }>(
      `select current_user as user, r.rolsuper as superuser, r.rolcreatedb as createdb, r.rolcreaterole as createrole, r.rolbypassrls as bypass,
              exists (select 1 from pg_catalog.pg_roles a where a.rolname = any($1::text[]) and pg_catalog.pg_has_role(a.oid, 'MEMBER')) as admin
         from pg_catalog.pg_roles r where r.rolname = current_user`,
      [SERVICE_ADMINISTRATORS],
    )
  ).rows[0]!;
  // ALTER … OWNER TO needs membership up to 15, and the SET option of it from 16 on.
  const mode = major >= 16 ? 'SET' : 'MEMBER';
  const found = await client.query<{ role: string; exists: boolean; member: boolean; inherits: boolean }>(
    `select n as role, r.oid is not null as exists, coalesce(pg_catalog.pg_has_role(r.oid, '${mode}'), false) as member,
            coalesce(pg_catalog.pg_has_role(r.oid, 'USAGE'), false) as inherits
       from unnest($1::text[]) n left join pg_catalog.pg_roles r on r.rolname = n order by 1`,
    [roles],
  );
  const available = await client.query<{ name: string; available: boolean; trusted: boolean }>(
    `select n as name, a.name is not null as available,
            coalesce((select v.trusted from pg_catalog.pg_available_extension_versions v
                       where v.name = n and v.version = a.default_version), false) as trusted
       from unnest($1::text[]) n left join pg_catalog.pg_available_extensions a on a.name = n order by 1`,
    [extensions],
  );
  return {
    user: me.user,
    superuser: me.superuser,
    createDatabases: me.createdb,
    createRoles: me.createrole,
    bypassRls: me.bypass,
    roles: found.rows,
    extensions: available.rows,
    serviceAdministrator: me.admin,
  };
}

/** Every fact of a copy's needs: the source's inside its snapshot, the target's on its server. */
export async function readCopyNeeds(
  sourceClient: Queryable,
  targetClient: Queryable,
  options: Pick<CopyNeedsFacts, 'roleMap' | 'missingRoles' | 'sourceName' | 'targetName' | 'createsDatabase'>,
): Promise<CopyNeedsFacts> {
  const source = await readSourceAccess(sourceClient);
  const objects = await readSourceObjects(sourceClient);
  const target = await readTargetAccess(
    targetClient,
    targetRoles(objects, options.roleMap),
    objects.extensions.map((e) => e.name),
  );
  return { ...options, source, objects, target };
}

/**
 * The copy's preflight check of privileges, role memberships and extensions: throws one
 * RefusedError with every reason, before anything is created. It runs before the copy
 * locks the source's tables, since a LOCK TABLE the user may not take would fail first.
 */
export async function assertCopyNeeds(
  sourceClient: Queryable,
  targetUrl: string,
  options: Pick<CopyNeedsFacts, 'roleMap' | 'missingRoles' | 'sourceName' | 'targetName'>,
): Promise<void> {
  const targetClient = await connectMaintenance(targetUrl, 'to (--to)');
  try {
    const reasons = copyNeedRefusals(await readCopyNeeds(sourceClient, targetClient, options));
    if (reasons.length > 0) throw new RefusedError(reasons);
  } finally {
    await targetClient.end().catch(() => {});
  }
}

async function serverMajor(client: Queryable): Promise<number> {
  const row = (await client.query<{ v: string }>(`select current_setting('server_version_num') as v`)).rows[0]!;
  return Math.floor(Number(row.v) / 10000);
}

/** A text[] as node-postgres gives it (an array), or as its text form when the type is unknown. */
function parseArray(value: readonly string[] | string): string[] {
  if (Array.isArray(value)) return [...value];
  return String(value).replace(/^\{|\}$/g, '').split(',').filter(Boolean);
}
