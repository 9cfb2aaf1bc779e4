import type { RefusalReason } from '../operation.js';

/** What the source server's lock table holds and what a copy of it needs, read before anything is created. */
export interface LockFacts {
  /** host:port, as the refusal names the server. */
  readonly server: string;
  readonly maxLocksPerTransaction: number;
  readonly maxConnections: number;
  /**
   * The server's other backends, which the lock table is sized for too: autovacuum workers
   * (autovacuum_worker_slots on 18) and their launcher, max_worker_processes, max_wal_senders.
   */
  readonly otherBackends: number;
  readonly maxPreparedTransactions: number;
  /** Tables and partitioned tables pg_dump locks (relkind r and p it dumps). */
  readonly lockedRelations: number;
}

/**
 * Room left for the copy's other locks on the source (catalogs, the indexes the planner opens
 * while a table is read) and other sessions' locks. The lock table's hash can also borrow
 * from the shared memory's spare space, so more than its nominal size usually fits.
 */
export const SPARE_LOCKS = 1000;

/**
 * The server's shared lock table has room for max_locks_per_transaction × (MaxBackends +
 * max_prepared_transactions) locked objects, shared by every session (MaxBackends is
 * max_connections plus the other backends). pg_dump and the copy's snapshot session each
 * lock every table until the end, but the same table locked by two sessions takes one entry
 * (their per-session entries have a table twice that size). A copy whose locks cannot fit
 * would fail half-way with "out of shared memory": it is refused up front, with the setting
 * that makes it fit (rounded up to a multiple of 64). Other sessions' locks are not counted;
 * the refusal is for what cannot work at all.
 */
export function lockCapacityReason(facts: LockFacts): RefusalReason | undefined {
  const slots = facts.maxConnections + facts.otherBackends + facts.maxPreparedTransactions;
  const capacity = facts.maxLocksPerTransaction * slots;
  const needed = facts.lockedRelations + SPARE_LOCKS;
  if (needed <= capacity) return undefined;
  const setting = Math.ceil(Math.ceil(needed / slots) / 64) * 64;
  return {
    code: 'LOCK_TABLE_TOO_SMALL',
    message:
      `the source server ${facts.server} has room for ${capacity} locks (max_locks_per_transaction ${facts.maxLocksPerTransaction} × ` +
      `(max_connections ${facts.maxConnections} + ${facts.otherBackends} other backends + max_prepared_transactions ${facts.maxPreparedTransactions})), ` +
      `and copying its ${facts.lockedRelations} tables takes ${needed}; nothing was created`,
    remedy: `set max_locks_per_transaction = ${setting} on ${facts.server} (postgresql.conf or ALTER SYSTEM) and restart it`,
  };
}
