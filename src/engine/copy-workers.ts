import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { CopyPlan, TablePart, TablePlan } from './copy-plan.js';
import { connectCopySession } from './copy-session.js';
import { quoteIdent } from './mask-sql.js';

export interface WorkerContext {
  readonly sourceUrl: string;
  readonly targetUrl: string;
  readonly keepFromUrl: string | undefined;
  readonly snapshot: string;
  readonly keepFromSnapshot: string | undefined;
  readonly jobs: number;
  /** Called as bytes stream, for progress. */
  readonly onBytes: (bytes: number) => void;
  readonly onTableDone: (table: TablePlan, rows: number, bytes: number, seconds: number) => void;
  /** Receives each table once its data is in (at once for tables that get no data). */
  readonly onTableLoaded: (table: TablePlan) => void;
  /**
   * The tables exist with their indexes, constraints and triggers (a clone of a mirror) and
   * were emptied by the caller: rows go in under session_replication_role = replica, so no
   * trigger of the application's and no foreign-key check fires (the caller checks the keys).
   */
  readonly intoExisting?: boolean;
}

interface Task {
  readonly table: TablePlan;
  readonly part: TablePart;
}

export interface TableCounts {
  rows: number;
  bytes: number;
}

/**
 * The data phase: a supervisor hands table parts, largest first, to N workers. Each worker
 * holds one connection to the source inside the exported snapshot, one to the target, and
 * streams COPY TO → COPY FROM with nothing buffered beyond the streams' own chunks.
 */
export async function copyTableData(plan: CopyPlan, context: WorkerContext): Promise<Map<string, TableCounts>> {
  const tasks: Task[] = plan.tables
    .filter((t) => t.mode !== 'clear')
    .flatMap((table) => table.parts.map((part) => ({ table, part })));
  // Parts of the costliest tables first, interleaved so one table's parts run side by side.
  tasks.sort((a, b) => b.table.cost / b.table.parts.length - a.table.cost / a.table.parts.length);
  const counts = new Map<string, TableCounts>(plan.tables.map((t) => [t.qualifiedName, { rows: 0, bytes: 0 }]));
  const partsLeft = new Map(plan.tables.map((t) => [t.qualifiedName, t.parts.length]));
  const started = new Map<string, number>();
  let next = 0;
  let failure: unknown;
  for (const table of plan.tables) if (table.mode === 'clear') context.onTableLoaded(table);

  const worker = async (): Promise<void> => {
    const session = await openSession(context);
    try {
      while (failure === undefined && next < tasks.length) {
        const task = tasks[next++]!;
        const key = task.table.qualifiedName;
        if (!started.has(key)) started.set(key, performance.now());
        const result = await copyPart(session, task, context);
        // A transaction holds every lock it took (the table's, and its indexes' that the
        // planner opened) to its end: one per task keeps a worker's locks few, so a source of
        // thousands of tables fits the server's lock table.
        await renewSnapshot(session.source, context.snapshot);
        const total = counts.get(key)!;
        total.rows += result.rows;
        total.bytes += result.bytes;
        const left = partsLeft.get(key)! - 1;
        partsLeft.set(key, left);
        if (left === 0) {
          context.onTableLoaded(task.table);
          context.onTableDone(task.table, total.rows, total.bytes, (performance.now() - started.get(key)!) / 1000);
        }
      }
    } catch (error) {
      failure ??= error;
    } finally {
      await session.close();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(context.jobs, tasks.length)) }, worker));
  if (failure !== undefined) throw failure;
  return counts;
}

interface Session {
  readonly source: pg.Client;
  readonly target: pg.Client;
  keepFrom: pg.Client | undefined;
  close(): Promise<void>;
}

/** A session on `url` inside the exported snapshot: it sees exactly what the snapshot saw. */
/** Ends the session's transaction and starts another in the same exported snapshot. */
export async function renewSnapshot(client: pg.ClientBase, snapshot: string): Promise<void> {
  await client.query(`COMMIT; BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(snapshot)}`);
}

export async function openSnapshotClient(url: string, snapshot: string): Promise<pg.Client> {
  const client = await connectCopySession(url, 'data');
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`SET TRANSACTION SNAPSHOT ${pg.escapeLiteral(snapshot)}`);
  } catch (error) {
    await client.end().catch(() => {});
    throw error;
  }
  return client;
}

