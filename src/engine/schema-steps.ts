import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { type PgTools, libpqEnv, runTool, runToolOutput } from '../adapters/postgres/pg-tools.js';
import type { SourceCatalog } from '../adapters/postgres/source-catalog.js';
import { qualified } from './mask-sql.js';

/**
 * Schema goes through pg_dump/pg_restore, as pgcopydb does: one schema-only archive taken
 * inside the source snapshot, restored in two sections around the data. Owners and grants
 * are not copied (the target server's roles may differ); objects belong to the --to user.
 */
export interface SchemaArchive {
  readonly file: string;
  /** Its table of contents (pg_restore --list), read once. */
  readonly listing: readonly string[];
}

export async function dumpSchema(tools: PgTools, sourceUrl: string, snapshot: string, folder: string): Promise<SchemaArchive> {
  const file = path.join(folder, 'schema.dump');
  // Subscriptions carry a connection to another server: a sandbox must not replicate from
  // (or into) production, so they are never copied.
  await runTool(
    tools.pgDump,
    ['--format=custom', '--schema-only', '--no-subscriptions', `--snapshot=${snapshot}`, `--file=${file}`],
    libpqEnv(sourceUrl),
    'pg_dump of the source schema',
  );
  const listing = await runToolOutput(tools.pgRestore, ['--list', file], 'pg_restore --list');
  return { file, listing: listing.split('\n') };
}

export async function restoreSection(
  tools: PgTools,
  targetUrl: string,
  archive: SchemaArchive,
  section: 'pre-data' | 'post-data',
  jobs: number,
  skipOids: ReadonlySet<string> = new Set(),
): Promise<void> {
  const env = libpqEnv(targetUrl);
  const args = ['--no-owner', '--no-acl', '--exit-on-error', `--dbname=${conninfoDbname(env.PGDATABASE!)}`];
  // The section's entries are listed first and the list alone chooses what is restored:
  // pg_restore puts a comment or grant in the section of the entry before it in the list,
  // so with --section a comment on a skipped constraint would fall into the wrong section
  // and be lost without an error.
  const listing = await runToolOutput(tools.pgRestore, ['--list', `--section=${section}`, archive.file], 'pg_restore --list');
  args.push(`--use-list=${listWithout(archive, listing.split('\n'), skipOids)}`);
  // pre-data is all-or-nothing; post-data builds indexes and constraints in parallel
  // (pg_restore orders them by dependency: foreign keys after the keys they reference).
  args.push(...(section === 'pre-data' ? ['--single-transaction'] : [`--jobs=${jobs}`]), archive.file);
  await runTool(tools.pgRestore, args, env, `pg_restore of the ${section} schema`);
}

/**
 * User mappings hold the credentials a foreign server is reached with (production's
 * integrations): a sandbox must not inherit them.
 */
const NEVER_COPIED = /^USER MAPPING /;

/** How many entries of the archive are never copied, for the copy's warnings. */
export function countNeverCopied(archive: SchemaArchive): number {
  return archive.listing.filter((line) => NEVER_COPIED.test(/^\d+; \d+ \d+ (.*)$/.exec(line)?.[1] ?? '')).length;
}

/** A database name as a libpq connection string, so names with "=" or spaces work too. */
function conninfoDbname(name: string): string {
  return `dbname='${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/**
 * The archive's table of contents without the objects already built elsewhere. Each line
 * reads "<dump id>; <catalog table oid> <object oid> <type> …"; objects are matched by
 * their OID in the source, never by name.
 */
function listWithout(archive: SchemaArchive, listing: readonly string[], skipOids: ReadonlySet<string>): string {
  const kept = listing.filter((line) => {
    const match = /^\d+; \d+ (\d+) (.*)$/.exec(line);
    return !match || (!skipOids.has(match[1]!) && !NEVER_COPIED.test(match[2]!));
  });
  const file = `${archive.file}.list`;
  fs.writeFileSync(file, `${kept.join('\n')}\n`);
  return file;
}

/**
 * Sequence positions (pg_dump sets these in its data section, which the copy replaces).
 * Sequences are not transactional, so this reads their value now, at or past the snapshot's:
 * never lower, so no value handed out in the source can be handed out again in the copy.
 */
export async function copySequences(snapshotClient: pg.ClientBase, target: pg.ClientBase, catalog: SourceCatalog): Promise<void> {
  for (const sequence of catalog.sequences) {
    const name = qualified(sequence.schema, sequence.name);
    const state = await snapshotClient.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM ${name}`);
    const row = state.rows[0]!;
    await target.query('SELECT setval($1::regclass, $2, $3)', [name, row.last_value, row.is_called]);
  }
}

/**
 * Materialized views populated in the source are refreshed in the copy (their contents are
 * data, not schema). One may read another, so those that fail on an unpopulated
 * dependency are retried after the others.
 */
export async function refreshMatviews(target: pg.ClientBase, catalog: SourceCatalog): Promise<void> {
  let pending = catalog.populatedMatviews.map((m) => qualified(m.schema, m.name));
  while (pending.length > 0) {
    const failed: string[] = [];
    let lastError: unknown;
    for (const name of pending) {
      try {
        await target.query(`REFRESH MATERIALIZED VIEW ${name}`);
      } catch (error) {
        failed.push(name);
        lastError = error;
      }
    }
    if (failed.length === pending.length) {
      throw new Error(`refreshing materialized view ${failed[0]}: ${(lastError as Error).message}`, { cause: lastError });
    }
    pending = failed;
  }
}
