import type pg from 'pg';
import { connectCopySession } from './copy-session.js';
import type { TablePlan } from './copy-plan.js';
import { quoteIdent } from './mask-sql.js';

/**
 * Builds each table's indexes and key constraints as soon as its data is in, then gathers
 * its statistics, on its own workers, while other tables are still copying (pgcopydb
 * overlaps the same way). What is built here is left out of the final pg_restore of the
 * post-data section, by catalog OID.
 */
export class IndexBuilder {
  readonly #targetUrl: string;
  readonly #queue: TablePlan[] = [];
  readonly #waiting: ((table: TablePlan | undefined) => void)[] = [];
  readonly #workers: Promise<void>[];
  readonly #built = new Set<string>();
  #closed = false;
  #failure: unknown;

  constructor(targetUrl: string, jobs: number) {
    this.#targetUrl = targetUrl;
    this.#workers = Array.from({ length: jobs }, () => this.#work());
  }

  /** Source OIDs of the indexes and constraints built here. */
  get built(): ReadonlySet<string> {
    return this.#built;
  }

  add(table: TablePlan): void {
    if (this.#failure !== undefined || (table.mode === 'clear' && table.indexes.length === 0)) return;
    const waiter = this.#waiting.shift();
    if (waiter) waiter(table);
    else this.#queue.push(table);
  }

  /** Waits for every queued table; rethrows the first failure. */
  async finish(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter(undefined);
    await Promise.all(this.#workers);
    if (this.#failure !== undefined) throw this.#failure;
  }

  #next(): Promise<TablePlan | undefined> {
    const table = this.#queue.shift();
    if (table || this.#closed) return Promise.resolve(table);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async #work(): Promise<void> {
    let client: pg.Client | undefined;
    try {
      for (let table = await this.#next(); table && this.#failure === undefined; table = await this.#next()) {
        if (!client) {
          client = await connectCopySession(this.#targetUrl, 'indexes');
          await client.query('SET search_path = pg_catalog');
          await client.query('SET max_parallel_maintenance_workers = 0');
        }
        for (const index of table.indexes) {
          if (index.constraint) {
            await client.query(`ALTER TABLE ONLY ${table.qualifiedName} ADD CONSTRAINT ${quoteIdent(index.constraint.name)} ${index.constraint.definition}`);
            this.#built.add(index.constraint.oid);
          } else {
            await client.query(index.definition);
          }
          const indexName = `${quoteIdent(table.schema)}.${quoteIdent(index.name)}`;
          for (const { column, target } of index.statisticsTargets) {
            await client.query(`ALTER INDEX ${indexName} ALTER COLUMN ${column} SET STATISTICS ${target}`);
          }
          if (index.clustered) await client.query(`ALTER TABLE ONLY ${table.qualifiedName} CLUSTER ON ${quoteIdent(index.name)}`);
          if (index.replicaIdentity) {
            await client.query(`ALTER TABLE ONLY ${table.qualifiedName} REPLICA IDENTITY USING INDEX ${quoteIdent(index.name)}`);
          }
          this.#built.add(index.oid);
        }
        // Statistics after the indexes, so expression indexes get theirs too; a table loaded
        // in parts (not frozen) also needs its visibility map, for fast foreign-key checks.
        if (table.mode !== 'clear') {
          await client.query(table.parts.length > 1 ? `VACUUM (ANALYZE) ${table.qualifiedName}` : `ANALYZE ${table.qualifiedName}`);
        }
      }
    } catch (error) {
      this.#failure ??= new Error(`building indexes: ${(error as Error).message}`, { cause: error });
    } finally {
      await client?.end().catch(() => {});
    }
  }
}
