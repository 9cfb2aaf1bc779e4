import pg from 'pg';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type { MirrorTables } from '../../domain/mirror.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import { parseConnectionUrl, withDatabase } from '../../adapters/postgres/connection-url.js';
import { connectMaintenance, dropDatabaseIfExists } from '../../adapters/postgres/database-admin.js';
import { unreachable } from '../../adapters/postgres/database-probe.js';
import { readSourceCatalog } from '../../adapters/postgres/source-catalog.js';
import { schemaFingerprint } from '../catalog-fingerprint.js';
import { copyDatabase } from '../copy-database.js';
import type { CopyEvent, CopyResult } from '../copy-events.js';
import { planCopy } from '../copy-plan.js';
import { connectCopySession } from '../copy-session.js';
import { quoteIdent, quoteLiteral } from '../mask-sql.js';
import { recordKeptTables } from './kept-tables.js';
import { SALT_VARIABLE, installMaskTriggers } from './mask-triggers.js';
import type { MirrorNames } from './mirror-names.js';
import { checkMirrorRequirements } from './mirror-requirements.js';
import { mirrorTables, readReplication } from './mirror-tables.js';
import { teardownMirror } from './mirror-teardown.js';
import { waitForCatchUp } from './subscription-control.js';

export interface SeedOptions {
  /** The source's application database. */
  readonly sourceUrl: string;
  /** The target's live database: where kept rows come from, and the server the mirror is made on. */
  readonly targetUrl: string;
  /** How the target's server reaches the source (the subscription's connection). (Default: sourceUrl) */
  readonly conninfo?: string;
  /** The target's profile, with the refresh's role map. */
  readonly profile: Profile;
  readonly maskKey: string;
  readonly jobs: number;
  readonly pgBin: string | undefined;
  readonly names: MirrorNames;
  /** A spare will be kept beside the mirror: the requirements are checked for two subscriptions. */
  readonly spare?: boolean;
  /** How long to wait, once subscribed, for the mirror to catch up with what the source wrote meanwhile. (Default: 60 s) */
  readonly catchUpMs?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (event: CopyEvent) => void;
}

/** A seed that failed after it had made something; `leftovers`: its clean-up could not remove all of it. */
export class SeedFailed extends DataalmError {
  constructor(
    code: DataalmError['code'],
    message: string,
    readonly leftovers: boolean,
    options: ConstructorParameters<typeof DataalmError>[2] = {},
  ) {
    super(code, message, options);
  }
}

export interface SeedResult {
  readonly tables: MirrorTables;
  readonly schemaFingerprint: string;
  readonly copy: CopyResult;
}

/**
 * Sets a mirror up: the source's publication of the tables that can be replicated
 * (mirror-tables.ts), a replication slot whose exported snapshot the copy engine seeds the
 * mirror database from (masked and cleared as the profile says), the masking triggers, and
 * a subscription that starts at that slot: every change committed after the snapshot is
 * replicated, none before it is applied twice. The requirements are checked before anything
 * is created; a failure at any point takes down what was made.
 */
