import pg from 'pg';
import type { Profile } from '../../domain/profile/profile-schema.js';

/**
 * A source role → the role that stands for it on the target server, or undefined: what it
 * owns is left to the connecting user, and its grants are not copied (the missing-role
 * policy target-user).
 */
export type RoleMapper = (sourceRole: string) => string | undefined;

const quoteIdent = (name: string) => pg.escapeIdentifier(name);
const quoteLiteral = (text: string) => pg.escapeLiteral(text);

/**
 * What belongs to the database itself rather than to an object in it, which neither a
 * schema dump without --create nor a table copy carries.
 */
export interface DatabaseProperties {
  readonly owner: string;
  readonly comment: string | null;
  /** aclexplode(datacl); null when datacl is null (the defaults: PUBLIC may connect and make temporary tables). */
  readonly acl: readonly { readonly grantee: string | null; readonly privilege: string; readonly grantable: boolean }[] | null;
  /** ALTER DATABASE … SET, as stored: "name=value". */
  readonly settings: readonly string[];
  /** ALTER ROLE … IN DATABASE … SET. */
  readonly roleSettings: readonly { readonly role: string; readonly settings: readonly string[] }[];
}

const PROPERTIES = `
  select pg_get_userbyid(d.datdba) as owner, shobj_description(d.oid, 'pg_database') as comment,
         case when d.datacl is null then null else
           (select coalesce(json_agg(json_build_object(
                     'grantee', case when a.grantee = 0 then null else pg_get_userbyid(a.grantee) end,
                     'privilege', a.privilege_type, 'grantable', a.is_grantable)), '[]')
              from aclexplode(d.datacl) a) end as acl,
         coalesce((select s.setconfig from pg_db_role_setting s where s.setdatabase = d.oid and s.setrole = 0), '{}') as settings,
         (select coalesce(json_agg(json_build_object('role', pg_get_userbyid(s.setrole), 'settings', s.setconfig)
                                   order by pg_get_userbyid(s.setrole)), '[]')
            from pg_db_role_setting s where s.setdatabase = d.oid and s.setrole <> 0) as role_settings
    from pg_database d where d.datname = coalesce($1, current_database())`;

/** The properties of `database` (default: the one `client` is connected to). */
export async function readDatabaseProperties(client: pg.ClientBase, database?: string): Promise<DatabaseProperties> {
  const row = (
    await client.query<{
      owner: string;
      comment: string | null;
      acl: DatabaseProperties['acl'];
      settings: string[];
      role_settings: { role: string; settings: string[] }[];
    }>(PROPERTIES, [database ?? null])
  ).rows[0]!;
  return { owner: row.owner, comment: row.comment, acl: row.acl, settings: row.settings, roleSettings: row.role_settings };
}

/** The roles the properties name (owner, grantees, roles with settings), for the missing-role preflight. */
export function databasePropertyRoles(properties: DatabaseProperties): string[] {
  const roles = new Set([properties.owner, ...properties.roleSettings.map((s) => s.role)]);
  for (const item of properties.acl ?? []) if (item.grantee !== null) roles.add(item.grantee);
  return [...roles].sort();
}

export interface ChosenProperties {
  readonly properties: DatabaseProperties;
  /** The keep-from database's properties name the target server's roles already. */
  readonly mapRole: RoleMapper | undefined;
}

/**
 * Where a copy's database-level properties come from: the source database, the target's
 * current database (the keep-from one), or 'caller': the copy leaves them to whoever runs
 * it (a refresh gives the new database the live one's at cutover).
 */
export type PropertiesFrom = NonNullable<Profile['databaseProperties']> | 'caller';

/**
 * The properties the copy gets: the source's, or with 'target' the keep-from database's
 * (the target's current database); with no keep-from database there is nothing to take
 * them from, and the copy says so.
 */
export async function chooseDatabaseProperties(
  from: PropertiesFrom,
  source: pg.ClientBase,
  keepFrom: pg.ClientBase | undefined,
  warn: (message: string) => void,
): Promise<ChosenProperties | undefined> {
  if (from === 'caller') return undefined;
  if (from === 'source') return { properties: await readDatabaseProperties(source), mapRole: undefined };
  if (keepFrom) return { properties: await readDatabaseProperties(keepFrom), mapRole: (role) => role };
  warn(
    'databaseProperties is "target" but there is no keep-from database: the copy has no database settings, comment or grants of its own (the defaults)',
  );
  return undefined;
}

/**
 * Gives the new database the chosen properties. Run at the very end of the copy: a setting
 * such as default_transaction_read_only = on or a search_path must not reach the copy's
 * own sessions. The owner changes first (so the grants that name the owner name the new
 * one), and only if the connecting user may give the database away; else a warning.
 */
export async function applyDatabaseProperties(
  target: pg.ClientBase,
  database: string,
  chosen: ChosenProperties,
  mapRole: RoleMapper,
  warn: (message: string) => void,
): Promise<void> {
  try {
    await applyProperties(target, database, chosen, mapRole, warn);
  } catch (error) {
    const whose = chosen.mapRole ? "keep-from database's" : "source database's";
    throw new Error(`giving the copy the ${whose} properties (settings, comment, grants, owner): ${(error as Error).message}`, { cause: error });
  }
}

