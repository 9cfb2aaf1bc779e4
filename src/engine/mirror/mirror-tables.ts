import type pg from 'pg';
import { KEPT_FROM_TARGET, type MirrorTables } from '../../domain/mirror.js';
import type { CopyPlan, TablePlan } from '../copy-plan.js';

/** How the source can replicate a table: its persistence, replica identity, and triggers that fire on replicated rows. */
interface TableReplication {
  readonly unlogged: boolean;
  /** The columns UPDATE and DELETE find a row by on the subscriber; undefined: none (they would fail on the source). */
  readonly identity: readonly string[] | 'full' | undefined;
  /** Triggers of the application's enabled ALWAYS or REPLICA: they would fire on the mirror. */
  readonly replicaTriggers: readonly string[];
}

const REPLICATION = `
  select n.nspname as schema, c.relname as name, c.relpersistence = 'u' as unlogged, c.relreplident as ident,
         (select array_agg(a.attname::text order by a.attnum)
            from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any (i.indkey)
           where i.indrelid = c.oid
             and ((c.relreplident = 'd' and i.indisprimary) or (c.relreplident = 'i' and i.indisreplident))) as key,
         (select array_agg(t.tgname::text order by t.tgname) from pg_trigger t
           where t.tgrelid = c.oid and not t.tgisinternal and t.tgenabled in ('A', 'R')) as triggers
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relkind = 'r' and c.relpersistence <> 't'`;

export async function readReplication(client: pg.ClientBase): Promise<Map<string, TableReplication>> {
  const result = await client.query<{ schema: string; name: string; unlogged: boolean; ident: string; key: string[] | null; triggers: string[] | null }>(REPLICATION);
  return new Map(
    result.rows.map((r) => [
      `${r.schema}.${r.name}`,
      {
        unlogged: r.unlogged,
        identity: r.ident === 'f' ? 'full' : r.ident === 'n' || r.key === null ? undefined : r.key,
        replicaTriggers: r.triggers ?? [],
      },
    ]),
  );
}

/**
 * Which tables a mirror replicates. A table is published only when replicating it is safe
 * for the source and exact for the mirror:
 * - it has a replica identity (a primary key, or one set): publishing a table without one
 *   makes every UPDATE and DELETE on the source fail;
 * - it is logged (an unlogged table's changes are not in the WAL);
 * - its identity is not masked: a replicated UPDATE finds its row by the source's key,
 *   which the mirror holds masked;
 * - no trigger of the application's fires on replicated rows (ENABLE ALWAYS or REPLICA).
 * Those tables are copied from the source at refresh time instead. Cleared tables and
 * tables kept from the target are not replicated at all.
 */
export function mirrorTables(plan: CopyPlan, replication: ReadonlyMap<string, TableReplication>, largeObjects: number): MirrorTables {
  const published: string[] = [];
  const refreshTime: { table: string; reason: string }[] = [];
  const notMirrored: { table: string; reason: string }[] = [];
  for (const table of [...plan.tables].sort((a, b) => a.qualifiedName.localeCompare(b.qualifiedName))) {
    const name = `${table.schema}.${table.name}`;
    if (table.mode === 'clear') notMirrored.push({ table: name, reason: 'cleared by the profile' });
    else if (table.mode === 'keep-rows') notMirrored.push({ table: name, reason: KEPT_FROM_TARGET });
    else {
      const reason = unpublishable(table, replication.get(name));
      if (reason === undefined) published.push(name);
      else refreshTime.push({ table: name, reason });
    }
  }
  return { published, refreshTime, notMirrored, largeObjects };
}

function unpublishable(table: TablePlan, replication: TableReplication | undefined): string | undefined {
  if (!replication) return 'not found in the source catalog';
  if (replication.unlogged) return 'unlogged: its changes are not written to the WAL, so they cannot be replicated';
  if (replication.identity === undefined) return 'no primary key or replica identity: publishing it would make UPDATE and DELETE fail on the source';
  const masked = new Set(table.masked);
  const identity = replication.identity === 'full' ? table.columns : replication.identity;
  const maskedKey = identity.filter((c) => masked.has(c));
  if (maskedKey.length > 0) {
    return `its replica identity (${maskedKey.join(', ')}) is masked: a replicated UPDATE or DELETE would not find its row in the mirror`;
  }
  if (replication.replicaTriggers.length > 0) return `trigger(s) ${replication.replicaTriggers.join(', ')} fire on replicated rows (ENABLE ALWAYS or REPLICA)`;
  return undefined;
}
