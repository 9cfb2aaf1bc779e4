import type { RefusalReason } from '../operation.js';
import type { MissingRolePolicy } from '../profile/profile-schema.js';

/**
 * What a copy needs of the connecting users, judged before anything is created. On managed
 * PostgreSQL services nobody is superuser: a copy works where the source user may read
 * everything it copies and the target user may create, own and grant everything the copy
 * holds. src/adapters/postgres/copy-privileges.ts reads these facts; this module only
 * judges them, so the copy and the refresh preflight give the same reasons.
 */

/** What the source user may read, read inside the copy's snapshot (empty lists for a superuser). */
export interface SourceAccess {
  readonly user: string;
  readonly superuser: boolean;
  /** Tables (and partitioned tables) pg_dump locks and the copy reads, without SELECT. */
  readonly unreadableTables: readonly string[];
  /** Sequences whose position the copy reads, without SELECT. */
  readonly unreadableSequences: readonly string[];
  /** Schemas of those relations without USAGE. */
  readonly schemasWithoutUsage: readonly string[];
  /** Tables whose row-level security applies to the user (not owner, no BYPASSRLS, or FORCE). */
  readonly rowSecurityTables: readonly string[];
  /** Large objects the user may not read (their OIDs). */
  readonly unreadableLargeObjects: readonly string[];
}

/** How a role appears in the source. Owners, grantors and default-privilege roles must be SET-able by the target user. */
export type RoleUse = 'owner' | 'grantor' | 'default-privileges' | 'grantee' | 'policy';

/** What the source holds that the target must be able to recreate. */
export interface SourceObjects {
  /** Every role named by an object of the copy, with how. */
  readonly roles: readonly { readonly role: string; readonly uses: readonly RoleUse[] }[];
  readonly extensions: readonly { readonly name: string; readonly version: string }[];
  /** Objects only a superuser can create ("event trigger x", "function f(int) in language c", …). */
  readonly superuserOnly: readonly string[];
  /** Tables with FORCE ROW LEVEL SECURITY: loading them with row_security off needs BYPASSRLS even as their owner. */
  readonly forcedRowSecurityTables: readonly string[];
}

/** The target user and what the target server has of the source's roles and extensions. */
export interface TargetAccess {
  readonly user: string;
  readonly superuser: boolean;
  readonly createDatabases: boolean;
  readonly createRoles: boolean;
  readonly bypassRls: boolean;
  /**
   * Per role asked about (after the role map): whether it exists, whether the target user may
   * act as it (`member`: SET ROLE, so ALTER … OWNER TO and grants as it), and whether it has
   * its privileges (`inherits`: to load, index and alter the tables it owns).
   */
  readonly roles: readonly { readonly role: string; readonly exists: boolean; readonly member: boolean; readonly inherits: boolean }[];
  readonly extensions: readonly { readonly name: string; readonly available: boolean; readonly trusted: boolean }[];
  /**
   * The user belongs to a managed service's administrator role (rds_superuser, azure_pg_admin,
   * cloudsqlsuperuser…): such services allow their own list of extensions, which the catalog
   * does not show; an extension they refuse fails the copy loudly instead.
   */
  readonly serviceAdministrator: boolean;
}

export interface CopyNeedsFacts {
  readonly source: SourceAccess;
  readonly objects: SourceObjects;
  readonly target: TargetAccess;
  /** Source role → target role (profile.roles, plus whatever the caller maps by default). */
  readonly roleMap: Readonly<Record<string, string>>;
  readonly missingRoles: MissingRolePolicy;
  /** Where the source and target are, for messages ("host:port/db", never a password). */
  readonly sourceName: string;
  readonly targetName: string;
  /** The copy creates its database (a refresh's preflight checks CREATEDB itself). (Default: true) */
  readonly createsDatabase?: boolean;
}

/** Uses that make the target user act as the role: ALTER … OWNER TO, GRANT as grantor, ALTER DEFAULT PRIVILEGES FOR ROLE. */
const ACTS_AS: ReadonlySet<RoleUse> = new Set(['owner', 'grantor', 'default-privileges']);

/**
 * Roles every PostgreSQL server has and every database owner acts as; never missing, never
 * a membership to ask for (the target user owns the database it creates).
 */