export async function seedMirror(options: SeedOptions): Promise<SeedResult> {
  const source = parseConnectionUrl(options.sourceUrl, 'source');
  const mirrorUrl = withDatabase(options.targetUrl, options.names.database);
  let reader: pg.Client;
  try {
    reader = await connectCopySession(options.sourceUrl, 'mirror');
  } catch (cause) {
    throw unreachable(source, 'source', cause);
  }
  let created = false;
  let replication: pg.Client | undefined;
  // Stopped: the mirror database is dropped at once, which ends the copy's statements in it.
  let aborting: Promise<void> | undefined;
  const onAbort = () => {
    aborting = dropMirrorDatabase(options.targetUrl, options.names.database);
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const catalog = await readSourceCatalog(reader);
    const salt = options.profile.salt ?? options.maskKey;
    const planOptions = { jobs: options.jobs, keepFrom: true, maskKey: options.maskKey, splitBytes: undefined };
    const plan = planCopy(catalog, options.profile, planOptions);
    const tables = mirrorTables(plan, await readReplication(reader), catalog.largeObjects);
    const admin = await connectMaintenance(options.targetUrl, 'target');
    try {
      const target = parseConnectionUrl(options.targetUrl, 'target');
      await checkMirrorRequirements(reader, admin, tables.published, {
        source: `${source.host}:${source.port}`,
        target: `${target.host}:${target.port}`,
      }, options.spare ? 2 : 1);
    } finally {
      await admin.end().catch(() => {});
    }
    options.signal?.throwIfAborted();
    // The publication before the slot: decoding looks it up as of each change's time.
    created = true;
    const list = tables.published.map((name) => qualifiedOf(catalog.tables, name)).join(', ');
    await reader.query(`CREATE PUBLICATION ${quoteIdent(options.names.publication)}${list ? ` FOR TABLE ${list}` : ''}`);
    const before = await schemaFingerprint(reader);
    replication = await connectReplication(options.sourceUrl);
    const slot = await replication.query<{ snapshot_name: string; consistent_point: string }>(
      `CREATE_REPLICATION_SLOT ${quoteIdent(options.names.slot)} LOGICAL pgoutput EXPORT_SNAPSHOT`,
    );
    const snapshot = slot.rows[0]!.snapshot_name;
    let seededFingerprint = before;
    // The target's snapshot its kept rows are read in (kept-tables.ts).
    let keptSnapshot = '0:0:';
    const copy = await copyDatabase({
      sourceUrl: options.sourceUrl,
      targetUrl: mirrorUrl,
      keepFromUrl: options.targetUrl,
      profile: options.profile,
      maskKey: options.maskKey,
      jobs: options.jobs,
      verify: 'counts',
      pgBin: options.pgBin,
      signal: options.signal,
      databaseProperties: 'caller',
      snapshot,
      inSnapshot: async (client) => {
        seededFingerprint = await schemaFingerprint(client);
        if (seededFingerprint !== before) {
          throw new DataalmError('COPY_FAILED', "the source's schema changed while the mirror was being set up (DDL ran on the source): nothing was kept", {
            remedy: 'enable the mirror again',
          });
        }
      },
      inspectKept: async (_copy, keepSnapshot) => {
        keptSnapshot = (await keepSnapshot.query<{ s: string }>('SELECT pg_current_snapshot()::text AS s')).rows[0]!.s;
      },
      onEvent: options.onEvent,
    });
    // The snapshot is no longer needed; the slot must be free for the subscription.
    await replication.end();
    replication = undefined;
    const mirror = await connectCopySession(mirrorUrl, 'mirror');
    try {
      const triggerPlan = planCopy(catalog, options.profile, { ...planOptions, saltSql: SALT_VARIABLE });
      await installMaskTriggers(mirror, triggerPlan, tables.published, salt);
      await recordKeptTables(mirror, triggerPlan, keptSnapshot);
      // Nobody but its owner and superusers reads the mirror.
      await mirror.query(`REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(options.names.database)} FROM PUBLIC`);
      const major = Number((await mirror.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v) / 10000;
      await mirror.query(
        `CREATE SUBSCRIPTION ${quoteIdent(options.names.subscription)} CONNECTION ${quoteLiteral(options.conninfo ?? options.sourceUrl)}
           PUBLICATION ${quoteIdent(options.names.publication)}
           WITH (create_slot = false, slot_name = ${quoteLiteral(options.names.slot)}, copy_data = false, enabled = true${major >= 15 ? ', disable_on_error = true' : ''})`,
      );
    } finally {
      await mirror.end().catch(() => {});
    }
    // What the source committed during the seed is applied first: then the mirror is current.
    const now = (await reader.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!.lsn;
    await waitForCatchUp(options.sourceUrl, options.names.slot, now, options.catchUpMs ?? 60_000, options.signal);
    return { tables, schemaFingerprint: seededFingerprint, copy };
  } catch (error) {
    await replication?.end().catch(() => {});
    // The drop a stop started ends before the clean-up looks at what is left.
    await aborting;
    if (created) {
      let leftovers = false;
      const note = await teardownMirror(options.sourceUrl, options.targetUrl, options.names).then(
        () => '; what the mirror had made (publication, slot, database) was removed',
        (teardown: Error) => {
          leftovers = true;
          return `; what the mirror had made could NOT all be removed (${teardown.message}): dataalm env mirror disable removes it`;
        },
      );
      const failed = options.signal?.aborted
        ? new SeedFailed('CANCELED', `the seed was stopped${note}`, leftovers, { cause: error })
        : error instanceof DataalmError
          ? new SeedFailed(error.code, `${error.message}${note}`, leftovers, { cause: error, remedy: error.remedy, field: error.field })
          : new SeedFailed('COPY_FAILED', `the mirror could not be set up: ${(error as Error).message}${note}`, leftovers, { cause: error });
      throw failed;
    }
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await reader.end().catch(() => {});
  }
}

async function dropMirrorDatabase(targetUrl: string, database: string): Promise<void> {
  const admin = await connectMaintenance(targetUrl, 'target').catch(() => undefined);
  if (!admin) return;
  await dropDatabaseIfExists(admin, database).catch(() => {});
  await admin.end().catch(() => {});
}

async function connectReplication(url: string): Promise<pg.Client> {
  // node-postgres passes `replication` in the startup packet: a walsender session that takes replication commands.
  const client = new pg.Client({ connectionString: url, application_name: 'dataalm mirror', replication: 'database' } as pg.ClientConfig);
  client.on('error', () => {});
  await client.connect();
  return client;
}

function qualifiedOf(tables: readonly { schema: string; name: string }[], name: string): string {
  const table = tables.find((t) => `${t.schema}.${t.name}` === name)!;
  return `ONLY ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
}
