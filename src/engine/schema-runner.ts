import type pg from 'pg';
import { connectCopySession } from './copy-session.js';
import { describePgError } from './describe-pg-error.js';
import type { SchemaScript, ScriptEntry } from './schema-script.js';

/**
 * Runs the schema scripts' entries on the target. pg_restore --single-transaction held one
 * lock per object to the end, which a database of a few thousand tables runs out of at
 * the default max_locks_per_transaction; here pre-data commits every PRE_DATA_BATCH
 * entries, and post-data builds indexes and foreign keys on `jobs` sessions.
 */

/**
 * Entries per pre-data transaction: a batch locks a few objects per entry, far below a
 * server's lock table (64 × max_connections at default settings), and a failure still
 * removes the whole half-made database.
 */
const PRE_DATA_BATCH = 100;

/**
 * User mappings hold the credentials a foreign server is reached with (production's
 * integrations): a sandbox must not inherit them.
 */
export const NEVER_RUN = new Set(['USER MAPPING']);

/**
 * Entries run at the very end, as pg_restore's last passes do: grants (a REVOKE must not
 * stop the copy's own writes), then event triggers (they must not fire on the restore).
 */
const LAST = ['ACL', 'DEFAULT ACL', 'EVENT TRIGGER'];

/**
 * The entries of both sections run at the very end: those of a LAST type, and what depends
 * on an event trigger (its comment, security label), which must follow it.
 */
function lastEntries(sections: readonly SchemaScript[]): Set<ScriptEntry> {
  const all = sections.flatMap((s) => s.entries);
  const triggers = new Set(all.filter((e) => e.type === 'EVENT TRIGGER').map((e) => e.dumpId));
  return new Set(all.filter((e) => !NEVER_RUN.has(e.type) && (LAST.includes(e.type) || e.deps.some((d) => triggers.has(d)))));
}

const DEADLOCK = '40P01';
const DEADLOCK_RETRIES = 5;

