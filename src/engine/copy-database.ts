import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import type { Profile } from '../domain/profile/profile-schema.js';
import { type ConnectionTarget, parseConnectionUrl } from '../adapters/postgres/connection-url.js';
import { unreachable } from '../adapters/postgres/database-probe.js';
import { findPgTools } from '../adapters/postgres/pg-tools.js';
import { connectMaintenance, dropDatabaseIfExists } from '../adapters/postgres/database-admin.js';
import { type SourceCatalog, readSourceCatalog } from '../adapters/postgres/source-catalog.js';
import { assertCopyNeeds } from '../adapters/postgres/copy-privileges.js';
import { type CopyEvent, type CopyResult, phaseClock } from './copy-events.js';
import { type CopyPlan, planCopy } from './copy-plan.js';
import { verifyCopy } from './copy-verify.js';
import { verifyCatalog } from './catalog-fingerprint.js';
import { connectCopySession } from './copy-session.js';
import { copyTableData, openSnapshotClient, renewSnapshot as renewSnapshotOf } from './copy-workers.js';
import { type PropertiesFrom, applyDatabaseProperties, giveOwnerFirst, readDatabaseProperties, chooseDatabaseProperties, databasePropertyRoles } from '../adapters/postgres/database-properties.js';
import { copyLargeObjects, largeObjectRoles } from './large-objects.js';
import { IndexBuilder } from './index-builder.js';
import { applyKeptColumns } from './kept-columns.js';
import { quoteIdent, quoteLiteral } from './mask-sql.js';
import { ProgressMeter } from './progress-meter.js';
import { checkLargeObjectReferences, checkLockCapacity, planSchema } from './copy-preflight.js';
import { describePgError } from './describe-pg-error.js';
import { runPostData, runPreData } from './schema-runner.js';
import { copySequences, countNeverCopied, refreshMatviews } from './schema-steps.js';

export interface CopyOptions {
  readonly sourceUrl: string;
  /** A database that must not exist yet; it is created, and removed again if the copy fails. */
  readonly targetUrl: string;
  /** The target environment's current database: where keep-target rows and columns come from. */
  readonly keepFromUrl: string | undefined;
  readonly profile: Profile;
  /** Salt of the masks when the profile names none; keep it secret and stable. */
  readonly maskKey: string;
  readonly jobs: number;
  readonly verify: 'counts' | 'checksums';
  /** Folder with pg_dump/pg_restore. (Default: the newest on PATH and in the usual install folders; see findPgTools) */
  readonly pgBin: string | undefined;
  /** Tables larger than this are copied in parts by several workers. (Default: see PlanOptions) */
  readonly splitBytes?: number | undefined;
  readonly onEvent?: (event: CopyEvent) => void;
  /** Folder for the schema archive; the caller removes it. (Default: a new temporary folder) */
  readonly workDir?: string;
  /**
   * Stops the copy at the next phase. A caller that must stop it at once also drops the
   * target database (WITH FORCE), which ends every statement working on it.
   */
  readonly signal?: AbortSignal;
  /** Overrides the profile's databaseProperties. (Default: the profile's, else 'source') */
  readonly databaseProperties?: PropertiesFrom;
  /**
   * Called in the verify phase with the finished copy and the keep-from database's
   * snapshot (the state the kept rows were read in), for checks of the kept data.
   */
  readonly inspectKept?: (copy: pg.Client, keepSnapshot: pg.Client) => Promise<void>;
  /**
   * An exported snapshot of the source that the caller holds (a replication slot's, so that
   * replication starts exactly where the copy's data ends). (Default: the copy exports its own)
   */
  readonly snapshot?: string;
  /** Called inside the snapshot, before anything is created: the caller may read the source as the copy sees it. */
  readonly inSnapshot?: (source: pg.Client, catalog: SourceCatalog) => Promise<void>;
}


/** A client inside an exported snapshot; the snapshot lives as long as this transaction. */
interface SnapshotHolder {
  readonly client: pg.Client;
  readonly snapshot: string;
}

/**
 * Copies a live database into a new one from one consistent snapshot: schema (pre-data),
 * table data in parallel with the profile applied in flight, kept columns, indexes and
 * constraints in parallel (post-data), sequences, materialized views, then verification.
 * A failure removes the half-made database; the source is only ever read.
 */
