import { connectCopySession } from '../copy-session.js';
import { quoteIdent } from '../mask-sql.js';
import type { MirrorNames } from './mirror-names.js';

const POLL_MS = 50;
/** How long a stopped subscription's apply worker may take to exit. */
const WORKER_EXIT_MS = 30_000;

/**
 * Waits until the mirror has confirmed the source's WAL up to `lsn` (the replication slot's
 * confirmed_flush_lsn), at most `ms`. True when it did: every transaction the source had
 * committed by then is applied in the mirror.
 */
export async function waitForCatchUp(sourceUrl: string, slot: string, lsn: string, ms: number, signal?: AbortSignal): Promise<boolean> {
  const source = await connectCopySession(sourceUrl, 'mirror');
  try {
    const deadline = Date.now() + ms;
    for (;;) {
      const row = (
        await source.query<{ reached: boolean | null }>('SELECT confirmed_flush_lsn >= $2::pg_lsn AS reached FROM pg_replication_slots WHERE slot_name = $1', [slot, lsn])
      ).rows[0];
      if (row?.reached) return true;
      if (Date.now() > deadline || signal?.aborted) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await source.end().catch(() => {});
  }
}

/**
 * Stops the subscription and waits until its apply worker has exited (it applies whole
 * transactions, so the mirror stands at a transaction boundary, and nothing else is in the
 * mirror database). Returns the source's WAL the mirror had not confirmed then.
 */
export async function pauseSubscription(mirrorUrl: string, sourceUrl: string, names: Pick<MirrorNames, 'subscription' | 'slot'>): Promise<number> {
  const mirror = await connectCopySession(mirrorUrl, 'mirror');
  try {
    await mirror.query(`ALTER SUBSCRIPTION ${quoteIdent(names.subscription)} DISABLE`);
    const deadline = Date.now() + WORKER_EXIT_MS;
    for (;;) {
      const running = await mirror.query(
        `SELECT 1 FROM pg_stat_subscription st JOIN pg_subscription s ON s.oid = st.subid WHERE s.subname = $1 AND st.pid IS NOT NULL`,
        [names.subscription],
      );
      if (running.rowCount === 0) break;
      if (Date.now() > deadline) throw new Error(`the mirror's apply worker did not stop within ${WORKER_EXIT_MS / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await mirror.end().catch(() => {});
  }
  const source = await connectCopySession(sourceUrl, 'mirror');
  try {
    const lag = await source.query<{ lag: string | null }>(
      'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::int8 AS lag FROM pg_replication_slots WHERE slot_name = $1',
      [names.slot],
    );
    return Math.max(0, Number(lag.rows[0]?.lag ?? 0));
  } finally {
    await source.end().catch(() => {});
  }
}

export async function resumeSubscription(mirrorUrl: string, subscription: string): Promise<void> {
  const mirror = await connectCopySession(mirrorUrl, 'mirror');
  try {
    await mirror.query(`ALTER SUBSCRIPTION ${quoteIdent(subscription)} ENABLE`);
  } finally {
    await mirror.end().catch(() => {});
  }
}
