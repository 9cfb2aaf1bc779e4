import type { RefusalReason } from '../operation.js';

/** What the source server's lock table holds and what a copy of it needs, read before anything is created. */
export interface LockFacts {
  /** host:port, as the refusal names the server. */
  readonly server: string;
  readonly maxLocksPerTransaction: number;
  readonly maxConnections: number;
  readonly maxPreparedTransactions: number;
  /** Tables and partitioned tables pg_dump locks (relkind r and p it dumps). */
  readonly lockedRelations: number;
}

/**
 * Sessions that hold one lock per table at once for the whole copy: pg_dump's (it locks every
 * table it dumps), and the copy's snapshot session (its ACCESS SHARE locks, on the same tables).
 */
const HOLDERS = 2;

/**
 * The server's shared lock table has room for max_locks_per_transaction ×
 * (max_connections + max_prepared_transactions) locks, shared by every session. A copy whose
 * locks do not fit fails half-way with "out of shared memory": it is refused up front,
 * with the setting that makes it fit (rounded up to a multiple of 64). Other sessions' locks
 * are not counted; the refusal is for what cannot work at all.
 */
export function lockCapacityReason(facts: LockFacts): RefusalReason | undefined {
  const slots = facts.maxConnections + facts.maxPreparedTransactions;
  const capacity = facts.maxLocksPerTransaction * slots;
  const needed = HOLDERS * facts.lockedRelations;
  if (needed <= capacity) return undefined;
  const setting = Math.ceil(Math.ceil(needed / slots) / 64) * 64;
  return {
    code: 'LOCK_TABLE_TOO_SMALL',
    message:
      `the source server ${facts.server} has room for ${capacity} locks (max_locks_per_transaction ${facts.maxLocksPerTransaction} × ` +
      `(max_connections ${facts.maxConnections} + max_prepared_transactions ${facts.maxPreparedTransactions})), and copying its ` +
      `${facts.lockedRelations} tables takes ${needed}; nothing was created`,
    remedy: `set max_locks_per_transaction = ${setting} on ${facts.server} (postgresql.conf or ALTER SYSTEM) and restart it`,
  };
}
