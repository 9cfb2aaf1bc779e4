/**
 * A mirror (DESIGN §8): on a sandbox's server, a database of its source kept current by
 * PostgreSQL logical replication, with the sandbox's profile applied as rows arrive. A
 * refresh clones it with a file copy instead of copying the whole source.
 */
/**
 * Every object a mirror makes on the source (publication, replication slot) and on the
 * target's server (subscription) is named so. Copies and fingerprints leave the source's
 * mirror publications out: they are dataalm's machinery, not the application's.
 */
export const MIRROR_OBJECT_PREFIX = 'dataalm_mirror_';

export type MirrorState = 'seeding' | 'streaming' | 'failed' | 'dropped';

/** What happens to one table of the source in a mirror. */
export interface MirrorTables {
  /** Replicated: kept current by the subscription ("schema.table"). */
  readonly published: readonly string[];
  /** Not replicated, but copied from the source at refresh time (with why). */
  readonly refreshTime: readonly { readonly table: string; readonly reason: string }[];
  /** Not in the mirror's data at all: cleared, or kept from the target (with why). */
  readonly notMirrored: readonly { readonly table: string; readonly reason: string }[];
  /** The source has large objects: they are not replicated, so they are copied at refresh time. */
  readonly largeObjects: number;
}

export interface MirrorRecord {
  readonly environment: string;
  readonly source: string;
  readonly state: MirrorState;
  readonly database: string;
  readonly publication: string;
  readonly slot: string;
  readonly subscription: string;
  readonly maxLagBytes: number;
  readonly schemaFingerprint: string | null;
  readonly profileFingerprint: string;
  readonly tables: MirrorTables;
  /**
   * Who paused the mirror's subscription: a refresh (its operation id), or SPARE_BUILD (a
   * spare being made); null: nobody.
   */
  readonly pausedBy: number | null;
  /** A spare is kept beside the mirror (`env mirror enable --spare`). */
  readonly spareWanted: boolean;
  readonly spare: MirrorSpare | null;
  readonly seededAt: string | null;
  readonly warnedAt: string | null;
  readonly lastError: string | null;
  readonly createdBy: string;
  readonly updatedAt: string;
}

/**
 * The spare: a second database made from the mirror by a file copy, kept current by a
 * subscription of its own. A refresh takes it as its new database by renaming it (no copy,
 * whatever the size); a new one is made in the background (engine/mirror/spare.ts).
 * building: being made; ready: a refresh can take it; taken: the refresh `by` took it (a new
 * one is made once that refresh has ended); failed: see error (made again later).
 */
export interface MirrorSpare {
  readonly state: 'building' | 'ready' | 'taken' | 'failed';
  /** When it entered this state (ISO). */
  readonly at: string;
  readonly error?: string;
  /** The refresh (operation id) that took it. */
  readonly by?: number;
}

/** MirrorRecord.pausedBy of a mirror paused while a spare is made from it (operation ids start at 1). */
export const SPARE_BUILD = 0;

/**
 * A replication slot to drop so the source's disk does not fill: it keeps more WAL than the
 * limit while its reader is behind too, or twice the limit in any case (WAL kept by a reader
 * that has caught up, after a seed or a big load on the same server, is let go of by itself).
 */
export function pastLagLimit(slot: { readonly retainedBytes: number; readonly lagBytes: number }, maxLagBytes: number): boolean {
  return (slot.retainedBytes > maxLagBytes && slot.lagBytes > maxLagBytes / 2) || slot.retainedBytes > 2 * maxLagBytes;
}

/** Whether a spare is to be made: wanted, and none there but the one a refresh took. */
export function needsSpare(mirror: Pick<MirrorRecord, 'state' | 'spareWanted' | 'spare'>): boolean {
  return mirror.state === 'streaming' && mirror.spareWanted && (mirror.spare === null || mirror.spare.state === 'taken');
}

/** Default lag limit: WAL the source keeps for the mirror before it is warned about (half) and dropped. */
export const DEFAULT_MAX_LAG_BYTES = 1024 ** 3;

/** Why a table kept whole from the target is not mirrored (MirrorTables.notMirrored): see engine/mirror/kept-tables.ts. */
export const KEPT_FROM_TARGET = "kept from the target: the mirror holds the target's rows as of its seed, copied again at refresh time only if the target changed them";

export const NO_TABLES: MirrorTables = { published: [], refreshTime: [], notMirrored: [], largeObjects: 0 };

/** Sizes read and written as everywhere else (binary units). */
export { formatBytes, parseByteSize } from './units.js';
