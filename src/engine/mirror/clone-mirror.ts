import pg from 'pg';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type { MirrorTables } from '../../domain/mirror.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import { parseConnectionUrl, withDatabase } from '../../adapters/postgres/connection-url.js';
import { connectMaintenance, databaseExists, dropDatabaseIfExists } from '../../adapters/postgres/database-admin.js';
import { applyDatabaseProperties, chooseDatabaseProperties } from '../../adapters/postgres/database-properties.js';
import { type SourceCatalog, readSourceCatalog } from '../../adapters/postgres/source-catalog.js';
import { type CopyEvent, type CopyResult, phaseClock } from '../copy-events.js';
import { type CopyPlan, type TablePlan, planCopy } from '../copy-plan.js';
import { connectCopySession } from '../copy-session.js';
import { verifyCopy } from '../copy-verify.js';
import { copyTableData, openSnapshotClient, renewSnapshot } from '../copy-workers.js';
import { applyKeptColumns } from '../kept-columns.js';
import { copyLargeObjects } from '../large-objects.js';
import { quoteIdent } from '../mask-sql.js';
import { copySequences, refreshMatviews } from '../schema-steps.js';
import { compareWithMirror, checkForeignKeys, replicatedTablesOf } from './clone-checks.js';
import { cloneDatabase } from './file-copy.js';
import { type KeptUnchanged, keptToReload, readKeptRecords } from './kept-tables.js';
import { MACHINERY_SCHEMA, MASK_TRIGGER, removeMachinery } from './mask-triggers.js';
import type { MirrorNames } from './mirror-names.js';
import { takeSpare } from './spare.js';
import { pauseSubscription, resumeSubscription, waitForCatchUp } from './subscription-control.js';
import { schemaFingerprint } from '../catalog-fingerprint.js';

/** The mirror cannot be used for this refresh; nothing was created. The caller copies instead, saying why. */
export class MirrorUnusable extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'MirrorUnusable';
  }
}

export interface CloneOptions {
  readonly sourceUrl: string;
  /** The target's live database: where kept rows come from; the mirror is on its server. */
  readonly targetUrl: string;
  /** The new database, on the target's server. */
  readonly stagingUrl: string;
  readonly mirror: { readonly names: MirrorNames; readonly tables: MirrorTables; readonly schemaFingerprint: string | null };
  /** The mirror's spare, taken by this refresh (spare.ts): it becomes the clone by a rename, and the mirror is not paused. */
  readonly spare?: MirrorNames;
  readonly profile: Profile;
  readonly maskKey: string;
  readonly jobs: number;
  readonly verify: 'counts' | 'checksums';
  /** Who owns the clone: the target environment's user, as when it creates a copy itself. */
  readonly owner: string;
  /** Whose database-level properties the clone gets: 'caller' (the cutover gives the live one's) or the source's. */
  readonly databaseProperties: 'caller' | 'source';
  /** How long to wait for the mirror to catch up with the source before pausing it. */
  readonly catchUpMs: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: CopyEvent) => void;
  /** The subscription was paused (true) or resumed (false): recorded, so a crash in between is undone. */
  readonly onPaused?: (paused: boolean) => Promise<void>;
  /**
   * Checks of the kept data, given the clone and the target's snapshot, and `known`: the kept
   * tables ("schema.table") whose rows were found equal on both sides, with their tableHash.
   */
  readonly inspectKept?: (copy: pg.Client, keepSnapshot: pg.Client, known: ReadonlyMap<string, string>) => Promise<void>;
  /** Called with the subscription paused, before ('paused') and after ('cloned') the clone is made (fault tests). */
  readonly fault?: (point: 'mirror:paused' | 'mirror:cloned' | 'mirror:spare-taken') => void;
}

export interface CloneResult extends CopyResult {
  readonly method: 'mirror';
  /** WAL of the source the mirror had not confirmed when it was paused (0: caught up). */
  readonly lagBytes: number;
  /** Every change the source committed before this moment is in the clone (null: the mirror had not caught up with it). */
  readonly dataFrom: string | null;
  /** Tables copied from the source at refresh time, and kept from the target. */
  readonly refreshTimeTables: readonly string[];
  /** Tables kept whole from the target whose rows came with the clone (the target's rows were the seed's), and how that was told. */
  readonly keptWithClone: readonly { readonly table: string; readonly by: KeptUnchanged['by'] }[];
  /**
   * How the clone was made: the mirror's files copied by the server (`copy`) or by the file
   * system's clone call (`clone`: PostgreSQL 18, file_copy_method = clone); or the mirror's
   * spare renamed (`spare`: nothing copied during the refresh).
   */
  readonly fileCopy: 'clone' | 'copy' | 'spare';
}

