// Loads the sample application and financial reporting databases (DESIGN §6) into empty
// databases. All rows are generated server-side (INSERT … SELECT … FROM generate_series), in
// chunks shared by two concurrent statements, and are a pure function of (scale, variant).

import { APPLICATION_FOREIGN_KEYS, APPLICATION_OBJECTS, APPLICATION_TABLES, RECID_SEQUENCE } from './application-schema.js';
import { platformLoads } from './platform-data.js';
import { REPORTING_DDL } from './reporting-schema.js';
import { reportingLoads } from './reporting-data.js';
import { runParallel } from './run-parallel.js';
import { rowCounts, type LoadContext, type RowCounts, type TableLoad, type TableName } from './sample-rows.js';
import { RECID_BASE, SqlRandom, checkVariant, lit } from './sql-random.js';
import { transactionLoads } from './transaction-data.js';

export { tableChecksums } from './checksums.js';

/** What the loader needs of a connection pool; a node-postgres `pg.Pool` fits. */
export interface SqlPool {
  query(text: string, values?: unknown[]): Promise<{ rows: any[]; rowCount: number | null }>;
}

export interface SampleOptions {
  /** Size factor (0.001 … 10 tested); 1 is about 1 GiB of application database. */
  scale: number;
  /** Environment name (e.g. 'contoso-prod'); environment-specific rows depend on it. */
  variant: string;
  /** Tenant domain of the users and the Admin account. (Default: the variant's first word + '.com') */
  tenant?: string;
  /** Identity of the Admin user. (Default: admin@<tenant>) */
  administrator?: string;
  onProgress?: (event: { table: string; done: number; total: number }) => void;
}

export interface SampleSummary {
  tables: number;
  rows: number;
  /** pg_database_size after loading. */
  bytes: number;
  seconds: number;
}

/**
 * Application tables whose rows belong to the environment rather than to the business data
 * (servers, sessions, printers, relays, secrets, attachments, integrations): their content
 * differs between variants, so a refresh that keeps the target's rows can be checked.
 */
export const ENVIRONMENT_SPECIFIC_TABLES: readonly string[] = [
  'sysemailparameters', 'sysemailsmtppassword', 'printmgmtsettings', 'printmgmtdocinstance',
  'sysserverconfig', 'sysserversessions', 'syscorpnetprinters', 'sysclientsessions',
  'batchserverconfig', 'batchservergroup', 'docuvalue', 'personnellintegrationconfiguration',
  'retailchanneldatabase', 'retailchannelprofileproperty', 'dmfrecurringjob',
];

/** Heavy statements in flight at once: one per core of the 2-core machines we measure on. */
const CONCURRENCY = 2;

function checkOptions(options: SampleOptions): void {
  // Any positive scale works (small tables have minimums); 0.001 … 10 is the tested range.
  if (!(options.scale > 0 && options.scale <= 100)) {
    throw new RangeError(`sample scale must be above 0 and at most 100, got ${options.scale}`);
  }
  checkVariant(options.variant);
}

function loadContext(options: SampleOptions): LoadContext {
  return {
    random: new SqlRandom(options.variant),
    rows: rowCounts(options.scale),
    variant: lit(options.variant),
    // 'contoso-prod' and 'contoso-uat' share the tenant contoso.com, as DESIGN §6's demo does.
    tenant: lit(options.tenant ?? `${options.variant.split(/[-_.]/)[0]!.toLowerCase()}.com`),
    administrator: options.administrator === undefined ? undefined : lit(options.administrator),
    production: /prod/i.test(options.variant),
  };
}