export async function copyDatabase(options: CopyOptions): Promise<CopyResult> {
  const emit = options.onEvent ?? (() => {});
  const clock = phaseClock(emit, options.signal);
  const { phase, done } = clock;

  phase('preflight');
  const source = parseConnectionUrl(options.sourceUrl, 'from (--from)');
  const target = parseConnectionUrl(options.targetUrl, 'to (--to)');
  const keepTarget = options.keepFromUrl === undefined ? undefined : parseConnectionUrl(options.keepFromUrl, 'keep-from (--keep-from)');
  if (sameDatabase(source, target) || (keepTarget && sameDatabase(keepTarget, target))) {
    throw new DataalmError('INVALID_INPUT', 'to (--to): must name a new database, not the source or keep-from database', { field: 'to' });
  }
  if (!(Number.isInteger(options.jobs) && options.jobs >= 1 && options.jobs <= 64)) {
    throw new DataalmError('INVALID_INPUT', 'jobs (--jobs): must be a whole number from 1 to 64', { field: 'jobs' });
  }
  const warnings: string[] = [];
  const warn = (message: string) => {
    warnings.push(message);
    emit({ type: 'warning', message });
  };
  const holders: SnapshotHolder[] = [];
  let admin: pg.Client | undefined;
  let created = false;
  const createdRoles: string[] = [];
  let folder: string | undefined;
  let builder: IndexBuilder | undefined;
  try {
    const sourceHolder = await holdSnapshot(options.sourceUrl, source, 'from (--from)', options.snapshot);
    holders.push(sourceHolder);
    // What the connecting users need (privileges, memberships, extensions): all reasons at once.
    await assertCopyNeeds(sourceHolder.client, options.targetUrl, {
      roleMap: options.profile.roles,
      missingRoles: options.profile.missingRoles,
      sourceName: `${source.host}:${source.port}/${source.database}`,
      targetName: `${target.host}:${target.port}`,
    });
    const catalog = await readSourceCatalog(sourceHolder.client);
    await options.inSnapshot?.(sourceHolder.client, catalog);
    await checkLockCapacity(sourceHolder.client, source);
    if (catalog.extensionsWithConfig.length > 0) {
      warn(`the configuration tables of extension(s) ${catalog.extensionsWithConfig.join(', ')} are not copied`);
    }
    let keepHolder: SnapshotHolder | undefined;
    let keepCatalog: SourceCatalog | undefined;
    if (options.keepFromUrl !== undefined) {
      keepHolder = await holdSnapshot(options.keepFromUrl, keepTarget!, 'keep-from (--keep-from)');
      holders.push(keepHolder);
      keepCatalog = await readSourceCatalog(keepHolder.client);
    }
    // Database-level properties (settings, comment, ACL, owner): read now, applied last.
    const propertiesFrom = options.databaseProperties ?? options.profile.databaseProperties ?? 'source';
    const databaseProperties = await chooseDatabaseProperties(propertiesFrom, sourceHolder.client, keepHolder?.client, warn);
    // Whose the new database will be, for a non-superuser's restore (giveOwnerFirst).
    const owner =
      databaseProperties ?? (propertiesFrom === 'caller' && keepHolder ? { properties: await readDatabaseProperties(keepHolder.client), mapRole: (role: string) => role } : undefined);
    const plan = planCopy(catalog, options.profile, {
      jobs: options.jobs,
      keepFrom: keepHolder !== undefined,
      maskKey: options.maskKey,
      splitBytes: options.splitBytes,
    });
    if (keepCatalog) checkKeepFrom(plan, keepCatalog);
    checkLargeObjectReferences(plan, catalog, keepCatalog, source);
    // As pg_dump does: hold ACCESS SHARE locks until the end, so a TRUNCATE or ALTER on the
    // source (not MVCC-safe) waits for the copy instead of emptying a table under it.
    // Ordinary reads and writes go on.
    await lockTables(sourceHolder.client, plan.tables.filter((t) => t.mode !== 'clear' && t.mode !== 'keep-rows'));
    if (keepHolder) await lockTables(keepHolder.client, plan.tables.filter((t) => t.mode === 'keep-rows' || t.mode === 'keep-columns'));

    admin = await connectMaintenance(options.targetUrl, 'to (--to)');
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [target.database]);
    if (exists.rowCount !== 0) {
      throw new DataalmError('ALREADY_EXISTS', `to (--to): database "${target.database}" already exists on ${target.host}:${target.port}; nothing was changed`, {
        field: 'to',
        remedy: 'name a database that does not exist yet',
      });
    }
    const targetMajor = Math.floor(Number((await admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v) / 10000);
    const tools = findPgTools({ source: catalog.serverMajor, target: targetMajor }, options.pgBin);
    folder = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-copy-'));
    // The schema is dumped, scripted and checked against the target's roles before anything is created.
    const schema = await planSchema({
      tools,
      sourceUrl: options.sourceUrl,
      snapshot: sourceHolder.snapshot,
      folder,
      profile: options.profile,
      targetServer: admin,
      target,
      // The keep-from database's properties name the target server's roles already.
      otherRoles: [...(await largeObjectRoles(sourceHolder.client)), ...(databaseProperties && !databaseProperties.mapRole ? databasePropertyRoles(databaseProperties.properties) : [])],
      warn,
    });
    const { mapRole } = schema;
    const mappings = countNeverCopied(schema.archive);
    if (mappings > 0) warn(`${mappings} user mappings (credentials of foreign servers) were not copied`);
    done('preflight');

    phase('schema');
    for (const role of schema.createRoles) {
      await admin.query(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
      createdRoles.push(role);
      // A non-superuser creator is no member of the role it made (16+: ADMIN only), and
      // giving it objects needs membership.
      if (!schema.targetSuperuser) await admin.query(`GRANT ${quoteIdent(role)} TO CURRENT_USER${targetMajor >= 16 ? ' WITH INHERIT TRUE, SET TRUE' : ''}`);
    }
    await admin.query(`CREATE DATABASE ${quoteIdent(target.database)} TEMPLATE template0 ENCODING ${quoteLiteral(catalog.encoding)}`);
    created = true;
    const made = await admin.query<{ collate: string; ctype: string }>(
      'SELECT datcollate AS collate, datctype AS ctype FROM pg_database WHERE datname = $1',
      [target.database],
    );
    const locale = made.rows[0]!;
    if (locale.collate !== catalog.locale.collate || locale.ctype !== catalog.locale.ctype) {
      warn(
        `the copy uses the target server's locale (collate ${locale.collate}, ctype ${locale.ctype}), not the source's (${catalog.locale.collate}, ${catalog.locale.ctype}): text sorts may differ`,
      );
    }
    if (owner) await giveOwnerFirst(admin, target.database, owner, mapRole);
    await runPreData(options.targetUrl, schema.pre);
    done('schema');

    phase('data');
    const meter = new ProgressMeter(plan, emit);
    builder = new IndexBuilder(options.targetUrl, options.jobs);
    const indexes = builder;
    const counts = await copyTableData(plan, {
      sourceUrl: options.sourceUrl,
      targetUrl: options.targetUrl,
      keepFromUrl: options.keepFromUrl,
      snapshot: sourceHolder.snapshot,
      keepFromSnapshot: keepHolder?.snapshot,
      jobs: options.jobs,
      onBytes: (bytes) => meter.addBytes(bytes),
      onTableDone: (table, rows, bytes, s) => meter.tableDone(table, rows, bytes, s),
      onTableLoaded: (table) => indexes.add(table),
    });
    // Large objects: with their OIDs (tables refer to them by OID), owners, comments, grants.
    const objects = await copyLargeObjects({ ...sourceAndTarget(options, sourceHolder.snapshot), mapRole, onBytes: (bytes) => meter.addBytes(bytes) });
    if (objects.skippedGrantees.length > 0) warn(`grants on large objects to ${objects.skippedGrantees.join(', ')} were not copied: the target server has no such roles`);
    meter.finish();
    done('data');

    const targetClient = await connectCopySession(options.targetUrl, 'finish');
    try {
      // Kept rows and columns go in before the post-data section, so the application's
      // triggers and foreign keys (not there yet) never fire on the target's own values.
      phase('keep');
      if (keepHolder) await applyKeptColumns(plan, targetClient, keepHolder.client);
      done('keep');

      phase('constraints');
      await indexes.finish();
      await runPostData(options.targetUrl, schema.pre, schema.post, options.jobs, indexes.built);
      await copySequences(sourceHolder.client, targetClient, catalog);
      await refreshMatviews(targetClient, catalog);
      done('constraints');

      phase('verify');
      // Schema first, in every verify mode: an object the copy lacks is a silent loss.
      await verifyCatalog(sourceHolder.client, targetClient, { expectRole: schema.mapRole });
      // Counted on a session of its own in the snapshot, renewed every few tables: the
      // snapshot's holder keeps only its table locks.
      const counter = await openSnapshotClient(options.sourceUrl, sourceHolder.snapshot);
      try {
        const renewSnapshot = () => renewSnapshotOf(counter, sourceHolder.snapshot);
        await verifyCopy(plan, targetClient, { snapshot: counter, keepFrom: keepHolder?.client, renewSnapshot }, options.verify === 'checksums');
      } finally {
        await counter.end().catch(() => {});
      }
      if (keepHolder && options.inspectKept) await options.inspectKept(targetClient, keepHolder.client);
      // Last of all, so a setting such as default_transaction_read_only never reaches the copy's own sessions.
      if (databaseProperties) await applyDatabaseProperties(targetClient, target.database, databaseProperties, mapRole, warn);
      done('verify');
    } finally {
      await targetClient.end().catch(() => {});
    }
    return result(plan, counts, options, target.database, clock.all(), warnings);
  } catch (error) {
    await builder?.finish().catch(() => {});
    let cleanup = '';
    if (created && admin) {
      cleanup = await dropDatabaseIfExists(admin, target.database)
        .then(
          () => '; the new database was removed',
          (dropError: Error) => `; the new database "${target.database}" could NOT be removed (${dropError.message}): drop it by hand`,
        );
    }
    // Roles made for this copy (missingRoles: create) go with it.
    for (const role of admin ? createdRoles : []) {
      await admin!.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`).catch((dropError: Error) => {
        cleanup += `; role ${role} made for the copy could NOT be removed (${dropError.message})`;
      });
    }
    if (error instanceof DataalmError) {
      throw cleanup && !error.message.includes('removed') ? new DataalmError(error.code, `${error.message}${cleanup}`, { cause: error }) : error;
    }
    throw new DataalmError('COPY_FAILED', `copy failed: ${describePgError(error)}${cleanup}`, { cause: error });
  } finally {
    for (const holder of holders) await holder.client.end().catch(() => {});
    await admin?.end().catch(() => {});
    if (folder && options.workDir === undefined) fs.rmSync(folder, { recursive: true, force: true });
  }
}

async function lockTables(client: pg.Client, tables: readonly { qualifiedName: string }[]): Promise<void> {
  if (tables.length === 0) return;
  await client.query(`LOCK TABLE ${tables.map((t) => `ONLY ${t.qualifiedName}`).join(', ')} IN ACCESS SHARE MODE`);
}

function sourceAndTarget(options: CopyOptions, snapshot: string) {
  return { sourceUrl: options.sourceUrl, targetUrl: options.targetUrl, snapshot, jobs: options.jobs };
}

function sameDatabase(a: ConnectionTarget, b: ConnectionTarget): boolean {
  return a.host === b.host && a.port === b.port && a.database === b.database;
}

async function holdSnapshot(url: string, where: ConnectionTarget, field: string, imported?: string): Promise<SnapshotHolder> {
  let client: pg.Client;
  try {
    client = await connectCopySession(url, 'snapshot');
  } catch (cause) {
    throw unreachable(where, field, cause);
  }
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    if (imported !== undefined) {
      await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(imported)}`);
      return { client, snapshot: imported };
    }
    const snapshot = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    return { client, snapshot };
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
}


function checkKeepFrom(plan: CopyPlan, keepCatalog: SourceCatalog): void {
  const tables = new Map(keepCatalog.tables.map((t) => [`${t.schema}.${t.name}`, new Set(t.columns.map((c) => c.name))]));
  for (const table of plan.tables.filter((t) => t.mode === 'keep-rows' || t.mode === 'keep-columns')) {
    const columns = tables.get(`${table.schema}.${table.name}`);
    const needed = table.mode === 'keep-rows' ? table.columns : [...table.primaryKey, ...table.keepColumns];
    const missing = columns ? needed.filter((c) => !columns.has(c)) : undefined;
    if (!columns || missing!.length > 0) {
      throw new DataalmError(
        'INVALID_INPUT',
        `keep-from (--keep-from): ${table.schema}.${table.name} ${columns ? `lacks column ${missing![0]}` : 'does not exist'} there, so its rows cannot be kept`,
        { field: 'keepFrom' },
      );
    }
  }
}

function result(
  plan: CopyPlan,
  counts: Map<string, { rows: number; bytes: number }>,
  options: CopyOptions,
  database: string,
  seconds: CopyResult['seconds'],
  warnings: string[],
): CopyResult {
  const tableResults = plan.tables.map((t) => ({
    table: `${t.schema}.${t.name}`,
    mode: t.mode,
    rows: counts.get(t.qualifiedName)?.rows ?? 0,
    bytes: counts.get(t.qualifiedName)?.bytes ?? 0,
    masked: t.masked.filter((c) => !t.keepColumns.includes(c)),
    keptColumns: t.keepColumns,
  }));
  return {
    database,
    profile: options.profile.name,
    jobs: options.jobs,
    tables: plan.tables.length,
    rows: tableResults.reduce((s, t) => s + t.rows, 0),
    bytes: tableResults.reduce((s, t) => s + t.bytes, 0),
    verified: options.verify,
    warnings,
    seconds,
    tableResults,
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