/**
 * A refresh's copy from the mirror (DESIGN §8), in the copy's phases:
 * - preflight: a snapshot of the source (for what the mirror does not replicate), the
 *   source's schema still the mirror's, the mirror caught up with the snapshot's moment,
 *   then its subscription paused (at a transaction boundary: the apply worker commits whole
 *   transactions);
 * - schema: the clone, a file copy of the mirror (CREATE DATABASE … TEMPLATE), compared with
 *   the paused mirror; the subscription resumed; the mirror's machinery removed from the clone;
 * - data: the tables copied at refresh time, large objects, sequences, from the snapshot;
 * - keep: the target's kept rows and columns;
 * - constraints: the foreign keys that touch reloaded tables checked, materialized views refreshed;
 * - verify: reloaded tables' counts against the snapshot, the kept data, no machinery left.
 * A failure removes the clone; the subscription is resumed whatever happens.
 */
export async function cloneMirror(options: CloneOptions): Promise<CloneResult> {
  const emit = options.onEvent ?? (() => {});
  const clock = phaseClock(emit, options.signal);
  const { phase, done } = clock;
  const { names, tables } = options.mirror;
  const staging = parseConnectionUrl(options.stagingUrl, 'staging').database;
  const mirrorUrl = withDatabase(options.targetUrl, names.database);
  const clients: pg.Client[] = [];
  const open = async (client: Promise<pg.Client>) => {
    const c = await client;
    clients.push(c);
    return c;
  };
  let admin: pg.Client | undefined;
  let paused = false;
  let created = false;
  try {
    phase('preflight');
    admin = await connectMaintenance(options.targetUrl, 'target');
    if (!(await databaseExists(admin, names.database))) throw new MirrorUnusable(`the mirror database ${names.database} is gone: resync the mirror`);
    if (await databaseExists(admin, staging)) throw new DataalmError('ALREADY_EXISTS', `database "${staging}" already exists on the target's server`);
    const source = await open(connectCopySession(options.sourceUrl, 'snapshot'));
    await source.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await source.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    if (options.mirror.schemaFingerprint !== null && (await schemaFingerprint(source)) !== options.mirror.schemaFingerprint) {
      throw new MirrorUnusable("the source's schema changed since the mirror was seeded (DDL is not replicated): resync the mirror");
    }
    const catalog = await readSourceCatalog(source);
    const plan = planCopy(catalog, options.profile, { jobs: options.jobs, keepFrom: true, maskKey: options.maskKey, splitBytes: undefined });
    const keepHolder = await open(connectCopySession(options.targetUrl, 'snapshot'));
    await keepHolder.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const keepSnapshot = (await keepHolder.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0]!.s;
    // Every change committed before the snapshot: the mirror is to have it before it is paused.
    const moment = (await source.query<{ lsn: string; at: Date }>('SELECT pg_current_wal_lsn()::text AS lsn, clock_timestamp() AS at')).rows[0]!;
    const track = { paused: (p: boolean) => (paused = p), created: () => (created = true), phase, done };
    const { caughtUp, lagBytes, fileCopy, compared: copied } = options.spare
      ? await fromSpare(options, options.spare, staging, moment.lsn, track)
      : await fromMirror(options, admin, mirrorUrl, staging, moment.lsn, track);
    const clone = await open(connectCopySession(options.stagingUrl, 'finish'));
    // A spare was compared with the mirror when it was made: its replicated tables are all there.
    const compared = copied ?? (await replicatedTablesOf(clone, tables.published));
    await clone.query('SET session_replication_role = replica');
    const seededKept = await readKeptRecords(clone);
    await removeMachinery(clone);
    done('schema');

    phase('data');
    const refreshTime = new Set(tables.refreshTime.map((t) => t.table));
    const reloaded = plan.tables.filter((t) => refreshTime.has(`${t.schema}.${t.name}`));
    // Kept whole from the target: the mirror has the target's rows of its seed; those the
    // target has not changed since need no copy.
    const { reload: kept, unchanged } = await keptToReload(clone, keepHolder, plan.tables.filter((t) => t.mode === 'keep-rows'), seededKept);
    await emptyTables(clone, [...reloaded, ...kept]);
    const counts = await copyInto(reloaded, options, snapshot, undefined, emit);
    const objects = await copyObjects(clone, catalog, options, snapshot);
    await copySequences(source, clone, catalog);
    done('data');

    phase('keep');
    await copyInto(kept, options, snapshot, keepSnapshot, emit);
    await applyKeptColumns(plan, clone, keepHolder);
    done('keep');

    phase('constraints');
    const changed = [...reloaded, ...kept, ...plan.tables.filter((t) => t.mode === 'keep-columns')];
    await checkForeignKeys(clone, changed);
    await refreshMatviews(clone, catalog);
    done('constraints');

    phase('verify');
    await verifyNoMachinery(clone);
    const counter = await open(openSnapshotClient(options.sourceUrl, snapshot));
    const subPlan: CopyPlan = { tables: [...reloaded, ...kept], totalBytes: 0 };
    await verifyCopy(subPlan, clone, { snapshot: counter, keepFrom: keepHolder, renewSnapshot: () => renewSnapshot(counter, snapshot) }, options.verify === 'checksums');
    await options.inspectKept?.(clone, keepHolder, new Map([...unchanged].map(([name, u]) => [name, u.hash])));
    if (options.databaseProperties === 'source') {
      const warnings: string[] = [];
      const chosen = await chooseDatabaseProperties('source', source, undefined, (w) => warnings.push(w));
      const mapRole = (role: string) => options.profile.roles[role] ?? role;
      if (chosen) await applyDatabaseProperties(clone, staging, chosen, mapRole, (w) => warnings.push(w));
      for (const warning of warnings) emit({ type: 'warning', message: warning });
    }
    done('verify');

    const tableResults = plan.tables.map((t) => {
      const name = `${t.schema}.${t.name}`;
      const rows = counts.get(t.qualifiedName)?.rows ?? compared.rows.get(name) ?? 0;
      return { table: name, mode: t.mode, rows, bytes: counts.get(t.qualifiedName)?.bytes ?? 0, masked: t.masked.filter((c) => !t.keepColumns.includes(c)), keptColumns: t.keepColumns };
    });
    return {
      method: 'mirror',
      database: staging,
      profile: options.profile.name,
      jobs: options.jobs,
      tables: plan.tables.length,
      rows: tableResults.reduce((s, t) => s + t.rows, 0),
      bytes: compared.bytes + [...counts.values()].reduce((s, c) => s + c.bytes, 0) + objects,
      verified: options.verify,
      warnings: [],
      seconds: clock.all(),
      tableResults,
      lagBytes,
      dataFrom: caughtUp ? moment.at.toISOString() : null,
      refreshTimeTables: [...reloaded, ...kept].map((t) => `${t.schema}.${t.name}`),
      keptWithClone: [...unchanged].map(([table, u]) => ({ table, by: u.by })),
      fileCopy,
    };
  } catch (error) {
    if (paused) {
      await resumeSubscription(mirrorUrl, names.subscription).then(
        () => options.onPaused?.(false),
        () => {},
      );
    }
    if (created && admin) await dropDatabaseIfExists(admin, staging).catch(() => {});
    throw error;
  } finally {
    for (const client of clients) await client.end().catch(() => {});
    await admin?.end().catch(() => {});
  }
}