const IMPLICIT_ROLES: ReadonlySet<string> = new Set(['pg_database_owner']);

/** A source role's name on the target. */
export function mapRole(roleMap: Readonly<Record<string, string>>, role: string): string {
  return Object.hasOwn(roleMap, role) ? roleMap[role]! : role;
}

/** The roles of a copy, source name → target name, for the target server to be asked about. */
export function targetRoles(objects: SourceObjects, roleMap: Readonly<Record<string, string>>): string[] {
  return [...new Set(objects.roles.map((r) => mapRole(roleMap, r.role)).filter((r) => !IMPLICIT_ROLES.has(r)))].sort();
}

/** Every reason the copy cannot be made by these users, in the order a person would fix them. Pure. */
export function copyNeedRefusals(facts: CopyNeedsFacts): RefusalReason[] {
  return [...sourceRefusals(facts), ...targetRefusals(facts)];
}

function sourceRefusals({ source, sourceName }: CopyNeedsFacts): RefusalReason[] {
  if (source.superuser) return [];
  const reasons: RefusalReason[] = [];
  const user = quoted(source.user);
  const privilege = (what: string, names: readonly string[], grant: string) => {
    if (names.length === 0) return;
    reasons.push({
      code: 'COPY_PRIVILEGES',
      message: `the source user ${user} may not ${what} on ${sourceName}: ${sample(names)}`,
      remedy: `${grant} TO ${user} on the source (or connect as a role that owns them)`,
    });
  };
  privilege('use (USAGE) schema(s) the copy reads', source.schemasWithoutUsage, 'GRANT USAGE ON SCHEMA …');
  privilege('read (SELECT) table(s) the copy reads', source.unreadableTables, 'GRANT SELECT ON TABLE …');
  privilege('read (SELECT) sequence(s) whose position the copy reads', source.unreadableSequences, 'GRANT SELECT ON SEQUENCE …');
  privilege('read (SELECT) large object(s)', source.unreadableLargeObjects, 'GRANT SELECT ON LARGE OBJECT …');
  if (source.rowSecurityTables.length > 0) {
    reasons.push({
      code: 'COPY_PRIVILEGES',
      message: `row-level security applies to the source user ${user} on ${sourceName}, so a copy would not see every row of: ${sample(source.rowSecurityTables)}`,
      remedy: `ALTER ROLE ${user} BYPASSRLS (a superuser or, on managed services, the administrator role may), or connect as the tables' owner (without FORCE ROW LEVEL SECURITY)`,
    });
  }
  return reasons;
}

