import type pg from 'pg';
import { RefusedError } from '../domain/errors/dataalm-error.js';
import { MIRROR_OBJECT_PREFIX } from '../domain/mirror.js';
import { lockCapacityReason } from '../domain/preflight/lock-capacity.js';
import type { Profile } from '../domain/profile/profile-schema.js';
import type { ConnectionTarget } from '../adapters/postgres/connection-url.js';
import type { PgTools } from '../adapters/postgres/pg-tools.js';
import type { SourceCatalog } from '../adapters/postgres/source-catalog.js';
import type { CopyPlan } from './copy-plan.js';
import type { RoleMapper } from '../adapters/postgres/database-properties.js';
import { type InvolvedRole, type RewriteReport, involvedRoles, mappedRole, rewriteEntry } from './role-rewrite.js';
import { type SchemaScript, checkAgainstListing, scriptSection } from './schema-script.js';
import { type SchemaArchive, dumpSchema } from './schema-steps.js';

/** The schema as it will be restored: both sections' scripts with roles mapped, and the roles to create first. */
export interface SchemaPlan {
  readonly archive: SchemaArchive;
  readonly pre: SchemaScript;
  readonly post: SchemaScript;
  /** Missing roles to create (NOLOGIN) before the restore: missingRoles: create. */
  readonly createRoles: readonly string[];
  readonly roles: readonly InvolvedRole[];
  /**
   * Source roles as the target names them, for what the copy applies itself (large objects,
   * database properties): undefined for a missing role under target-user.
   */
  readonly mapRole: RoleMapper;
  /** Whether the connecting user on the target server is a superuser. */
  readonly targetSuperuser: boolean;
}

/**
 * Refuses a copy whose source server cannot hold its locks: pg_dump and the copy's snapshot
 * each lock every table until the end. Read on the source, before anything is created.
 */
export async function checkLockCapacity(source: pg.ClientBase, where: ConnectionTarget): Promise<void> {
  const facts = await source.query<{ locks: string; connections: string; others: string; prepared: string; relations: string }>(
    `SELECT current_setting('max_locks_per_transaction') AS locks, current_setting('max_connections') AS connections,
            coalesce(current_setting('autovacuum_worker_slots', true), current_setting('autovacuum_max_workers'))::int + 1
              + current_setting('max_worker_processes')::int + current_setting('max_wal_senders')::int AS others,
            current_setting('max_prepared_transactions') AS prepared,
            (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't'
                AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'
                AND NOT EXISTS (SELECT 1 FROM pg_depend d
                                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')) AS relations`,
  );
  const row = facts.rows[0]!;
  const reason = lockCapacityReason({
    server: `${where.host}:${where.port}`,
    maxLocksPerTransaction: Number(row.locks),
    maxConnections: Number(row.connections),
    otherBackends: Number(row.others),
    maxPreparedTransactions: Number(row.prepared),
    lockedRelations: Number(row.relations),
  });
  if (reason) throw new RefusedError([reason]);
}

/**
 * Dumps the schema inside the source snapshot, writes both sections as SQL and applies the
 * profile's role map and missing-role policy, against the target server's roles. Runs before
 * CREATE DATABASE, so a refusal leaves nothing behind.
 */