async function applyProperties(...[target, database, chosen, mapRole, warn]: Parameters<typeof applyDatabaseProperties>): Promise<void> {
  const { properties } = chosen;
  const map = chosen.mapRole ?? mapRole;
  const db = quoteIdent(database);
  const me = await connectingUser(target);
  let ownerNow = me.u;
  const owner = map(properties.owner);
  if (owner !== undefined && owner !== me.u) {
    if (me.superuser || (await maySetRole(target, owner))) {
      await target.query(`ALTER DATABASE ${db} OWNER TO ${quoteIdent(owner)}`);
      ownerNow = owner;
    } else {
      warn(`the copy is owned by ${me.u}, not ${owner} as the source database is: ${me.u} is not a member of ${owner}, so it cannot give the database away`);
    }
  }
  if (properties.comment !== null) await target.query(`COMMENT ON DATABASE ${db} IS ${quoteLiteral(properties.comment)}`);
  const skipped = new Set<string>();
  // A setting only a superuser may make is reported, not a reason to lose the whole copy.
  const refused: string[] = [];
  const allowed = (statement: Promise<unknown>, what: string) =>
    statement.then(
      () => {},
      (error: { code?: string }) => {
        if (error.code !== '42501') throw error;
        refused.push(what);
      },
    );
  if (properties.acl !== null) {
    // An explicit ACL replaces the defaults, the owner's own rights included: start from none.
    await target.query(`REVOKE ALL ON DATABASE ${db} FROM PUBLIC`);
    await target.query(`REVOKE ALL ON DATABASE ${db} FROM ${quoteIdent(ownerNow)}`);
    for (const item of properties.acl) {
      const grantee = item.grantee === null ? null : item.grantee === properties.owner ? ownerNow : map(item.grantee);
      if (grantee === undefined) {
        skipped.add(item.grantee!);
        continue;
      }
      const to = grantee === null ? 'PUBLIC' : quoteIdent(grantee);
      await target.query(`GRANT ${item.privilege} ON DATABASE ${db} TO ${to}${item.grantable ? ' WITH GRANT OPTION' : ''}`);
    }
  }
  for (const { role, settings } of properties.roleSettings) {
    const mapped = map(role);
    if (mapped === undefined) {
      skipped.add(role);
      continue;
    }
    for (const setting of settings) await allowed(target.query(`ALTER ROLE ${quoteIdent(mapped)} IN DATABASE ${db} ${setClause(setting)}`), `role ${mapped}'s ${setting}`);
  }
  for (const setting of properties.settings) await allowed(target.query(`ALTER DATABASE ${db} ${setClause(setting)}`), setting);
  if (refused.length > 0) {
    warn(`the connecting user ${me.u} may not set ${refused.join(', ')} on the database (a superuser's setting): not copied`);
  }
  if (skipped.size > 0) {
    warn(`the database grants and role settings of ${[...skipped].sort().join(', ')} were not copied: the target server has no such roles`);
  }
}

/**
 * GUCs whose stored value is a list of quoted identifiers (GUC_LIST_QUOTE): pg_dump splits
 * them and writes each element as a literal; any other value is one literal.
 */
const LIST_GUCS = new Set([
  'local_preload_libraries',
  'search_path',
  'session_preload_libraries',
  'shared_preload_libraries',
  'temp_tablespaces',
  'unix_socket_directories',
]);

/** "name=value" as stored in pg_db_role_setting → `SET name TO value`, as pg_dump writes it. */
export function setClause(setting: string): string {
  const at = setting.indexOf('=');
  const name = setting.slice(0, at);
  const value = setting.slice(at + 1);
  const values = LIST_GUCS.has(name.toLowerCase()) ? splitGucList(value).map(quoteLiteral).join(', ') : quoteLiteral(value);
  return `SET ${quoteIdent(name)} TO ${values}`;
}

/** PostgreSQL's SplitGUCList: comma-separated elements, each bare or double-quoted ("" is a quote). */
export function splitGucList(value: string): string[] {
  const items: string[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < value.length && /\s/.test(value[i]!)) i += 1;
  };
  skipSpace();
  if (i === value.length) return items;
  for (;;) {
    let item = '';
    if (value[i] === '"') {
      i += 1;
      for (;;) {
        if (i >= value.length) return [...items, item]; // unterminated: as far as it goes
        if (value[i] === '"') {
          if (value[i + 1] === '"') {
            item += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        item += value[i];
        i += 1;
      }
    } else {
      while (i < value.length && value[i] !== ',' && !/\s/.test(value[i]!)) {
        item += value[i];
        i += 1;
      }
    }
    items.push(item);
    skipSpace();
    if (value[i] === ',') {
      i += 1;
      skipSpace();
      continue;
    }
    return items;
  }
}

async function connectingUser(client: pg.ClientBase): Promise<{ u: string; superuser: boolean }> {
  return (await client.query<{ u: string; superuser: boolean }>('SELECT current_user AS u, rolsuper AS superuser FROM pg_roles WHERE rolname = current_user')).rows[0]!;
}

/** Whether the connecting user may give an object to `role` (16+: SET on it; before: membership). */
async function maySetRole(client: pg.ClientBase, role: string): Promise<boolean> {
  const row = await client.query<{ ok: boolean }>(
    `SELECT pg_has_role(current_user, $1::text, CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) AS ok`,
    [role],
  );
  return row.rows[0]!.ok;
}

/**
 * Gives a non-superuser's new database its owner before the schema is restored: giving a
 * table to a role takes that role's CREATE on the table's schema, which in the public schema
 * of PostgreSQL 15+ (owned by pg_database_owner) only the database's owner has. A no-op when
 * the owner is unknown, the connecting user's own, or not the connecting user's to give.
 */
export async function giveOwnerFirst(client: pg.ClientBase, database: string, chosen: ChosenProperties, mapRole: RoleMapper): Promise<void> {
  const owner = (chosen.mapRole ?? mapRole)(chosen.properties.owner);
  const me = await connectingUser(client);
  if (owner === undefined || owner === me.u || me.superuser || !(await maySetRole(client, owner))) return;
  await client.query(`ALTER DATABASE ${quoteIdent(database)} OWNER TO ${quoteIdent(owner)}`);
}
