import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { BUILT_IN_PROFILE_INPUTS } from '../src/domain/profile/built-in-profiles.ts';
import type { Operation } from '../src/domain/operation.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { pollPause, waitFor } from './helpers/wait.ts';

// contoso-prod → contoso-uat on the demo project, checked in SQL on both sides.
let demo: Demo;

before(async () => {
  demo = await startDemo('refresh');
});
after(async () => {
  await demo?.close();
});

const checksums = (database: string) => demo.checksums(database);

/** A client of the sandbox that keeps opening connections and reading while a refresh runs. */
function watchTarget(database: string, sql: string) {
  const seen: { at: number; value?: string; error?: string }[] = [];
  let stop = false;
  const done = (async () => {
    while (!stop) {
      const client = new pg.Client({ connectionString: demo.url(database), connectionTimeoutMillis: 2000 });
      client.on('error', () => {});
      try {
        await client.connect();
        const rows = await client.query<{ v: string }>(sql);
        seen.push({ at: Date.now(), value: String(rows.rows[0]!.v) });
      } catch (error) {
        seen.push({ at: Date.now(), error: (error as Error).message });
      } finally {
        await client.end().catch(() => {});
      }
      await pollPause(10);
    }
  })();
  return {
    seen,
    async stop() {
      stop = true;
      await done;
    },
  };
}

const ENV_SPECIFIC_KEPT = [
  'sysemailsmtppassword', 'printmgmtsettings', 'printmgmtdocinstance', 'sysserverconfig', 'syscorpnetprinters',
  'batchserverconfig', 'batchservergroup', 'docuvalue', 'retailchanneldatabase',
];
const CLEARED = ['batchjobhistory', 'batchhistory', 'batchconstrainthistory', 'sysserversessions', 'sysclientsessions'];
/** Tables the profile, the sanitize statements or the synchronize command change. */
const CHANGED = new Set([
  ...ENV_SPECIFIC_KEPT, ...CLEARED, 'logisticselectronicaddress', 'sysemailparameters', 'personnellintegrationconfiguration',
  'userinfo', 'batchjob', 'dmfrecurringjob', 'custtable',
]);

