import { withDatabase } from '../../adapters/postgres/connection-url.js';
import { connectMaintenance, dropDatabaseIfExists } from '../../adapters/postgres/database-admin.js';
import { connectCopySession } from '../copy-session.js';
import { quoteIdent } from '../mask-sql.js';
import type { MirrorNames } from './mirror-names.js';

export interface Removed {
  readonly subscription: boolean;
  readonly slot: boolean;
  readonly publication: boolean;
  readonly database: boolean;
}

/** How long a slot may stay in use by its departing WAL sender before that sender is ended. */
const SLOT_RELEASE_MS = 1_000;

/**
 * Takes a mirror down, whatever state it was left in: the subscription (stopped first and
 * detached from its slot, so dropping it needs no connection to the source), then on the
 * source the replication slot (so no WAL is kept for it) and the publication, then the
 * mirror database. Objects already gone are skipped. Throws when the source cannot be
 * reached: the slot would be left holding WAL, and the caller must say so.
 */
export async function teardownMirror(sourceUrl: string, targetUrl: string, names: MirrorNames, options: { readonly publication?: boolean } = {}): Promise<Removed> {
  const admin = await connectMaintenance(targetUrl, 'target');
  let subscription = false;
  let database = false;
  try {
    // A database whose drop was cut short is left invalid (15.4+: datconnlimit -2): no one can
    // connect to it, and it has no subscription (a drop refuses a database that has one).
    const found = await admin.query<{ invalid: boolean }>('SELECT datconnlimit = -2 AS invalid FROM pg_database WHERE datname = $1', [names.database]);
    if (found.rows[0] && !found.rows[0].invalid) {
      await admin.query(`ALTER DATABASE ${quoteIdent(names.database)} ALLOW_CONNECTIONS true`);
      subscription = await dropSubscription(withDatabase(targetUrl, names.database), names.subscription);
    }
    const { slot, publication } = await dropSourceObjects(sourceUrl, options.publication === false ? { slot: names.slot, publication: null } : names);
    database = await dropDatabaseIfExists(admin, names.database);
    return { subscription, slot, publication, database };
  } finally {
    await admin.end().catch(() => {});
  }
}

/** The subscription of the database at `mirrorUrl` stopped, detached from its slot and dropped: false when it had none. */
export async function dropSubscription(mirrorUrl: string, name: string): Promise<boolean> {
  const client = await connectCopySession(mirrorUrl, 'mirror');
  try {
    const found = await client.query('SELECT 1 FROM pg_subscription WHERE subname = $1 AND subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())', [name]);
    if (found.rowCount === 0) return false;
    await client.query(`ALTER SUBSCRIPTION ${quoteIdent(name)} DISABLE`);
    await client.query(`ALTER SUBSCRIPTION ${quoteIdent(name)} SET (slot_name = NONE)`);
    await client.query(`DROP SUBSCRIPTION ${quoteIdent(name)}`);
    return true;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The slot (once its WAL sender let go of it) and the publication (null: a spare's, which shares the mirror's publication). */
export async function dropSourceObjects(sourceUrl: string, names: { readonly slot: string; readonly publication: string | null }): Promise<{ slot: boolean; publication: boolean }> {
  const source = await connectCopySession(sourceUrl, 'mirror');
  try {
    let slot = false;
    const deadline = Date.now() + SLOT_RELEASE_MS;
    for (;;) {
      const found = await source.query<{ active_pid: number | null }>('SELECT active_pid FROM pg_replication_slots WHERE slot_name = $1', [names.slot]);
      const row = found.rows[0];
      if (!row) break;
      if (row.active_pid === null) {
        // Taken meanwhile by nobody: drop it; "does not exist" means another teardown won.
        await source.query('SELECT pg_drop_replication_slot($1)', [names.slot]).catch((error: { code?: string }) => {
          if (error.code !== '42704') throw error;
        });
        slot = true;
        break;
      }
      if (Date.now() > deadline + SLOT_RELEASE_MS) {
        throw new Error(`replication slot ${names.slot} on the source stays in use by process ${row.active_pid}: end it, then drop the slot (SELECT pg_drop_replication_slot('${names.slot}'))`);
      }
      if (Date.now() > deadline) await source.query('SELECT pg_terminate_backend($1)', [row.active_pid]);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const publication = names.publication !== null && (await source.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [names.publication])).rowCount === 1;
    if (publication) await source.query(`DROP PUBLICATION IF EXISTS ${quoteIdent(names.publication!)}`);
    return { slot, publication };
  } finally {
    await source.end().catch(() => {});
  }
}