export async function planSchema(options: {
  readonly tools: PgTools;
  readonly sourceUrl: string;
  readonly snapshot: string;
  readonly folder: string;
  readonly profile: Profile;
  /** A session on the target server (any database). */
  readonly targetServer: pg.ClientBase;
  readonly target: ConnectionTarget;
  /** Source roles named outside the schema script (large objects, database properties). */
  readonly otherRoles: readonly string[];
  readonly warn: (message: string) => void;
}): Promise<SchemaPlan> {
  const archive = await dumpSchema(options.tools, options.sourceUrl, options.snapshot, options.folder);
  const scripts = [await scriptSection(options.tools, archive.file, 'pre-data'), await scriptSection(options.tools, archive.file, 'post-data')];
  checkAgainstListing(scripts, archive.listing);
  const existing = await options.targetServer.query<{ rolname: string; me: string; superuser: boolean }>(
    'SELECT rolname, current_user AS me, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser FROM pg_roles',
  );
  const targetRoles = new Set(existing.rows.map((r) => r.rolname));
  const targetUser = existing.rows[0]?.me ?? '';
  const setRole = existing.rows[0]?.superuser === false;
  const roleMap = options.profile.roles;
  const roles = involvedRoles(scripts, roleMap, targetRoles, options.otherRoles);
  const missing = [...new Set(roles.filter((r) => !r.exists).map((r) => r.target))].sort();
  const policy = options.profile.missingRoles;
  const server = `${options.target.host}:${options.target.port}`;
  if (missing.length > 0 && policy === 'refuse') {
    const first = missing[0]!;
    throw new RefusedError([
      {
        code: 'ROLES_MISSING',
        message: `roles the source's objects are owned by or granted to do not exist on the target server ${server}: ${missing.join(', ')}`,
        remedy: `create them, map them (profile roles: { ${first}: existing_role }, dataalm copy --role-map ${first}=existing_role) or set missingRoles: create | target-user`,
      },
    ]);
  }
  const report: RewriteReport = { ownersReplaced: 0, grantsDropped: 0, defaultsDropped: 0, policiesChanged: 0 };
  const gone = new Set(policy === 'target-user' ? missing : []);
  const rewrite = (script: SchemaScript): SchemaScript => ({
    ...script,
    entries: script.entries.flatMap((entry) => {
      // A mirror's publication on the source is dataalm's machinery: never copied.
      if (entry.type.startsWith('PUBLICATION') && entry.name.startsWith(MIRROR_OBJECT_PREFIX)) return [];
      const rewritten = rewriteEntry(entry, { roleMap, missing: gone, policy, targetUser, setRole }, report);
      return rewritten ? [rewritten] : [];
    }),
  });
  const [pre, post] = scripts.map(rewrite) as [SchemaScript, SchemaScript];
  if (missing.length > 0 && policy === 'create') {
    options.warn(`roles missing on ${server} are created there (NOLOGIN, no privileges beyond the copy's grants): ${missing.join(', ')}`);
  }
  if (missing.length > 0 && policy === 'target-user') {
    options.warn(
      `roles missing on ${server}: ${missing.join(', ')}; what they owned belongs to ${targetUser} (${report.ownersReplaced} objects), ` +
        `${report.grantsDropped} grants to or by them and ${report.defaultsDropped} default privileges of theirs were not copied, ` +
        `${report.policiesChanged} policies no longer name them`,
    );
  }
  const mapRole: RoleMapper = (role) => {
    const mapped = mappedRole(roleMap, role);
    return gone.has(mapped) ? undefined : mapped;
  };
  return { archive, pre, post, createRoles: policy === 'create' ? missing : [], roles, mapRole, targetSuperuser: !setRole };
}

/** Column types that hold large-object references (lo is the lo extension's domain over oid). */
const LARGE_OBJECT_REFERENCE = /^(oid|(\w+\.)?lo)$/;

/**
 * Large objects are copied whole, outside the tables (copyLargeObjects). A table whose
 * rows the profile does not copy as they are, but which refers to large objects, would end
 * up wrong: a cleared or masked reference leaves the objects it named (production's content)
 * in the sandbox, and a kept row's reference names the target's object, which the copy
 * replaces. Both are refused before anything is created.
 */
export function checkLargeObjectReferences(
  plan: CopyPlan,
  source: SourceCatalog,
  keepFrom: SourceCatalog | undefined,
  where: ConnectionTarget,
): void {
  const types = new Map(source.tables.map((t) => [`${t.schema}.${t.name}`, new Map(t.columns.map((c) => [c.name, c.type]))]));
  const refersTo = (table: CopyPlan['tables'][number], columns: readonly string[]) =>
    columns.filter((c) => LARGE_OBJECT_REFERENCE.test(types.get(`${table.schema}.${table.name}`)?.get(c) ?? ''));
  const found: string[] = [];
  for (const table of plan.tables) {
    const name = `${table.schema}.${table.name}`;
    if (source.largeObjects > 0) {
      const dropped = table.mode === 'clear' ? refersTo(table, table.columns) : refersTo(table, table.masked);
      for (const column of dropped) found.push(`${name}.${column} is ${table.mode === 'clear' ? 'cleared' : 'masked'}, but the source's large objects it refers to would be copied`);
    }
    if ((keepFrom?.largeObjects ?? 0) > 0) {
      const kept = table.mode === 'keep-rows' ? refersTo(table, table.columns) : refersTo(table, table.keepColumns);
      for (const column of kept) found.push(`${name}.${column} is kept from the target, but the target's large objects it refers to are replaced by the source's`);
    }
  }
  if (found.length === 0) return;
  throw new RefusedError([
    {
      code: 'COPY_UNSUPPORTED',
      message: `large objects (${where.host}:${where.port}/${where.database}) are copied whole, so these references would not match the profile: ${found.slice(0, 5).join('; ')}${found.length > 5 ? `; and ${found.length - 5} more` : ''}; nothing was created`,
      remedy: 'copy those columns as they are (rule action copy), or remove the large objects they refer to from the source first',
    },
  ]);
}