describe('refresh contoso-prod → contoso-uat', () => {
  let refreshId: number;
  let uatBefore: Record<string, string>;
  let uatReportingBefore: Record<string, string>;

  test('every rule of the seed holds on contoso-uat afterwards, the rest equals production, and the report says so', async () => {
    const prodBefore = await checksums('contoso_prod_app');
    const prodReporting = await checksums('contoso_prod_reporting');
    uatBefore = await checksums('contoso_uat_app');
    uatReportingBefore = await checksums('contoso_uat_reporting');
    const uatRelay = await demo.query('contoso_uat_app', 'SELECT smtprelayservername AS v FROM sysemailparameters');
    const uatConnection = await demo.query('contoso_uat_app', 'SELECT recid, connectionstring FROM personnellintegrationconfiguration ORDER BY recid');
    const prodAddresses = new Set(
      (await demo.query<{ locator: string }>('contoso_prod_app', 'SELECT locator FROM logisticselectronicaddress WHERE type = 2')).map((r) => r.locator),
    );
    assert.ok(prodAddresses.size > 10);

    // Database-level properties are the environment's: the sandbox keeps its own.
    await demo.query('contoso_prod_app', `COMMENT ON DATABASE contoso_prod_app IS 'production'; ALTER DATABASE contoso_prod_app SET work_mem = '9MB'`);
    await demo.query('contoso_uat_app', `COMMENT ON DATABASE contoso_uat_app IS 'the sandbox'; ALTER DATABASE contoso_uat_app SET work_mem = '7MB'`);
    const properties = `SELECT shobj_description(d.oid, 'pg_database') AS comment, s.setconfig::text AS settings
                          FROM pg_database d LEFT JOIN pg_db_role_setting s ON s.setdatabase = d.oid AND s.setrole = 0 WHERE d.datname = current_database()`;
    // A client keeps reading the sandbox: the old value until the cutover, the new one after.
    const watcher = watchTarget('contoso_uat_app', 'SELECT count(*) AS v FROM sysclientsessions');
    const result = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json', '--jobs', '2']);
    // A client that connects after the refresh returned is read too.
    const returnedAt = Date.now();
    await waitFor('a read of the sandbox after the refresh', () => watcher.seen.some((s) => s.at > returnedAt && s.value !== undefined)).finally(() => watcher.stop());
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const operation = JSON.parse(result.stdout) as Operation;
    refreshId = operation.id;
    assert.equal(operation.state, 'succeeded');
    assert.deepEqual(
      operation.steps.map((s) => [s.name, s.status]),
      ['validate', 'prepare', 'schema', 'data', 'keep-target', 'constraints', 'sanitize', 'synchronize', 'verify', 'cutover', 'post'].map((n) => [n, 'succeeded']),
    );

    assert.deepEqual(await demo.query('contoso_uat_app', properties), [{ comment: 'the sandbox', settings: '{work_mem=7MB}' }]);
    // The verification report lists every rule of the profile as passed.
    assert.ok(operation.verification?.passed);
    const rules = operation.verification!.checks;
    assert.ok(rules.every((c) => c.status === 'passed'), JSON.stringify(rules.filter((c) => c.status !== 'passed')));
    const profile = BUILT_IN_PROFILE_INPUTS['finance-operations']!;
    for (const rule of profile.rules!) assert.ok(rules.some((c) => c.rule.includes(`public.${rule.table}`)), `report covers ${rule.table}`);
    for (const step of profile.sanitize!) assert.ok(rules.some((c) => c.rule === `sanitize:${step.name}`), `report covers ${step.name}`);
    assert.ok(rules.some((c) => c.rule === 'row-counts:application') && rules.some((c) => c.rule === 'row-counts:financialReporting'));

    // The offline window is recorded, and clients connected before and after it.
    assert.equal(typeof operation.offlineMs, 'number');
    const oldCount = uatBefore.sysclientsessions!.split(':')[0];
    const values = watcher.seen.filter((s) => s.value !== undefined).map((s) => s.value);
    assert.ok(values.includes(oldCount), 'a client read the old data before the cutover');
    assert.equal(values.at(-1), '0', 'a client reads the new data after the cutover');
    const firstNew = values.indexOf('0');
    assert.ok(values.slice(firstNew).every((v) => v === '0'), 'never the old data again after the cutover');

    const uat = await checksums('contoso_uat_app');
    // Not copied: e-mail addresses.
    const addresses = await demo.query<{ locator: string }>('contoso_uat_app', 'SELECT locator FROM logisticselectronicaddress WHERE type = 2');
    assert.ok(addresses.length > 10);
    assert.ok(addresses.every((a) => a.locator.endsWith('@example.invalid') && !prodAddresses.has(a.locator)));
    const other = `SELECT md5(string_agg(t::text, ',' ORDER BY recid)) AS v FROM logisticselectronicaddress t WHERE type <> 2`;
    assert.deepEqual(await demo.query('contoso_uat_app', other), await demo.query('contoso_prod_app', other), 'other address types are copied');
    // Cleared: batch job history and sessions.
    for (const table of CLEARED) assert.equal(uat[table]!.split(':')[0], '0', `${table} is empty`);
    // Kept: the target's own secrets, print settings, servers, printers, attachments.
    for (const table of ENV_SPECIFIC_KEPT) assert.equal(uat[table], uatBefore[table], `${table} is the target's own`);
    assert.notEqual(uatBefore.sysemailsmtppassword, prodBefore.sysemailsmtppassword);
    assert.deepEqual(await demo.query('contoso_uat_app', 'SELECT smtprelayservername AS v FROM sysemailparameters'), uatRelay);
    assert.deepEqual(
      await demo.query('contoso_uat_app', 'SELECT recid, connectionstring FROM personnellintegrationconfiguration ORDER BY recid'),
      uatConnection,
    );
    // Sanitised: users, batch jobs, partitions, Admin.
    const enabled = await demo.query<{ id: string }>('contoso_uat_app', 'SELECT id FROM userinfo WHERE enable = 1 AND isserviceaccount = 0');
    assert.deepEqual(enabled.map((u) => u.id), ['Admin']);
    assert.ok(Number((await demo.query('contoso_prod_app', 'SELECT count(*) AS n FROM userinfo WHERE enable = 1 AND isserviceaccount = 0'))[0]!.n) > 1);
    const admin = await demo.query('contoso_uat_app', "SELECT networkalias, networkdomain, enable FROM userinfo WHERE id = 'Admin'");
    assert.deepEqual(admin, [{ networkalias: 'sandbox.admin@contoso.com', networkdomain: 'contoso.com', enable: 1 }]);
    assert.deepEqual(await demo.query('contoso_uat_app', 'SELECT DISTINCT status FROM batchjob'), [{ status: 0 }]);
    const partitions = await demo.query(
      'contoso_uat_app',
      "SELECT count(*) AS n FROM userinfo WHERE partition IS DISTINCT FROM (SELECT recid FROM partitions WHERE partitionkey = 'initial')",
    );
    assert.equal(partitions[0]!.n, '0');
    // Synchronised: the sandbox's own customisation is back on the refreshed copy.
    const column = await demo.query('contoso_uat_app', "SELECT 1 FROM information_schema.columns WHERE table_name = 'custtable' AND column_name = 'uatnote'");
    assert.equal(column.length, 1);
    const customers = (db: string) =>
      demo.query(db, `SELECT count(*) AS n, md5(string_agg(row(recid, accountnum, name, custgroup)::text, ',' ORDER BY recid)) AS h FROM custtable`);
    assert.deepEqual(await customers('contoso_uat_app'), await customers('contoso_prod_app'));
    // Everything else equals production's snapshot.
    for (const [table, sum] of Object.entries(prodBefore)) {
      if (!CHANGED.has(table)) assert.equal(uat[table], sum, `${table} equals contoso-prod's`);
    }
    // The financial reporting database was refreshed too.
    assert.deepEqual(await checksums('contoso_uat_reporting'), prodReporting);
    assert.notDeepEqual(prodReporting, uatReportingBefore);
  });

  test('the operation is in the history, the runbook log has every step and no password', async () => {
    const show = await demo.cli(['env', 'show', 'contoso-uat', '--json']);
    const history = (JSON.parse(show.stdout) as { history: { event: string; details: { operation?: number } }[] }).history;
    assert.ok(history.some((h) => h.event === 'refresh from contoso-prod: succeeded' && h.details.operation === refreshId));

    const logs = await demo.cli(['op', 'logs', String(refreshId)]);
    assert.equal(logs.code, 0, logs.stderr);
    for (const step of ['validate', 'prepare', 'data', 'keep-target', 'constraints', 'sanitize', 'synchronize', 'verify', 'cutover', 'post']) {
      assert.match(logs.stdout, new RegExp(`\\[${step}\\]`), `log has step ${step}`);
    }
    assert.match(logs.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO/m);
    assert.match(logs.stdout, /\d+ rows/);
    const runtime = await demo.runtime();
    const passwords = [];
    for (const name of ['contoso-prod', 'contoso-uat']) {
      for (const url of Object.values(await runtime.environments.connectionUrls(name))) passwords.push(decodeURIComponent(new URL(url!).password));
    }
    passwords.push(decodeURIComponent(new URL(demo.url('x')).password));
    const show2 = await demo.cli(['op', 'show', String(refreshId), '--json']);
    for (const password of passwords) {
      assert.ok(password.length >= 8);
      assert.ok(!logs.stdout.includes(password), 'no password in the runbook log');
      assert.ok(!show2.stdout.includes(password), 'no password in op show');
    }
    const human = await demo.cli(['op', 'show', String(refreshId)]);
    assert.match(human.stdout, /verification report: passed/);
    assert.match(human.stdout, /offline\s+\d+ ms/);
  });

  let againId: number;
  /** What contoso-uat's synchronize command prints for the second refresh: secrets among ordinary lines. */
  const LEAKY_SYNC = `echo token=hunter2-SEKRIT; echo "password: x"; echo 'Authorization: Bearer abc.def'; echo "copied 3 tokens: keyboard=ok"`;

  test("the same sandbox is refreshed again right away: production's recurring jobs arrived stopped", async () => {
    const enabled = `SELECT count(*) AS n FROM dmfrecurringjob WHERE enabled <> 0`;
    assert.ok(Number((await demo.query<{ n: string }>('contoso_prod_app', enabled))[0]!.n) > 0, 'production has enabled recurring jobs');
    assert.deepEqual(await demo.query('contoso_uat_app', enabled), [{ n: '0' }], 'the refreshed sandbox runs none of them');
    const shown = JSON.parse((await demo.cli(['env', 'show', 'contoso-uat', '--json'])).stdout) as { syncCommand: string };
    const set = await demo.cli(['env', 'set', 'contoso-uat', '--sync-command', `${LEAKY_SYNC}; ${shown.syncCommand}`]);
    assert.equal(set.code, 0, set.stderr);
    try {
      const again = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json']);
      assert.equal(again.code, 0, again.stderr + again.stdout);
      const operation = JSON.parse(again.stdout) as Operation;
      againId = operation.id;
      assert.equal(operation.state, 'succeeded', JSON.stringify(operation.error));
      const check = operation.verification?.checks.find((c) => c.rule === 'sanitize:stop-recurring-jobs');
      assert.equal(check?.status, 'passed', JSON.stringify(check));
      assert.deepEqual(await demo.query('contoso_uat_app', enabled), [{ n: '0' }]);
    } finally {
      await demo.cli(['env', 'set', 'contoso-uat', '--sync-command', shown.syncCommand]);
    }
  });

  test("a synchronize command's secrets never reach the runbook log; their names and the other lines do", async () => {
    assert.ok(againId !== undefined, 'the second refresh ran');
    const human = await demo.cli(['op', 'logs', String(againId)]);
    const json = await demo.cli(['op', 'logs', String(againId), '--json']);
    assert.equal(human.code, 0, human.stderr);
    assert.equal(json.code, 0, json.stderr);
    const messages = json.stdout
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => (JSON.parse(l) as { message: string }).message)
      .join('\n');
    for (const text of [human.stdout, messages]) {
      for (const secret of ['hunter2-SEKRIT', 'password: x', 'abc.def']) assert.ok(!text.includes(secret), `${secret} is in the log:\n${text}`);
      assert.match(text, /stdout: token=\[redacted\]$/m);
      assert.match(text, /stdout: password: \[redacted\]$/m);
      assert.match(text, /stdout: Authorization: \[redacted\]$/m);
      assert.match(text, /stdout: copied 3 tokens: keyboard=ok$/m, 'what only looks like a secret is kept');
    }
  });

  test('a refresh into a target with active recurring data-management jobs is refused; restore brings back the previous databases', async () => {
    // Someone starts one of the sandbox's recurring jobs again.
    await demo.query('contoso_uat_app', 'UPDATE dmfrecurringjob SET enabled = 1 WHERE recid = (SELECT min(recid) FROM dmfrecurringjob)');
    const refused = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json']);
    assert.equal(refused.code, 12, refused.stderr);
    const body = JSON.parse(refused.stdout) as { refused: boolean; reasons: { code: string; message: string; remedy: string }[] };
    assert.equal(body.refused, true);
    assert.deepEqual(body.reasons.map((r) => r.code), ['RECURRING_JOBS_ACTIVE']);
    assert.ok(body.reasons[0]!.remedy.length > 0);

    const restore = await demo.cli(['env', 'restore', 'contoso-uat', '--operation', String(refreshId), '--json']);
    assert.equal(restore.code, 0, restore.stderr + restore.stdout);
    const operation = JSON.parse(restore.stdout) as Operation;
    assert.equal(operation.state, 'succeeded');
    assert.equal(typeof operation.offlineMs, 'number');
    assert.deepEqual(await checksums('contoso_uat_app'), uatBefore, 'the state before the refresh, exactly');
    assert.deepEqual(await checksums('contoso_uat_reporting'), uatReportingBefore);
    // The same breadcrumb cannot be restored twice; the restore left one of its own.
    const again = await demo.cli(['env', 'restore', 'contoso-uat', '--operation', String(refreshId), '--json']);
    assert.equal(again.code, 12);
    assert.equal((JSON.parse(again.stdout) as { reasons: { code: string }[] }).reasons[0]!.code, 'NO_BREADCRUMB');
    const crumbs = JSON.parse((await demo.cli(['env', 'breadcrumbs', 'contoso-uat', '--json'])).stdout) as { operationId: number; state: string }[];
    assert.ok(crumbs.some((c) => c.operationId === operation.id && c.state === 'kept'));
  });
});
