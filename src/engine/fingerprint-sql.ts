/**
 * Building blocks of the catalog fingerprint's queries. Every query returns one row per
 * object with the same six columns:
 *   kind      what the object is ("table", "index", "function", …)
 *   identity  its name, schema-qualified and quoted as format('%I') quotes
 *   owner     the owning role's name, or null for objects without an owner
 *   acl       its effective privileges (jsonb [grantee, grantor, privilege, grantable][];
 *             grantee '' is PUBLIC), or null for objects without privileges
 *   roles     role names the object names other than as owner or in a grant (a policy's
 *             TO list), or null
 *   detail    jsonb: every other property, read with search_path = pg_catalog so names in
 *             expressions and reg* outputs are fully qualified; null-valued keys stripped
 */

/** Not the user's: system schemas, TOAST and temporary schemas. */
export function userSchema(nspname: string): string {
  return `(${nspname} not in ('pg_catalog', 'information_schema') and ${nspname} !~ '^pg_(toast|temp_|toast_temp_)')`;
}

/** True when the object (oid of a row of catalog) is a member of an extension. */
export function extensionMember(catalog: string, oid: string): string {
  return `exists (select from pg_depend xd where xd.classid = '${catalog}'::regclass and xd.objid = ${oid} and xd.objsubid = 0 and xd.deptype = 'e')`;
}

/**
 * The effective ACL, as pg_dump compares it: a NULL ACL means the default for the owner,
 * so NULL and an explicit default are the same; items as role names.
 */
export function aclOf(column: string, type: string, owner: string): string {
  return aclItems(`coalesce(${column}, acldefault(${type}::"char", ${owner}))`);
}

/** An aclitem[] as it is (no default applied), items as role names. */
export function aclItems(acl: string): string {
  return `(select coalesce(jsonb_agg(jsonb_build_array(
             case when x.grantee = 0 then '' else pg_get_userbyid(x.grantee)::text end,
             pg_get_userbyid(x.grantor)::text, x.privilege_type, x.is_grantable)), '[]'::jsonb)
        from aclexplode(${acl}) x)`;
}

/** A comment (pg_description) of an object, or null. */
export function commentOf(catalog: string, oid: string, subid = '0'): string {
  return `(select dsc.description from pg_description dsc where dsc.classoid = '${catalog}'::regclass and dsc.objoid = ${oid} and dsc.objsubid = ${subid})`;
}

/** A text[] (options, reloptions) sorted, so the order they were set in does not count. */
export function sortedArray(column: string): string {
  return `(select array_agg(o order by o) from unnest(${column}) o)`;
}

/** format('%I.%I') of a pg_class row's schema and name. */
export function relationName(oid: string): string {
  return `(select format('%I.%I', rn.nspname, rc.relname) from pg_class rc join pg_namespace rn on rn.oid = rc.relnamespace where rc.oid = ${oid})`;
}

/** A row of the fingerprint as a query returns it. */
export interface FingerprintRow {
  readonly kind: string;
  readonly identity: string;
  readonly owner: string | null;
  readonly acl: readonly (readonly [string, string, string, boolean])[] | null;
  readonly roles: readonly string[] | null;
  readonly detail: Record<string, unknown>;
}
