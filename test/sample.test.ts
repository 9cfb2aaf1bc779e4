// The sample application generator: deterministic per (scale, variant), different per
// variant in every environment-specific table, and faithful to the invariants of DESIGN §6.
// Needs a PostgreSQL 15 superuser URL in DATAALM_TEST_DATABASE_URL; creates and drops its
// own databases.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createPool } from '../src/adapters/postgres/create-pool.js';
import { APPLICATION_TABLES } from '../src/sample/application-schema.js';
import {
  ENVIRONMENT_SPECIFIC_TABLES,
  loadSampleApplication,
  loadSampleReporting,
  tableChecksums,
  type SampleSummary,
} from '../src/sample/generate-sample.js';
import { REPORTING_TABLES } from '../src/sample/reporting-schema.js';

const serverUrl = process.env.DATAALM_TEST_DATABASE_URL;
const skip = serverUrl ? false : 'DATAALM_TEST_DATABASE_URL is not set (superuser URL of a PostgreSQL 15 server)';
const SCALE = 0.001;

describe('sample application', { skip }, () => {
  const prefix = `dataalm_sample_${process.pid}_${randomBytes(3).toString('hex')}`;
  const created: string[] = [];
  const pools: pg.Pool[] = [];
  let admin: pg.Pool;

  async function freshDatabase(suffix: string, settings: Record<string, string> = {}): Promise<pg.Pool> {
    const name = `${prefix}_${suffix}`;
    await admin.query(`CREATE DATABASE ${name}`);
    created.push(name);
    for (const [setting, value] of Object.entries(settings)) {
      await admin.query(`ALTER DATABASE ${name} SET ${setting} = '${value}'`);
    }
    const url = new URL(serverUrl!);
    url.pathname = `/${name}`;
    const pool = createPool(url.toString(), 3);
    pools.push(pool);
    return pool;
  }

  const count = async (pool: pg.Pool, sql: string): Promise<number> => Number((await pool.query(sql)).rows[0].n);

  let prod: pg.Pool;
  let prodSummary: SampleSummary;
  const progress: { table: string; done: number; total: number }[] = [];

  before(async () => {
    admin = new pg.Pool({ connectionString: serverUrl, max: 1 });
    prod = await freshDatabase('prod');
    prodSummary = await loadSampleApplication(prod, { scale: SCALE, variant: 'contoso-prod', onProgress: (e) => progress.push(e) });
  });

  after(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
    for (const name of created) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  test('summary and progress cover every table', () => {
    assert.equal(prodSummary.tables, APPLICATION_TABLES.length);
    assert.ok(prodSummary.rows > 0 && prodSummary.bytes > 0 && prodSummary.seconds >= 0);
    // Progress counts rows over the whole load: every table appears, the count only grows,
    // and the last event says everything is done.
    for (const { name } of APPLICATION_TABLES) {
      assert.ok(progress.some((e) => e.table === name), `progress for ${name}`);
    }
    assert.ok(progress.every((e, i) => i === 0 || e.done >= progress[i - 1]!.done), 'progress never goes back');
    const last = progress.at(-1)!;
    assert.ok(last.total > 0 && last.done === last.total, 'the last event covers every row');
  });

  test('same scale and variant give identical content, whatever the session settings', async () => {
    // The second copy is loaded and read under another time zone and date style.
    const again = await freshDatabase('prod_again', { timezone: 'America/New_York', datestyle: 'SQL, DMY' });
    await loadSampleApplication(again, { scale: SCALE, variant: 'contoso-prod' });
    assert.deepEqual(await tableChecksums(again), await tableChecksums(prod));
  });

  test('another variant differs in every environment-specific table', async () => {
    const uat = await freshDatabase('uat');
    await loadSampleApplication(uat, { scale: SCALE, variant: 'contoso-uat' });
    const [a, b] = [await tableChecksums(prod), await tableChecksums(uat)];
    for (const table of ENVIRONMENT_SPECIFIC_TABLES) {
      assert.ok(a[table], `${table} exists`);
      assert.notEqual(a[table], b[table], `${table} differs between contoso-prod and contoso-uat`);
    }
    // Production runs recurring integrations; a sandbox has none active (refresh preflight).
    assert.ok((await count(prod, 'SELECT count(*) AS n FROM dmfrecurringjob WHERE enabled = 1')) > 0);
    assert.equal(await count(uat, 'SELECT count(*) AS n FROM dmfrecurringjob WHERE enabled = 1'), 0);
  });

  test('the invariants of DESIGN §6 hold', async () => {
    const sums = await tableChecksums(prod);
    assert.deepEqual(Object.keys(sums).sort(), APPLICATION_TABLES.map((t) => t.name).sort());
    for (const [table, sum] of Object.entries(sums)) assert.ok(Number(sum.split(':')[0]) > 0, `${table} is not empty`);

    assert.equal(await count(prod, `SELECT count(*) AS n FROM partitions WHERE partitionkey = 'initial'`), 1);
    assert.ok((await count(prod, 'SELECT count(*) AS n FROM partitions')) >= 2);
    assert.ok((await count(prod, `SELECT count(*) AS n FROM userinfo u JOIN partitions p ON p.recid = u.partition WHERE p.partitionkey <> 'initial'`)) > 0);
    assert.equal(await count(prod, `SELECT count(*) AS n FROM userinfo WHERE id = 'Admin' AND enable = 1`), 1);
    assert.ok((await count(prod, 'SELECT count(*) AS n FROM userinfo WHERE isserviceaccount = 1')) > 0);
    assert.ok((await count(prod, `SELECT count(*) AS n FROM userinfo WHERE id <> 'Admin' AND isserviceaccount = 0 AND enable = 1`)) > 0);
    assert.ok((await count(prod, `SELECT count(*) AS n FROM userinfo WHERE enable = 0`)) > 0);
    assert.equal(await count(prod, 'SELECT count(DISTINCT status) AS n FROM batchjob'), 6);
    assert.ok((await count(prod, `SELECT count(*) AS n FROM logisticselectronicaddress WHERE type = 2 AND locator LIKE '%_@_%'`)) > 0);
    assert.ok((await count(prod, 'SELECT count(*) AS n FROM logisticselectronicaddress WHERE type <> 2')) > 0);
    for (const history of ['batchjobhistory', 'batchhistory', 'batchconstrainthistory']) {
      assert.ok((await count(prod, `SELECT count(*) AS n FROM ${history}`)) > 0, `${history} has rows`);
    }
    assert.equal(await count(prod, `SELECT count(DISTINCT direction) AS n FROM dmfrecurringjob`), 2);
    // Attachments are ~10 kB of incompressible bytes, stored at full size.
    assert.equal(await count(prod, 'SELECT count(*) AS n FROM docuvalue WHERE length(file) < 10000 OR pg_column_size(file) < 10000'), 0);
    assert.equal(await count(prod, `SELECT count(*) AS n FROM pg_constraint WHERE contype = 'f' AND convalidated`), 9);
    assert.equal(await count(prod, `SELECT count(*) AS n FROM pg_class WHERE relkind = 'S' AND relname = 'recid_seq'`), 1);
    assert.ok((await count(prod, `SELECT count(*) AS n FROM custbalance`)) > 0);
    assert.equal(await count(prod, `SELECT count(*) AS n FROM (SELECT FROM generaljournalaccountentry
      GROUP BY generaljournalentry HAVING sum(accountingcurrencyamount) <> 0) AS unbalanced`), 0);
  });

  test('the reporting loader creates and fills its schema', async () => {
    const reporting = await freshDatabase('reporting');
    const summary = await loadSampleReporting(reporting, { scale: SCALE, variant: 'contoso-prod' });
    assert.equal(summary.tables, REPORTING_TABLES.length);
    const sums = await tableChecksums(reporting);
    assert.deepEqual(Object.keys(sums).sort(), [...REPORTING_TABLES].sort());
    for (const [table, sum] of Object.entries(sums)) assert.ok(Number(sum.split(':')[0]) > 0, `${table} is not empty`);
  });
});
