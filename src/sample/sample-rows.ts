// Row counts per scale and the shape of one table's generator. At scale 1 the counts add up
// to ~3.6 M rows and ~1 GiB, the dataset the copy-speed anchors were measured on.

import type { SqlRandom } from './sql-random.js';

/** Application servers of an environment; configuration tables have one row per server. */
export const SERVERS = 4;

export function rowCounts(scale: number) {
  // Small tables keep a minimum so that even a tiny scale shows every rule on real rows.
  const n = (atScale1: number, minimum: number) => Math.max(minimum, Math.round(atScale1 * scale));
  const generaljournalentry = n(350_000, 10);
  const salestable = n(90_000, 10);
  return {
    partitions: 2,
    userinfo: n(2_000, 20),
    batchjob: n(2_000, 12),
    batchjobhistory: n(20_000, 30),
    batchhistory: n(80_000, 60),
    batchconstrainthistory: n(15_000, 20),
    logisticselectronicaddress: n(60_000, 30),
    sysemailparameters: 1,
    sysemailsmtppassword: 1,
    printmgmtdocinstance: n(150, 10),
    printmgmtsettings: n(300, 10),
    sysserverconfig: SERVERS,
    sysserversessions: 2 * SERVERS,
    syscorpnetprinters: n(40, 6),
    sysclientsessions: n(400, 10),
    batchserverconfig: SERVERS,
    batchservergroup: 3 * SERVERS,
    docuvalue: n(7_300, 5),
    personnellintegrationconfiguration: 1,
    dmfrecurringjob: 6, // one per entity named in platform-data.ts
    retailchanneldatabase: 2,
    retailchannelprofileproperty: 3, // one per URL named in platform-data.ts
    mainaccount: n(1_500, 20),
    generaljournalentry,
    // Journal entries have exactly 4 lines and sales orders 5, so a line finds its header by
    // arithmetic on its row number (no lookups while generating).
    generaljournalaccountentry: 4 * generaljournalentry,
    custtable: n(25_000, 10),
    custtrans: n(400_000, 20),
    inventtable: n(12_000, 10),
    inventtrans: n(700_000, 20),
    salestable,
    salesline: 5 * salestable,
  };
}

export type RowCounts = ReturnType<typeof rowCounts>;
export type TableName = keyof RowCounts;

/** What every generator may use. */
export interface LoadContext {
  readonly random: SqlRandom;
  readonly rows: RowCounts;
  /** The variant as an SQL literal, for values that name the environment. */
  readonly variant: string;
  /** The identity tenant's domain as an SQL literal, e.g. 'contoso.com' for 'contoso-prod'. */
  readonly tenant: string;
  /** The Admin user's identity as an SQL literal; undefined: admin@<tenant>. */
  readonly administrator: string | undefined;
  /** Production-like variants (name contains "prod") run recurring integrations. */
  readonly production: boolean;
}

export interface TableLoad {
  readonly table: TableName;
  /** Rows per INSERT statement: progress is reported and work is shared per chunk. */
  readonly chunkRows: number;
  /** INSERT … SELECT for row numbers from..to (1-based, inclusive). */
  insert(from: number, to: number): string;
}

/** 100,000 rows per statement: a fraction of a second each, so progress moves and both workers stay busy. */
export function tableLoad(table: TableName, insert: TableLoad['insert'], chunkRows = 100_000): TableLoad {
  return { table, chunkRows, insert };
}

/** INSERT … SELECT with each column next to its expression, so the two cannot drift apart. */
export function insertSelect(table: string, values: Record<string, string>, from: string): string {
  return `INSERT INTO ${table} (${Object.keys(values).join(', ')})
SELECT ${Object.values(values).join(',\n       ')}
  FROM ${from}`;
}

/**
 * Row numbers g in [from, to], with `derived` expressions (e.g. a parent's row number) computed
 * once per row in a subquery so several columns can share them.
 */
export function series(from: number, to: number, derived: Record<string, string> = {}): string {
  const rows = `generate_series(${from}::bigint, ${to}::bigint) AS g`;
  const extra = Object.entries(derived).map(([name, sql]) => `, ${sql} AS ${name}`).join('');
  return extra === '' ? rows : `(SELECT g${extra} FROM ${rows}) AS s`;
}
