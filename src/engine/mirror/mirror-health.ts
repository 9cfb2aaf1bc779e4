import { withDatabase } from '../../adapters/postgres/connection-url.js';
import { connectCopySession } from '../copy-session.js';
import type { MirrorNames } from './mirror-names.js';
import { schemaFingerprint } from '../catalog-fingerprint.js';

export interface MirrorHealth {
  /** The source's side: the replication slot. undefined: the source could not be reached (see error). */
  readonly slot:
    | {
        readonly exists: boolean;
        readonly active: boolean;
        /** Source WAL the mirror has not confirmed yet: how far behind it is. */
        readonly lagBytes: number;
        /** Source WAL kept for the slot (from its restart point): what it costs the source's disk. */
        readonly retainedBytes: number;
        /** pg_replication_slots.wal_status: reserved, extended, unreserved or lost. */
        readonly walStatus: string | null;
        /**
         * The slot and the publication belong to the database now named as the source: false when
         * that database was replaced (a refresh or restore of the source renamed the old one aside,
         * and the slot went with it).
         */
        readonly sameDatabase: boolean;
      }
    | undefined;
  /** The target's side: the subscription. */
  readonly subscription:
    | {
        readonly exists: boolean;
        readonly enabled: boolean;
        /** Its apply worker runs. */
        readonly running: boolean;
      }
    | undefined;
  /** The source's schema fingerprint now (when asked for). */
  readonly schemaFingerprint: string | undefined;
  readonly errors: readonly string[];
}

/** Reads how a mirror is doing, on both sides; an unreachable side is an error, not an exception. */
export async function readMirrorHealth(sourceUrl: string, targetUrl: string, names: MirrorNames, options: { fingerprint: boolean }): Promise<MirrorHealth> {
  const errors: string[] = [];
  const [slot, fingerprint] = await (async () => {
    const source = await connectCopySession(sourceUrl, 'mirror').catch((error: Error) => {
      errors.push(`the source could not be reached: ${error.message}`);
      return undefined;
    });
    if (!source) return [undefined, undefined] as const;
    try {
      const row = (
        await source.query<{ active: boolean; lag: string | null; retained: string | null; wal_status: string | null; same: boolean }>(
          `SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::int8 AS lag,
                  pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8 AS retained, wal_status,
                  database = current_database() AND EXISTS (SELECT 1 FROM pg_publication WHERE pubname = $2) AS same
             FROM pg_replication_slots WHERE slot_name = $1`,
          [names.slot, names.publication],
        )
      ).rows[0];
      const slotHealth = row
        ? { exists: true, active: row.active, lagBytes: Math.max(0, Number(row.lag ?? 0)), retainedBytes: Math.max(0, Number(row.retained ?? 0)), walStatus: row.wal_status, sameDatabase: row.same }
        : { exists: false, active: false, lagBytes: 0, retainedBytes: 0, walStatus: null, sameDatabase: false };
      return [slotHealth, options.fingerprint ? await schemaFingerprint(source) : undefined] as const;
    } finally {
      await source.end().catch(() => {});
    }
  })();
  const subscription = await (async () => {
    const mirror = await connectCopySession(withDatabase(targetUrl, names.database), 'mirror').catch((error: Error) => {
      errors.push(`the mirror database could not be reached: ${error.message}`);
      return undefined;
    });
    if (!mirror) return undefined;
    try {
      const row = (
        await mirror.query<{ enabled: boolean; running: boolean }>(
          `SELECT s.subenabled AS enabled, EXISTS (SELECT 1 FROM pg_stat_subscription st WHERE st.subid = s.oid AND st.pid IS NOT NULL) AS running
             FROM pg_subscription s WHERE s.subname = $1 AND s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [names.subscription],
        )
      ).rows[0];
      return row ? { exists: true, enabled: row.enabled, running: row.running } : { exists: false, enabled: false, running: false };
    } finally {
      await mirror.end().catch(() => {});
    }
  })();
  return { slot, subscription, schemaFingerprint: fingerprint, errors };
}