/** Runs every table's INSERT chunks, biggest tables first, reporting progress per chunk. */
async function loadData(pool: SqlPool, loads: readonly TableLoad[], rows: RowCounts, options: SampleOptions): Promise<void> {
  // Progress counts rows over all tables, so one bar covers the whole load.
  const total = loads.reduce((sum, load) => sum + rows[load.table], 0);
  let done = 0;
  const tasks = [...loads]
    .sort((a, b) => rows[b.table] - rows[a.table])
    .flatMap((load) => {
      const tableRows = rows[load.table];
      const chunks: (() => Promise<void>)[] = [];
      for (let from = 1; from <= tableRows; from += load.chunkRows) {
        const to = Math.min(tableRows, from + load.chunkRows - 1);
        chunks.push(async () => {
          await pool.query(load.insert(from, to));
          done += to - from + 1;
          options.onProgress?.({ table: load.table, done, total });
        });
      }
      return chunks;
    });
  await runParallel(tasks, CONCURRENCY);
}

async function summarize(pool: SqlPool, tables: number, rows: number, started: number): Promise<SampleSummary> {
  const { rows: [size] } = await pool.query('SELECT pg_database_size(current_database())::text AS bytes');
  return { tables, rows, bytes: Number(size.bytes), seconds: Math.round(performance.now() - started) / 1000 };
}

export async function loadSampleApplication(pool: SqlPool, options: SampleOptions): Promise<SampleSummary> {
  checkOptions(options);
  const started = performance.now();
  const context = loadContext(options);
  const rows = context.rows;
  const loads = [...platformLoads(context), ...transactionLoads(context)];
  const missing = APPLICATION_TABLES.filter((t) => !loads.some((l) => l.table === t.name));
  if (missing.length > 0) throw new Error(`no sample generator for ${missing.map((t) => t.name).join(', ')}`);

  await pool.query([...APPLICATION_TABLES.map((t) => t.create), ...APPLICATION_OBJECTS].join(';\n'));
  await loadData(pool, loads, rows, options);

  const bySize = [...APPLICATION_TABLES].sort((a, b) => rows[b.name as TableName] - rows[a.name as TableName]);
  // One task per table: its primary key and indexes in one transaction (ALTER TABLE locks the
  // table exclusively, so splitting a table's indexes over both workers would only queue).
  await runParallel(bySize.map((t) => () => pool.query(t.indexes.join(';\n'))), CONCURRENCY);
  // VACUUM sets the visibility map so the foreign-key checks below scan indexes only (see
  // notes/copy-anchors.md), ANALYZE leaves the statistics a live database has, and both
  // settle hint bits so a later copy of this database does not pay for them.
  await runParallel(bySize.map((t) => () => pool.query(`VACUUM (ANALYZE) ${t.name}`)), CONCURRENCY);
  const fkTables = [...new Set(APPLICATION_FOREIGN_KEYS.map((fk) => fk.table))];
  await runParallel(fkTables.map((table) => () =>
    pool.query(APPLICATION_FOREIGN_KEYS.filter((fk) => fk.table === table).map((fk) => fk.sql).join(';\n'))), CONCURRENCY);
  // Next RecId after the largest table's last one: derived from the data, never from timing.
  await pool.query(`SELECT setval('${RECID_SEQUENCE}', ${RECID_BASE - 1 + Math.max(...Object.values(rows))})`);

  const total = Object.values(rows).reduce((sum, n) => sum + n, 0);
  return summarize(pool, APPLICATION_TABLES.length, total, started);
}

export async function loadSampleReporting(pool: SqlPool, options: SampleOptions): Promise<SampleSummary> {
  checkOptions(options);
  const started = performance.now();
  const loads = reportingLoads(options.scale, new SqlRandom(options.variant));
  await pool.query(REPORTING_DDL.join(';\n'));
  // Serial, parents first: the tables are tiny and their foreign keys already exist.
  for (const load of loads) {
    await pool.query(load.sql);
    options.onProgress?.({ table: load.table, done: load.rows, total: load.rows });
  }
  await pool.query('ANALYZE');
  return summarize(pool, loads.length, loads.reduce((sum, l) => sum + l.rows, 0), started);
}
