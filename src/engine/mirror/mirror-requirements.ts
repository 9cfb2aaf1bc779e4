import type pg from 'pg';
import { RefusedError } from '../../domain/errors/dataalm-error.js';
import { quoteIdent } from '../mask-sql.js';

interface Reason {
  code: 'MIRROR_REQUIREMENTS';
  message: string;
  remedy: string;
}

/**
 * What logical replication needs, checked before anything is created, every unmet need
 * at once: on the source, wal_level = logical, a free replication slot and WAL sender, a
 * user that may replicate and publish the tables; on the target's server, a superuser
 * (a subscription, and rows loaded into a clone with the application's triggers off) and
 * a free logical replication worker.
 */
export async function checkMirrorRequirements(
  source: pg.ClientBase,
  target: pg.ClientBase,
  tables: readonly string[],
  names: { source: string; target: string },
  /** Subscriptions to make: 2 with a spare (each has its slot, WAL sender, worker and origin). */
  subscriptions = 1,
): Promise<void> {
  const n = subscriptions;
  const lacks = (what: string) => (n === 1 ? `has no free ${what}` : `has fewer than ${n} free ${what}s`);
  const reasons: Reason[] = [];
  const need = (message: string, remedy: string) => reasons.push({ code: 'MIRROR_REQUIREMENTS', message, remedy });
  const s = (
    await source.query<{ wal_level: string; slots: number; used_slots: number; senders: number; used_senders: number; superuser: boolean; replication: boolean; user: string }>(
      `select current_setting('wal_level') as wal_level,
              current_setting('max_replication_slots')::int as slots,
              (select count(*)::int from pg_replication_slots) as used_slots,
              current_setting('max_wal_senders')::int as senders,
              (select count(*)::int from pg_stat_replication) as used_senders,
              r.rolsuper as superuser, r.rolreplication as replication, current_user as user
         from pg_roles r where r.rolname = current_user`,
    )
  ).rows[0]!;
  if (s.wal_level !== 'logical') {
    need(
      `the source's server (${names.source}) runs with wal_level = ${s.wal_level}: logical replication needs wal_level = logical`,
      `on that server: ALTER SYSTEM SET wal_level = logical, then restart it (dataalm's embedded server runs with it)`,
    );
  }
  if (s.used_slots + n > s.slots) need(`the source's server ${lacks('replication slot')} (max_replication_slots = ${s.slots}, ${s.used_slots} in use)`, 'raise max_replication_slots on the source and restart it, or drop an unused slot');
  if (s.used_senders + n > s.senders) need(`the source's server ${lacks('WAL sender')} (max_wal_senders = ${s.senders}, ${s.used_senders} in use)`, 'raise max_wal_senders on the source and restart it');
  if (!s.superuser && !s.replication) {
    need(`the source environment's user ${s.user} may not replicate (neither REPLICATION nor superuser)`, `ALTER ROLE ${quoteIdent(s.user)} REPLICATION on the source's server`);
  }
  if (!s.superuser && tables.length > 0) {
    const others = await source.query<{ name: string }>(
      `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where (n.nspname || '.' || c.relname) = any($1) and not pg_has_role(c.relowner, 'USAGE') order by 1 limit 5`,
      [tables],
    );
    if (others.rows.length > 0) {
      need(
        `the source environment's user ${s.user} may not publish ${others.rows.map((r) => r.name).join(', ')}: only their owner (or a superuser) may`,
        'connect the source environment as the tables\' owner, or grant its user membership in the owning role',
      );
    }
  }
  const t = (
    await target.query<{ superuser: boolean; user: string; workers: number; used_workers: number; origins: number; used_origins: number }>(
      `select r.rolsuper as superuser, current_user as user,
              current_setting('max_logical_replication_workers')::int as workers,
              (select count(*)::int from pg_stat_subscription where pid is not null) as used_workers,
              coalesce(current_setting('max_active_replication_origins', true), current_setting('max_replication_slots'))::int as origins,
              (select count(*)::int from pg_replication_origin) as used_origins
         from pg_roles r where r.rolname = current_user`,
    )
  ).rows[0]!;
  if (!t.superuser) {
    need(
      `the target environment's user ${t.user} is no superuser on ${names.target}: a mirror's subscription and the rows a refresh loads into its clone (with the application's triggers off) need one`,
      'register the target environment with a superuser, or keep refreshing by copy',
    );
  }
  if (t.used_workers + n > t.workers) need(`the target's server ${lacks('logical replication worker')} (max_logical_replication_workers = ${t.workers}, ${t.used_workers} in use)`, 'raise max_logical_replication_workers on the target\'s server and restart it');
  if (t.used_origins + n > t.origins) need(`the target's server ${lacks('replication origin')} (${t.origins} allowed there, ${t.used_origins} in use)`, 'raise max_replication_slots (max_active_replication_origins on PostgreSQL 18) on the target\'s server and restart it');
  if (reasons.length > 0) throw new RefusedError(reasons);
}