/** One target session that runs entries: the script's preamble, then each entry's prelude as needed. */
class ScriptSession {
  readonly #client: pg.Client;
  readonly #context = new Map<string, string>();
  /** Inside BEGIN … COMMIT: a failed entry cannot be retried on its own. */
  #explicit = false;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async open(url: string, purpose: string, preamble: readonly string[]): Promise<ScriptSession> {
    const client = await connectCopySession(url, purpose);
    try {
      // pg_restore writing a script does not know the server it will run on: newer tools
      // set parameters an older target lacks (pg_restore 17: transaction_timeout).
      const known = new Set((await client.query<{ name: string }>('SELECT name FROM pg_settings')).rows.map((r) => r.name));
      const lines = preamble.filter((line) => {
        const set = /^SET (\w+) = /.exec(line);
        return set === null || known.has(set[1]!.toLowerCase());
      });
      // The copy's database is dropped if it fails, so a crash loses nothing commits keep.
      await client.query(`${lines.join('\n')}\nSET synchronous_commit = off;`);
    } catch (error) {
      await client.end().catch(() => {});
      throw new Error(`schema script preamble: ${describePgError(error)}`, { cause: error });
    }
    return new ScriptSession(client);
  }

  async begin(): Promise<void> {
    await this.#client.query('BEGIN');
    this.#explicit = true;
  }

  async commit(): Promise<void> {
    await this.#client.query('COMMIT');
    this.#explicit = false;
  }

  async run(entry: ScriptEntry): Promise<void> {
    const wanted = new Map(entry.prelude.map((line) => [/^SET (\w+)/.exec(line)![1]!, line]));
    const changes: string[] = [];
    for (const [name, line] of wanted) if (this.#context.get(name) !== line) changes.push(line);
    for (const name of this.#context.keys()) if (!wanted.has(name)) changes.push(`RESET ${name};`);
    for (let attempt = 1; ; attempt++) {
      try {
        if (changes.length > 0) {
          await this.#client.query(changes.join('\n'));
          this.#context.clear();
          for (const [name, line] of wanted) this.#context.set(name, line);
          changes.length = 0;
        }
        if (hasStatements(entry.sql)) await this.#client.query(entry.sql);
        return;
      } catch (error) {
        // Outside BEGIN an entry's statements are one implicit transaction, rolled back whole.
        if ((error as { code?: string }).code === DEADLOCK && attempt < DEADLOCK_RETRIES && !this.#explicit) continue;
        throw new Error(`${entry.type} ${entry.name}: ${describePgError(error)}`, { cause: error });
      }
    }
  }

  async close(): Promise<void> {
    await this.#client.end().catch(() => {});
  }
}

function hasStatements(sql: string): boolean {
  return sql.split('\n').some((line) => !/^\s*(--.*)?$/.test(line));
}

/** The pre-data entries, in order, in transactions of at most PRE_DATA_BATCH entries. */
export async function runPreData(url: string, script: SchemaScript): Promise<void> {
  const last = lastEntries([script]);
  const entries = script.entries.filter((e) => !NEVER_RUN.has(e.type) && !last.has(e));
  const session = await ScriptSession.open(url, 'schema', script.preamble);
  try {
    for (let i = 0; i < entries.length; i += PRE_DATA_BATCH) {
      await session.begin();
      for (const entry of entries.slice(i, i + PRE_DATA_BATCH)) await session.run(entry);
      await session.commit();
    }
  } finally {
    await session.close();
  }
}

/**
 * The post-data entries, then what both sections left for last:
 * 1. indexes (not built already, not depending on another post-data entry) on `jobs` sessions;
 * 2. the rest in order on one session;
 * 3. foreign keys (and their comments) on `jobs` sessions, never two on the same table at once;
 * 4. grants, default privileges and event triggers (with their comments) of both sections, in order.
 * Indexes and constraints whose source OID is in `built` are skipped, but their comments
 * and security labels still run.
 */
export async function runPostData(url: string, pre: SchemaScript, post: SchemaScript, jobs: number, built: ReadonlySet<string>): Promise<void> {
  const isBuilt = (e: ScriptEntry) => (e.type === 'INDEX' || e.type === 'CONSTRAINT') && built.has(e.objectOid);
  const runLast = lastEntries([pre, post]);
  const entries = post.entries.filter((e) => !NEVER_RUN.has(e.type) && !isBuilt(e));
  const postIds = new Set(entries.map((e) => e.dumpId));
  const indexes = entries.filter((e) => e.type === 'INDEX' && e.deps.every((d) => !postIds.has(d)));
  const foreignKeys = entries.filter((e) => e.type === 'FK CONSTRAINT');
  const fkIds = new Set(foreignKeys.map((e) => e.dumpId));
  // What depends on a foreign key (its comment, security label) runs right after it.
  const fkExtras = entries.filter((e) => !fkIds.has(e.dumpId) && !runLast.has(e) && e.deps.some((d) => fkIds.has(d)));
  const apart = new Set([...indexes, ...foreignKeys, ...fkExtras]);
  const last = [...pre.entries, ...entries].filter((e) => runLast.has(e));
  const rest = entries.filter((e) => !apart.has(e) && !runLast.has(e));

  await inParallel(url, post.preamble, jobs, indexes.map((e) => ({ entries: [e], tables: new Set<number>() })));
  await inOrder(url, post.preamble, rest);
  const tableIds = new Set(pre.entries.filter((e) => e.type === 'TABLE').map((e) => e.dumpId));
  const fkTasks = foreignKeys.map((fk) => ({
    entries: [fk, ...fkExtras.filter((c) => c.deps.includes(fk.dumpId) && c.deps.every((d) => d === fk.dumpId || !fkIds.has(d)))],
    tables: new Set(fk.deps.filter((d) => tableIds.has(d))),
  }));
  await inParallel(url, post.preamble, jobs, fkTasks);
  // An entry depending on several foreign keys (rare) runs once they are all in.
  await inOrder(url, post.preamble, fkExtras.filter((e) => e.deps.filter((d) => fkIds.has(d)).length > 1));
  await inOrder(url, post.preamble, last);
}

async function inOrder(url: string, preamble: readonly string[], entries: readonly ScriptEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const session = await ScriptSession.open(url, 'schema', preamble);
  try {
    for (const entry of entries) await session.run(entry);
  } finally {
    await session.close();
  }
}

interface Task {
  readonly entries: readonly ScriptEntry[];
  /** Dump ids of the tables it locks: no two tasks on one table run at once. */
  readonly tables: ReadonlySet<number>;
}

/** Runs tasks on up to `jobs` sessions; the first failure stops handing out tasks and is thrown. */
async function inParallel(url: string, preamble: readonly string[], jobs: number, tasks: readonly Task[]): Promise<void> {
  if (tasks.length === 0) return;
  const pending = [...tasks];
  const busy = new Set<number>();
  let failure: unknown;
  let wake: (() => void) | undefined;
  const take = (): Task | undefined => {
    const index = pending.findIndex((t) => [...t.tables].every((id) => !busy.has(id)));
    if (index < 0) return undefined;
    const [task] = pending.splice(index, 1);
    for (const id of task!.tables) busy.add(id);
    return task;
  };
  const worker = async () => {
    let session: ScriptSession | undefined;
    try {
      while (failure === undefined && pending.length > 0) {
        const task = take();
        if (!task) {
          // Every pending task shares a table with a running one: wait for one to end.
          await new Promise<void>((resolve) => {
            const previous = wake;
            wake = () => {
              previous?.();
              resolve();
            };
          });
          continue;
        }
        try {
          session ??= await ScriptSession.open(url, 'constraints', preamble);
          for (const entry of task.entries) await session.run(entry);
        } finally {
          for (const id of task.tables) busy.delete(id);
          const w = wake;
          wake = undefined;
          w?.();
        }
      }
    } catch (error) {
      failure ??= error;
      const w = wake;
      wake = undefined;
      w?.();
    } finally {
      await session?.close();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  if (failure !== undefined) throw failure;
}
