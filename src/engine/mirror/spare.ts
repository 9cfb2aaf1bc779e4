import { withDatabase } from '../../adapters/postgres/connection-url.js';
import { connectMaintenance, derivedName, endClientSessions } from '../../adapters/postgres/database-admin.js';
import { connectCopySession } from '../copy-session.js';
import { quoteIdent, quoteLiteral } from '../mask-sql.js';
import { compareWithMirror } from './clone-checks.js';
import { cloneDatabase } from './file-copy.js';
import type { MirrorNames } from './mirror-names.js';
import { type Removed, dropSourceObjects, dropSubscription, teardownMirror } from './mirror-teardown.js';
import { pauseSubscription, resumeSubscription, waitForCatchUp } from './subscription-control.js';

/**
 * A mirror's spare (DESIGN §8): a second database beside the mirror, made from it by a file
 * copy while the mirror is paused, and kept current by a subscription of its own to the same
 * publication, through a copy of the mirror's replication slot that starts exactly where the
 * mirror stood (nothing missed, nothing applied twice). A refresh takes the spare as its new
 * database by renaming it: what grows with the data (the file copy) is done before the
 * refresh is asked for, not during it. Its objects are named after the mirror's.
 */
export function spareNames(mirror: MirrorNames): MirrorNames {
  return {
    publication: mirror.publication,
    slot: `${mirror.slot}_spare`,
    subscription: `${mirror.subscription}_spare`,
    database: derivedName(mirror.database, '_spare'),
  };
}

export interface SpareBuildOptions {
  readonly sourceUrl: string;
  /** A database on the target's server (the mirror's server), as a superuser. */
  readonly targetUrl: string;
  readonly mirror: MirrorNames;
  /** The replicated tables, compared file by file with the paused mirror. */
  readonly published: readonly string[];
  /** The mirror's subscription is about to be paused (true; false when this may not pause it now) or was resumed (false). */
  readonly onPaused: (paused: boolean) => Promise<boolean>;
}

/** Nobody else may pause the mirror now (a refresh is cloning it): try again later. */
export class MirrorBusy extends Error {}

/**
 * Makes the spare: leftovers of an earlier try removed; the mirror paused at a transaction
 * boundary; its slot copied on the source (same restart and confirmed position); the mirror
 * copied file by file and compared with it; the mirror resumed; on the spare, a subscription
 * on the copied slot whose replication origin is advanced to where the mirror had applied up
 * to, then enabled. The spare refuses connections of anyone but superusers (connection limit
 * 0), as the mirror does: a refresh renames it, which nobody may be connected for. A failure
 * resumes the mirror and removes what was made.
 */
