import { z } from 'zod';

const tableReason = z.strictObject({ table: z.string(), reason: z.string() });

/**
 * The mirror's spare (`env mirror enable --spare`): a second database made from the mirror
 * by a file copy and kept current by its own subscription; a refresh takes it by a rename.
 * building: being made; ready: the next refresh takes it; taken: a refresh took it (a new one
 * is made when that refresh has ended); failed: see error (made again later); missing: none
 * yet (a worker makes it).
 */
export const mirrorSpareStatus = z.strictObject({
  state: z.enum(['building', 'ready', 'taken', 'failed', 'missing']),
  database: z.string(),
  /** When it entered this state. */
  since: z.string().nullable(),
  /** Source WAL the spare has not confirmed yet (ready only). */
  lagBytes: z.number().nullable(),
  error: z.string().nullable(),
});

/** What a refresh of the target would copy from its mirror, and whether it can (GET /api/environments/:name/mirror). */
export const mirrorStatus = z.strictObject({
  environment: z.string(),
  source: z.string(),
  /** What dataalm last did with it: seeding, streaming (in use), failed, dropped (its lag passed the limit). */
  state: z.enum(['seeding', 'streaming', 'failed', 'dropped']),
  /**
   * How it is doing now: healthy; seeding; paused (a refresh is cloning it); lagging (more
   * than half its lag limit behind); broken (replication stopped, the slot or database gone);
   * schema-changed (DDL on the source since the seed); profile-changed; unreachable;
   * failed; dropped.
   */
  health: z.enum(['healthy', 'seeding', 'paused', 'lagging', 'broken', 'schema-changed', 'profile-changed', 'unreachable', 'failed', 'dropped']),
  /** Whether the next refresh from its source clones it; `reason` says why not. */
  usable: z.boolean(),
  reason: z.string().nullable(),
  /** Half the lag limit passed, or something else worth knowing. */
  warning: z.string().nullable(),
  database: z.string(),
  publication: z.string(),
  slot: z.string(),
  /** Source WAL the mirror has not confirmed yet (null: not known, the source did not answer). */
  lagBytes: z.number().nullable(),
  /** Source WAL kept for the mirror's slot: what it costs the source's disk. */
  retainedBytes: z.number().nullable(),
  maxLagBytes: z.number(),
  seededAt: z.string().nullable(),
  tables: z.strictObject({
    published: z.array(z.string()),
    refreshTime: z.array(tableReason),
    notMirrored: z.array(tableReason),
    largeObjects: z.number(),
  }),
  /** null: the mirror keeps no spare. */
  spare: mirrorSpareStatus.nullable(),
  lastError: z.string().nullable(),
  createdBy: z.string(),
  updatedAt: z.string(),
});

/** What `env mirror disable` removed (DELETE /api/environments/:name/mirror). */
export const mirrorRemoved = z.strictObject({
  environment: z.string(),
  removed: z.strictObject({ subscription: z.boolean(), slot: z.boolean(), publication: z.boolean(), database: z.boolean() }),
});