interface Made {
  readonly caughtUp: boolean;
  readonly lagBytes: number;
  readonly fileCopy: CloneResult['fileCopy'];
  /** The clone compared with the paused mirror (undefined: a spare, compared when it was made). */
  readonly compared: { rows: Map<string, number>; bytes: number } | undefined;
}

type Phases = Pick<ReturnType<typeof phaseClock>, 'phase' | 'done'>;

/**
 * The clone as a file copy of the mirror: the mirror caught up with the refresh's moment and
 * paused, copied, compared with the copy, and resumed.
 */
async function fromMirror(
  options: CloneOptions,
  admin: pg.Client,
  mirrorUrl: string,
  staging: string,
  lsn: string,
  track: Phases & { paused: (paused: boolean) => void; created: () => void },
): Promise<Made> {
  const { names, tables } = options.mirror;
  const caughtUp = await waitForCatchUp(options.sourceUrl, names.slot, lsn, options.catchUpMs, options.signal);
  await options.onPaused?.(true);
  track.paused(true);
  const lagBytes = await pauseSubscription(mirrorUrl, options.sourceUrl, names);
  options.fault?.('mirror:paused');
  track.done('preflight');

  track.phase('schema');
  const major = Number((await admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
  track.created();
  const fileCopy = await cloneDatabase(admin, major, `${quoteIdent(staging)} TEMPLATE ${quoteIdent(names.database)} OWNER ${quoteIdent(options.owner)}`);
  options.fault?.('mirror:cloned');
  const compared = await compareWithMirror(mirrorUrl, options.stagingUrl, tables.published, options.verify === 'checksums');
  await resumeSubscription(mirrorUrl, names.subscription);
  track.paused(false);
  await options.onPaused?.(false);
  return { caughtUp, lagBytes, fileCopy, compared };
}

/** The clone as the mirror's spare, renamed (spare.ts). */
async function fromSpare(options: CloneOptions, spare: MirrorNames, staging: string, lsn: string, track: Phases & { created: () => void }): Promise<Made> {
  track.created();
  const { caughtUp, lagBytes } = await takeSpare({
    sourceUrl: options.sourceUrl,
    targetUrl: options.targetUrl,
    spare,
    staging,
    owner: options.owner,
    lsn,
    catchUpMs: options.catchUpMs,
    signal: options.signal,
    detached: () => options.fault?.('mirror:spare-taken'),
  });
  track.done('preflight');
  track.phase('schema');
  return { caughtUp, lagBytes, fileCopy: 'spare', compared: undefined };
}

/**
 * Empties tables of the clone that are loaded again, with no trigger or foreign-key check
 * firing (session_replication_role = replica): TRUNCATE (no dead rows left behind) unless a
 * foreign key references the table, which TRUNCATE refuses; then DELETE.
 */
async function emptyTables(clone: pg.ClientBase, tables: readonly TablePlan[]): Promise<void> {
  if (tables.length === 0) return;
  const referenced = await clone.query<{ referenced: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = t.oid) AS referenced
       FROM unnest($1::regclass[]) WITH ORDINALITY AS t(oid, i) ORDER BY t.i`,
    [tables.map((t) => t.qualifiedName)],
  );
  for (const [i, table] of tables.entries()) {
    await clone.query(referenced.rows[i]!.referenced ? `DELETE FROM ONLY ${table.qualifiedName}` : `TRUNCATE ONLY ${table.qualifiedName}`);
  }
}

async function copyInto(tables: readonly TablePlan[], options: CloneOptions, snapshot: string, keepSnapshot: string | undefined, emit: (event: CopyEvent) => void) {
  if (tables.length === 0) return new Map<string, { rows: number; bytes: number }>();
  const plan: CopyPlan = { tables, totalBytes: tables.reduce((s, t) => s + t.bytes, 0) };
  return copyTableData(plan, {
    sourceUrl: options.sourceUrl,
    targetUrl: options.stagingUrl,
    keepFromUrl: options.targetUrl,
    snapshot,
    keepFromSnapshot: keepSnapshot,
    jobs: options.jobs,
    intoExisting: true,
    onBytes: () => {},
    onTableDone: (table, rows, bytes, seconds) => emit({ type: 'table', table: `${table.schema}.${table.name}`, mode: table.mode, rows, bytes, seconds, parts: table.parts.length }),
    onTableLoaded: () => {},
  });
}

/** Large objects are not replicated: the clone's are replaced by the snapshot's. */
async function copyObjects(clone: pg.ClientBase, catalog: SourceCatalog, options: CloneOptions, snapshot: string): Promise<number> {
  const had = Number((await clone.query<{ n: string }>('SELECT count(*) AS n FROM pg_largeobject_metadata')).rows[0]!.n);
  if (had === 0 && catalog.largeObjects === 0) return 0;
  await clone.query('SELECT lo_unlink(oid) FROM pg_largeobject_metadata');
  const result = await copyLargeObjects({ sourceUrl: options.sourceUrl, targetUrl: options.stagingUrl, snapshot, jobs: options.jobs, mapRole: (role) => options.profile.roles[role] ?? role });
  return result.bytes;
}

async function verifyNoMachinery(clone: pg.ClientBase): Promise<void> {
  const left = await clone.query(
    `SELECT 1 FROM pg_namespace WHERE nspname = $1 UNION ALL SELECT 1 FROM pg_trigger WHERE tgname = $2 UNION ALL SELECT 1 FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [MACHINERY_SCHEMA, MASK_TRIGGER],
  );
  if (left.rowCount !== 0) throw new DataalmError('VERIFY_FAILED', "the clone still holds the mirror's machinery (its schema, a masking trigger or a subscription)");
}