export async function buildSpare(options: SpareBuildOptions): Promise<{ fileCopy: 'clone' | 'copy'; bytes: number }> {
  const spare = spareNames(options.mirror);
  const mirrorUrl = withDatabase(options.targetUrl, options.mirror.database);
  const spareUrl = withDatabase(options.targetUrl, spare.database);
  await teardownSpare(options.sourceUrl, options.targetUrl, spare);
  const admin = await connectMaintenance(options.targetUrl, 'target');
  let paused = false;
  try {
    if (!(await options.onPaused(true))) throw new MirrorBusy('a refresh has the mirror paused');
    await mirrorReplicates(mirrorUrl, options.mirror.subscription).catch(async (error: unknown) => {
      await options.onPaused(false);
      throw error;
    });
    paused = true;
    await pauseSubscription(mirrorUrl, options.sourceUrl, options.mirror);
    const at = await whereMirrorStands(mirrorUrl, options.mirror.subscription);
    const source = await connectCopySession(options.sourceUrl, 'mirror');
    try {
      await source.query('SELECT pg_copy_logical_replication_slot($1, $2)', [options.mirror.slot, spare.slot]);
    } finally {
      await source.end().catch(() => {});
    }
    const major = Number((await admin.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0]!.v);
    const fileCopy = await cloneDatabase(admin, major, `${quoteIdent(spare.database)} TEMPLATE ${quoteIdent(options.mirror.database)} CONNECTION LIMIT 0`);
    const compared = await compareWithMirror(mirrorUrl, spareUrl, options.published, false);
    await resumeSubscription(mirrorUrl, options.mirror.subscription);
    paused = false;
    await options.onPaused(false);
    const client = await connectCopySession(spareUrl, 'mirror');
    try {
      const disableOnError = major >= 150000 ? ', disable_on_error = true' : '';
      await client.query(
        `CREATE SUBSCRIPTION ${quoteIdent(spare.subscription)} CONNECTION ${quoteLiteral(at.conninfo)} PUBLICATION ${quoteIdent(spare.publication)}
           WITH (create_slot = false, slot_name = ${quoteLiteral(spare.slot)}, copy_data = false, enabled = false${disableOnError})`,
      );
      // Where the mirror had applied up to: the copied slot may confirm less (the apply worker
      // reports its progress a little later), and what lies between is in the spare already.
      if (at.lsn !== null) {
        await client.query(
          `SELECT pg_replication_origin_advance('pg_' || s.oid, $2::pg_lsn) FROM pg_subscription s
            WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [spare.subscription, at.lsn],
        );
      }
      await client.query(`ALTER SUBSCRIPTION ${quoteIdent(spare.subscription)} ENABLE`);
    } finally {
      await client.end().catch(() => {});
    }
    return { fileCopy, bytes: compared.bytes };
  } catch (error) {
    if (paused) {
      await resumeSubscription(mirrorUrl, options.mirror.subscription)
        .then(() => options.onPaused(false))
        .catch(() => {});
    }
    if (!(error instanceof MirrorBusy)) await teardownSpare(options.sourceUrl, options.targetUrl, spare).catch(() => {});
    throw error;
  } finally {
    await admin.end().catch(() => {});
  }
}

/** A mirror whose replication stopped on an error is not copied (nor resumed by the making of a spare): it is to be resynced. */
async function mirrorReplicates(mirrorUrl: string, subscription: string): Promise<void> {
  const mirror = await connectCopySession(mirrorUrl, 'mirror');
  try {
    const row = (
      await mirror.query<{ enabled: boolean }>(
        `SELECT subenabled AS enabled FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [subscription],
      )
    ).rows[0];
    if (!row?.enabled) throw new Error("the mirror's replication is stopped (an apply error, or it is gone): resync the mirror");
  } finally {
    await mirror.end().catch(() => {});
  }
}

/** The paused mirror: how its subscription connects to the source, and the source's LSN it has applied up to (null: nothing yet). */
async function whereMirrorStands(mirrorUrl: string, subscription: string): Promise<{ conninfo: string; lsn: string | null }> {
  const mirror = await connectCopySession(mirrorUrl, 'mirror');
  try {
    const row = (
      await mirror.query<{ conninfo: string; lsn: string | null }>(
        `SELECT s.subconninfo AS conninfo, nullif(pg_replication_origin_progress('pg_' || s.oid, false), '0/0')::text AS lsn
           FROM pg_subscription s WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [subscription],
      )
    ).rows[0];
    if (!row) throw new Error(`the mirror's subscription ${subscription} is gone`);
    return row;
  } finally {
    await mirror.end().catch(() => {});
  }
}

export interface TakeSpareOptions {
  readonly sourceUrl: string;
  readonly targetUrl: string;
  readonly spare: MirrorNames;
  /** What the spare becomes: the refresh's new database, owned by `owner`. */
  readonly staging: string;
  readonly owner: string;
  /** The source's WAL position of the refresh's snapshot: the spare is to have applied up to it. */
  readonly lsn: string;
  readonly catchUpMs: number;
  readonly signal?: AbortSignal;
  /** Called once its subscription and slot are gone, before the rename (fault tests). */
  readonly detached?: () => void;
}

/**
 * The spare becomes the refresh's new database: caught up with the refresh's moment, paused
 * at a transaction boundary, its subscription dropped and its slot on the source with it,
 * then renamed and given to `owner`, open to connections again. Returns whether it had caught
 * up, and the source's WAL it had not confirmed when paused.
 */
export async function takeSpare(options: TakeSpareOptions): Promise<{ caughtUp: boolean; lagBytes: number }> {
  const spareUrl = withDatabase(options.targetUrl, options.spare.database);
  const caughtUp = await waitForCatchUp(options.sourceUrl, options.spare.slot, options.lsn, options.catchUpMs, options.signal);
  const lagBytes = await pauseSubscription(spareUrl, options.sourceUrl, options.spare);
  await dropSubscription(spareUrl, options.spare.subscription);
  await dropSourceObjects(options.sourceUrl, { slot: options.spare.slot, publication: null });
  options.detached?.();
  const admin = await connectMaintenance(options.targetUrl, 'target');
  try {
    const staging = quoteIdent(options.staging);
    // Only dataalm's own reads (a status) may be connected to it: a rename needs none.
    await endClientSessions(admin, [options.spare.database]);
    await admin.query(`ALTER DATABASE ${quoteIdent(options.spare.database)} RENAME TO ${staging}`);
    await admin.query(`ALTER DATABASE ${staging} OWNER TO ${quoteIdent(options.owner)}`);
    await admin.query(`ALTER DATABASE ${staging} CONNECTION LIMIT -1`);
  } finally {
    await admin.end().catch(() => {});
  }
  return { caughtUp, lagBytes };
}

/** Everything of a spare removed, whatever state it was left in: its subscription, its slot on the source, its database (never the mirror's publication). */
export async function teardownSpare(sourceUrl: string, targetUrl: string, spare: MirrorNames): Promise<Removed> {
  return teardownMirror(sourceUrl, targetUrl, spare, { publication: false });
}