function targetRefusals(facts: CopyNeedsFacts): RefusalReason[] {
  const { target, objects, targetName } = facts;
  const reasons: RefusalReason[] = [];
  const user = quoted(target.user);
  if (!target.superuser && !target.createDatabases && facts.createsDatabase !== false) {
    reasons.push({
      code: 'COPY_PRIVILEGES',
      message: `the target user ${user} may not create databases (CREATEDB) on ${targetName}`,
      remedy: `ALTER ROLE ${user} CREATEDB on the target server`,
    });
  }
  const byName = new Map(target.roles.map((r) => [r.role, r]));
  const missing = new Set<string>();
  const notMember = new Set<string>();
  for (const { role, uses } of objects.roles) {
    const name = mapRole(facts.roleMap, role);
    if (IMPLICIT_ROLES.has(name)) continue;
    const found = byName.get(name);
    if (!found?.exists) missing.add(name);
    else if (!target.superuser && !found.member && uses.some((u) => ACTS_AS.has(u))) notMember.add(name);
    else if (!target.superuser && !found.inherits && uses.includes('owner')) notMember.add(name);
  }
  if (missing.size > 0 && facts.missingRoles === 'refuse') {
    reasons.push({
      code: 'ROLES_MISSING',
      message: `roles the copy's objects belong to or are granted to do not exist on ${targetName}: ${sample([...missing].sort())}`,
      remedy: 'create them, map them (profile roles: { source_role: existing_role }) or set the profile\'s missingRoles to create or target-user',
    });
  }
  if (missing.size > 0 && facts.missingRoles === 'create' && !target.superuser && !target.createRoles) {
    reasons.push({
      code: 'COPY_PRIVILEGES',
      message: `the target user ${user} may not create the missing roles (CREATEROLE) on ${targetName}: ${sample([...missing].sort())}`,
      remedy: `ALTER ROLE ${user} CREATEROLE on the target server, or create the roles there first`,
    });
  }
  if (notMember.size > 0) {
    const roles = [...notMember].sort();
    reasons.push({
      code: 'COPY_PRIVILEGES',
      message: `the target user ${user} is not a member (with SET and INHERIT) of role(s) that own or grant objects of the copy on ${targetName}, so it cannot give them their objects and load them: ${sample(roles)}`,
      remedy: `GRANT ${roles.map(quoted).join(', ')} TO ${user} on the target server (as a superuser or a role with ADMIN OPTION), or map them to roles it is a member of (profile roles)`,
    });
  }
  if (objects.forcedRowSecurityTables.length > 0 && !target.superuser && !target.bypassRls) {
    reasons.push({
      code: 'COPY_PRIVILEGES',
      message: `the target user ${user} cannot load tables with FORCE ROW LEVEL SECURITY on ${targetName} (it has no BYPASSRLS): ${sample(objects.forcedRowSecurityTables)}`,
      remedy: `ALTER ROLE ${user} BYPASSRLS on the target server (a superuser or, on managed services, the administrator role may)`,
    });
  }
  const extensions = new Map(target.extensions.map((e) => [e.name, e]));
  const unavailable = objects.extensions.filter((e) => !extensions.get(e.name)?.available);
  if (unavailable.length > 0) {
    reasons.push({
      code: 'COPY_UNSUPPORTED',
      message: `extension(s) of the source are not installed on the target server ${targetName}: ${sample(unavailable.map((e) => `${e.name} ${e.version}`))}`,
      remedy: "install the extensions' packages on the target server (the same versions as the source's), or copy to a server that has them",
    });
  }
  const untrusted = objects.extensions.filter((e) => extensions.get(e.name)?.available && !extensions.get(e.name)!.trusted);
  if (untrusted.length > 0 && !target.superuser && !target.serviceAdministrator) {
    reasons.push({
      code: 'COPY_PRIVILEGES',
      message: `only a superuser may create extension(s) of the source on ${targetName} (they are not trusted), and ${user} is not one: ${sample(untrusted.map((e) => e.name))}`,
      remedy: 'copy into the target server as a superuser, or as its administrator role on a managed service',
    });
  }
  if (objects.superuserOnly.length > 0 && !target.superuser) {
    reasons.push({
      code: 'COPY_UNSUPPORTED',
      message: `the source holds objects only a superuser can create, and the target user ${user} on ${targetName} is not one: ${sample(objects.superuserOnly)}`,
      remedy: 'copy as a superuser of the target server, or remove these objects from the source (or make them part of an extension the target has)',
    });
  }
  return reasons;
}

/** Up to five names, then how many more: a message stays one readable line on a catalog of thousands. */
export function sample(names: readonly string[], shown = 5): string {
  const head = names.slice(0, shown).join(', ');
  return names.length > shown ? `${head} and ${names.length - shown} more (${names.length} in all)` : head;
}

function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A role of a copy as a person sees it before a refresh: its name in the source and on the target. */
export interface CopyRole {
  readonly source: string;
  readonly target: string;
  /** The target role exists on the target server. */
  readonly exists: boolean;
}

/** The roles of a copy, source → target, and whether each target role exists. Pure. */
export function copyRoles(facts: Pick<CopyNeedsFacts, 'objects' | 'target' | 'roleMap'>): CopyRole[] {
  const exists = new Map(facts.target.roles.map((r) => [r.role, r.exists]));
  return facts.objects.roles.map(({ role }) => {
    const target = mapRole(facts.roleMap, role);
    return { source: role, target, exists: IMPLICIT_ROLES.has(target) || (exists.get(target) ?? false) };
  });
}

/**
 * The role map of a refresh: the profile's, plus the source environment's database user
 * mapped to the target environment's. Each environment connects as its own role, and a
 * sandbox's application must own what it uses: objects owned by production's user belong to
 * the sandbox's user in the copy. A profile that maps the source user says otherwise.
 */
export function refreshRoleMap(profileRoles: Readonly<Record<string, string>>, sourceUser: string, targetUser: string): Record<string, string> {
  return { [sourceUser]: targetUser, ...profileRoles };
}
