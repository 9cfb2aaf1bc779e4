import { createHash } from 'node:crypto';
import pg from 'pg';
import { applyDatabaseProperties, readDatabaseProperties } from './database-properties.js';
import { type ConnectionTarget, parseConnectionUrl, withDatabase } from './connection-url.js';
import { unreachable } from './database-probe.js';
import type { Swap, SwapResult } from '../../ports/database-server.js';

/** PostgreSQL truncates identifiers to 63 bytes; longer derived names are shortened with a hash. */
const MAX_IDENTIFIER_BYTES = 63;

/**
 * `<database><suffix>`, e.g. `contoso_uat_app__pre_42`. A name too long for PostgreSQL keeps
 * its start and gets a short hash of the whole, so two long names never collide.
 */
export function derivedName(database: string, suffix: string): string {
  const name = `${database}${suffix}`;
  if (Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES) return name;
  const hash = createHash('sha256').update(database).digest('hex').slice(0, 8);
  let head = database;
  while (Buffer.byteLength(`${head}_${hash}${suffix}`) > MAX_IDENTIFIER_BYTES) head = head.slice(0, -1);
  return `${head}_${hash}${suffix}`;
}

/**
 * A session on the server's maintenance database, with the credentials of `url`: where
 * databases are created, renamed and dropped (one cannot rename the database one is in).
 */
export async function connectMaintenance(url: string, field: string): Promise<pg.Client> {
  const target = parseConnectionUrl(url, field);
  let lastError: unknown;
  for (const database of ['postgres', 'template1']) {
    const client = new pg.Client({ connectionString: withDatabase(url, database), connectionTimeoutMillis: 10_000, application_name: 'dataalm admin' });
    client.on('error', () => {});
    try {
      await client.connect();
      return client;
    } catch (error) {
      lastError = error;
      if ((error as { code?: string }).code !== '3D000') break;
    }
  }
  throw unreachable({ ...target, database: 'postgres' }, field, lastError);
}

/**
 * Groups per-role items by the server and user their URL reaches (see serverKey), each
 * group with a URL to reach it.
 */
export function groupByServer<R extends string, T extends { readonly role: R }>(
  urls: Partial<Record<R, string>>,
  items: readonly T[],
): { url: string; items: T[] }[] {
  const groups = new Map<string, { url: string; items: T[] }>();
  for (const item of items) {
    const url = urls[item.role]!;
    const key = serverKey(parseConnectionUrl(url, item.role));
    const group = groups.get(key) ?? { url, items: [] };
    group.items.push(item);
    groups.set(key, group);
  }
  return [...groups.values()];
}

export async function databaseExists(client: pg.ClientBase, database: string): Promise<boolean> {
  const result = await client.query('select 1 from pg_database where datname = $1', [database]);
  return result.rowCount === 1;
}

/** Drops a database, ending its sessions first; false when there was none. */
export async function dropDatabaseIfExists(client: pg.ClientBase, database: string): Promise<boolean> {
  if (!(await databaseExists(client, database))) return false;
  await client.query(`alter database ${pg.escapeIdentifier(database)} allow_connections false`).catch(() => {});
  await endClientSessions(client, [database]);
  // Not WITH (FORCE): that would signal an autovacuum worker too, which a non-superuser may
  // not; a plain DROP DATABASE asks it to stop by itself.
  await client.query(`drop database if exists ${pg.escapeIdentifier(database)}`);
  return true;
}

/**
 * Ends the client sessions of these databases and waits (up to 10 s) until they are gone;
 * returns how many it ended. Client sessions only: an autovacuum worker belongs to the
 * server (a non-superuser may not signal it), and a rename or drop asks it to stop itself.
 */
export async function endClientSessions(client: pg.ClientBase, databases: readonly string[]): Promise<number> {
  const deadline = Date.now() + 10_000;
  // A session signalled once may still be listed while it exits, and is signalled again:
  // each is counted once.
  const terminated = new Set<number>();
  for (;;) {
    const ended = await client.query<{ pid: number; ok: boolean }>(
      `select pid, pg_terminate_backend(pid) as ok from pg_stat_activity
        where datname = any($1) and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      [databases],
    );
    for (const row of ended.rows) if (row.ok) terminated.add(row.pid);
    const left = await client.query<{ n: string }>(
      `select count(*) as n from pg_stat_activity where datname = any($1) and backend_type = 'client backend'`,
      [databases],
    );
    if (left.rows[0]!.n === '0') return terminated.size;
    if (Date.now() > deadline) throw new Error(`sessions of ${databases.join(', ')} did not end within 10 s (another role's sessions need pg_signal_backend)`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * Gives `to` the database-level properties of `from`, which belong to the environment, not
 * to the data: its owner, who may connect (GRANT/REVOKE on the database), its comment, its
 * settings and the settings of roles in it. Returns what could not be carried, as warnings.
 */
export async function copyDatabaseAttributes(client: pg.Client, from: string, to: string): Promise<string[]> {
  const exists = await client.query('select 1 from pg_database where datname = $1', [from]);
  if (exists.rowCount === 0) return [];
  const warnings: string[] = [];
  const properties = await readDatabaseProperties(client, from);
  const same = (role: string) => role;
  await applyDatabaseProperties(client, to, { properties, mapRole: same }, same, (message) => warnings.push(message));
  return warnings;
}

export type { Swap, SwapResult } from '../../ports/database-server.js';

/**
 * The cutover on one server: new connections to the live databases are refused, their
 * sessions ended, and in one transaction each live database is renamed aside and its
 * replacement renamed into place, then opened. Several databases on one server switch
 * together. The parked databases stay closed to connections (they are breadcrumbs).
 */
/**
 * Lets sessions into a database again (a cutover or rollback cut short may have left it
 * closed). Best effort: a database that is gone needs nothing.
 */
export async function reopenDatabase(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`alter database ${pg.escapeIdentifier(name)} allow_connections true`).catch(() => {});
}

export async function swapDatabases(
  client: pg.Client,
  swaps: readonly Swap[],
  /** Called between the two renames of a swap, and between one swap and the next (fault tests). */
  between: (moment: 'renames' | 'databases') => void = () => {},
): Promise<SwapResult> {
  const ident = pg.escapeIdentifier;
  // The replacements first, before the clock starts: a database with a session in it
  // cannot be renamed, and nobody should be in a staging database or a breadcrumb anyway.
  for (const swap of swaps) await client.query(`alter database ${ident(swap.replacement)} allow_connections false`);
  const started = performance.now();
  let terminated = 0;
  try {
    for (const swap of swaps) await client.query(`alter database ${ident(swap.live)} allow_connections false`);
    terminated = await endClientSessions(client, swaps.flatMap((s) => [s.live, s.replacement]));
    await client.query('begin');
    for (const [i, swap] of swaps.entries()) {
      if (i > 0) between('databases');
      await client.query(`alter database ${ident(swap.live)} rename to ${ident(swap.parkAs)}`);
      between('renames');
      await client.query(`alter database ${ident(swap.replacement)} rename to ${ident(swap.live)}`);
      await client.query(`alter database ${ident(swap.live)} allow_connections true`);
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    // Nothing was renamed: open the live databases again.
    for (const swap of swaps) await reopenDatabase(client, swap.live);
    throw error;
  }
  return { offlineMs: performance.now() - started, terminatedSessions: terminated };
}

/**
 * Databases reached on one server with one user can switch in one transaction (each user
 * may only rename its own databases, so different users switch separately).
 */
export function serverKey(target: ConnectionTarget): string {
  return `${target.user}@${target.host}:${target.port}`;
}