/**
 * While a table with reg* columns is copied or compared, both sides name catalog objects
 * as pg_dump does: search_path = pg_catalog, so every name outside pg_catalog is written
 * schema-qualified and read back as the same object. Other tables keep the sessions'
 * search_path (a CHECK constraint's function may rely on it, as it does in the source).
 */
export const OBJECT_NAMES_PATH = 'SET search_path = pg_catalog';

/**
 * SQLSTATEs of a reg* value that names an object the copy does not have (yet): undefined
 * table, function, object, schema, text search configuration, ambiguous function.
 */
const MISSING_OBJECT_CODES = new Set(['42P01', '42883', '42704', '3F000', '42725']);

async function openSession(context: WorkerContext): Promise<Session> {
  const source = await openSnapshotClient(context.sourceUrl, context.snapshot);
  const target = await connectCopySession(context.targetUrl, 'data');
  // The copy is a new database nobody reads yet: losing the last commits in a crash is
  // harmless (the copy would be redone), so don't wait for each commit's WAL flush.
  await target.query('SET synchronous_commit = off');
  if (context.intoExisting) await target.query('SET session_replication_role = replica');
  const session: Session = {
    source,
    target,
    keepFrom: undefined,
    async close() {
      await Promise.all([source.end(), target.end(), session.keepFrom?.end()].map((p) => p?.catch(() => {})));
    },
  };
  return session;
}

async function copyPart(session: Session, task: Task, context: WorkerContext): Promise<TableCounts> {
  const { table, part } = task;
  const format = table.binary ? 'binary' : 'text';
  // A table without copied columns (none, or only generated ones) is copied with no column
  // list: its rows are still rows, and their count must match.
  const columnList = table.columns.length > 0 ? ` (${table.columns.map(quoteIdent).join(', ')})` : '';
  let reader: pg.Client;
  let sourceSql: string;
  if (table.mode === 'keep-rows') {
    session.keepFrom ??= await openSnapshotClient(context.keepFromUrl!, context.keepFromSnapshot!);
    reader = session.keepFrom;
    sourceSql = `COPY ${table.qualifiedName}${columnList} TO STDOUT (FORMAT ${format})`;
  } else {
    reader = session.source;
    const plain = part.where === undefined && table.masked.length === 0;
    sourceSql = plain
      ? `COPY ${table.qualifiedName}${columnList} TO STDOUT (FORMAT ${format})`
      : `COPY (SELECT ${table.selectList.join(', ')} FROM ONLY ${table.qualifiedName}${part.where ? ` WHERE ${part.where}` : ''}) TO STDOUT (FORMAT ${format})`;
  }
  // A table copied in one piece is emptied and filled in one transaction, which lets COPY
  // FREEZE write the rows already frozen and all-visible: no VACUUM pass, no hint-bit
  // writes on first read, and index-only scans for the foreign-key checks that follow.
  const whole = table.parts.length === 1 && context.intoExisting !== true;
  const target = session.target;
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      context.onBytes(chunk.length);
      callback(null, chunk);
    },
  });
  try {
    if (table.namesObjects) {
      await reader.query(OBJECT_NAMES_PATH);
      await target.query(OBJECT_NAMES_PATH);
    }
    if (whole) {
      await target.query('BEGIN');
      await target.query(`TRUNCATE ONLY ${table.qualifiedName}`);
    }
    const out = reader.query(copyTo(sourceSql));
    const into = target.query(copyFrom(`COPY ${table.qualifiedName}${columnList} FROM STDIN (FORMAT ${format}${whole ? ', FREEZE' : ''})`));
    await pipeline(out, counter, into);
    if (whole) await target.query('COMMIT');
    if (table.namesObjects) {
      await reader.query('RESET search_path');
      await target.query('RESET search_path');
    }
    return { rows: into.rowCount, bytes };
  } catch (error) {
    if (whole) await target.query('ROLLBACK').catch(() => {});
    const code = (error as { code?: string }).code;
    const hint =
      table.namesObjects && code !== undefined && MISSING_OBJECT_CODES.has(code)
        ? ' (a reg* column names an object the copy does not have when its data is loaded, e.g. an index or constraint made later; pg_dump and pg_restore fail the same way: store such a reference as text)'
        : '';
    throw new Error(`copying ${table.schema}.${table.name}${table.parts.length > 1 ? ` (part ${part.index + 1})` : ''}: ${(error as Error).message}${hint}`, {
      cause: error,
    });
  }
}
