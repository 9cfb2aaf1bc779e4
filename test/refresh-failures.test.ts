import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPool } from '../src/adapters/postgres/create-pool.ts';
import { BIN, ROOT } from './helpers/cli.ts';
import type { Operation } from '../src/domain/operation.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { pollPause, waitFor } from './helpers/wait.ts';

// What goes wrong in a refresh, and how the target is kept whole: a failing synchronize
// command, a failure after the cutover, a second refresh, a cancel, an interrupt, expiry.
let demo: Demo;

before(async () => {
  demo = await startDemo('refresh-failures');
});
after(async () => {
  await demo?.close();
});

const checksums = (database: string) => demo.checksums(database);

async function databases(): Promise<string[]> {
  return (await demo.query<{ datname: string }>('postgres', 'SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname);
}

async function operations(): Promise<Operation[]> {
  const list = await demo.cli(['op', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  return JSON.parse(list.stdout) as Operation[];
}

/** Starts `dataalm refresh … --yes` and resolves once its runbook has reached `step`. */
async function startRefreshUntil(step: string, extra: Record<string, string> = {}): Promise<{ child: ChildProcess; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes'], {
    cwd: ROOT,
    env: demo.env(extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      output += c.toString();
      if (output.includes(`] ${step}…`)) resolve();
    });
    void exited.then((code) => reject(new Error(`refresh exited (${code}) before step ${step}:\n${output}`)));
  });
  return { child, exited, output: () => output };
}

describe('refresh failures keep the target whole', () => {
  test('a failing synchronize command fails the operation before cutover; the target served its old data throughout; rollback removes staging', async () => {
    const set = await demo.cli(['env', 'set', 'contoso-uat', '--sync-command', 'echo "customisation cannot handle the refreshed data" >&2; exit 3']);
    assert.equal(set.code, 0, set.stderr);
    const before = await checksums('contoso_uat_app');
    const sessions = before.sysclientsessions!.split(':')[0]!;

    // A client keeps querying the sandbox during the whole refresh.
    const seen: string[] = [];
    let stop = false;
    const pool = createPool(demo.url('contoso_uat_app'), 1);
    const watcher = (async () => {
      while (!stop) {
        seen.push(String((await pool.query<{ n: string }>('SELECT count(*) AS n FROM sysclientsessions')).rows[0]!.n));
        await pollPause(10);
      }
    })();
    const result = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json']);
    stop = true;
    await watcher;
    await pool.end();

    assert.equal(result.code, 13, result.stderr);
    const operation = JSON.parse(result.stdout) as Operation;
    assert.equal(operation.state, 'failed');
    assert.equal(operation.error?.step, 'synchronize');
    assert.equal(operation.cutoverAt, null);
    assert.ok(seen.length > 10 && seen.every((n) => n === sessions), 'the target answered with its old data throughout');
    assert.deepEqual(await checksums('contoso_uat_app'), before);
    const staging = operation.databases.application!.staging;
    assert.ok((await databases()).includes(staging), 'the staging copy is kept for diagnosis until rollback');

    const logs = await demo.cli(['op', 'logs', String(operation.id)]);
    assert.match(logs.stdout, /\[synchronize\] stderr: customisation cannot handle the refreshed data/);
    const show = JSON.parse((await demo.cli(['env', 'show', 'contoso-uat', '--json'])).stdout) as { state: string };
    assert.equal(show.state, 'deployed', 'a failure before cutover leaves the sandbox in service');

    const rollback = await demo.cli(['op', 'rollback', String(operation.id), '--json']);
    assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
    assert.equal((JSON.parse(rollback.stdout) as Operation).state, 'rolled-back');
    assert.ok(!(await databases()).some((d) => d.includes('__stage_')), 'no staging database is left');
    assert.deepEqual(await checksums('contoso_uat_app'), before);

    // The logs stay downloadable after the rollback.
    const file = path.join(demo.home, 'op.log');
    const download = await demo.cli(['op', 'logs', String(operation.id), '-o', file]);
    assert.equal(download.code, 0, download.stderr);
    const text = fs.readFileSync(file, 'utf8');
    assert.match(text, /\[synchronize\] stderr: customisation/);
    assert.match(text, /\[rollback\] rolled back/);
    // A second rollback is refused with its reason.
    const again = await demo.cli(['op', 'rollback', String(operation.id), '--json']);
    assert.equal(again.code, 12);
    assert.equal((JSON.parse(again.stdout) as { reasons: { code: string }[] }).reasons[0]!.code, 'NOT_ROLLBACKABLE');
    await demo.cli(['env', 'set', 'contoso-uat', '--no-sync-command']);
  });

  test('a synchronize command that changes kept secrets fails the verification before cutover', async () => {
    // A customisation that overwrites the target's SMTP password: the report must notice.
    const script = path.join(demo.home, 'overwrite-secret.cjs');
    fs.writeFileSync(
      script,
      `const pg = require(${JSON.stringify(path.join(ROOT, 'node_modules', 'pg'))});
       const c = new pg.Client({ connectionString: process.env.DATAALM_SYNC_DATABASE_URL });
       c.connect().then(() => c.query("UPDATE sysemailsmtppassword SET password = 'overwritten'")).then(() => c.end());`,
    );
    await demo.cli(['env', 'set', 'contoso-uat', '--sync-command', `${process.execPath} ${script}`]);
    try {
      const before = await checksums('contoso_uat_app');
      const result = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json']);
      assert.equal(result.code, 13, result.stderr);
      const operation = JSON.parse(result.stdout) as Operation;
      assert.equal(operation.error?.step, 'verify');
      const check = operation.verification!.checks.find((c) => c.rule === 'keep-target:public.sysemailsmtppassword')!;
      assert.equal(check.status, 'failed');
      assert.match(check.detail, /changed after the copy/);
      assert.ok(operation.verification!.checks.filter((c) => c.status === 'failed').length === 1, 'only that rule failed');
      assert.deepEqual(await checksums('contoso_uat_app'), before, 'the target was not touched');
      assert.equal((await demo.cli(['op', 'rollback', String(operation.id)])).code, 0);
    } finally {
      await demo.cli(['env', 'set', 'contoso-uat', '--no-sync-command']);
    }
  });

  test('a failure after the cutover: rollback restores the previous data exactly', async () => {
    const app = await checksums('contoso_uat_app');
    const reporting = await checksums('contoso_uat_reporting');
    const result = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], { DATAALM_TEST_FAIL_AT: 'post' });
    assert.equal(result.code, 13, result.stderr);
    const operation = JSON.parse(result.stdout) as Operation;
    assert.equal(operation.state, 'failed');
    assert.equal(operation.error?.step, 'post');
    assert.notEqual(operation.cutoverAt, null);
    assert.notDeepEqual(await checksums('contoso_uat_app'), app, 'the new data went live');
    const env = JSON.parse((await demo.cli(['env', 'show', 'contoso-uat', '--json'])).stdout) as { state: string };
    assert.equal(env.state, 'failed');

    const rollback = await demo.cli(['op', 'rollback', String(operation.id), '--json']);
    assert.equal(rollback.code, 0, rollback.stderr + rollback.stdout);
    assert.deepEqual(await checksums('contoso_uat_app'), app);
    assert.deepEqual(await checksums('contoso_uat_reporting'), reporting);
    const names = await databases();
    assert.ok(!names.some((d) => /__(stage|rb|pre)_/.test(d) && d.includes(`_${operation.id}`)), `nothing of operation ${operation.id} is left: ${names.join(', ')}`);
    const after = JSON.parse((await demo.cli(['env', 'show', 'contoso-uat', '--json'])).stdout) as { state: string; history: { event: string }[] };
    assert.equal(after.state, 'deployed');
    assert.ok(after.history.some((h) => h.event === `rollback of operation ${operation.id}`));
  });

  test('a failure between the swap and its record: the swap is found on the server, recorded, and rolled back', async () => {
    const app = await checksums('contoso_uat_app');
    const result = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], {
      DATAALM_TEST_FAIL_AT: 'cutover:swapped',
    });
    assert.equal(result.code, 13, result.stderr);
    const operation = JSON.parse(result.stdout) as Operation;
    assert.equal(operation.error?.step, 'cutover');
    assert.notEqual(operation.cutoverAt, null, 'the swap that happened is recorded');
    const logs = await demo.cli(['op', 'logs', String(operation.id)]);
    assert.match(logs.stdout, /the cutover had swapped the databases before it stopped; recorded now/);
    const crumbs = JSON.parse((await demo.cli(['env', 'breadcrumbs', 'contoso-uat', '--json'])).stdout) as { operationId: number; state: string }[];
    assert.deepEqual(crumbs.filter((c) => c.operationId === operation.id).map((c) => c.state), ['kept', 'kept']);
    const rollback = await demo.cli(['op', 'rollback', String(operation.id)]);
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.deepEqual(await checksums('contoso_uat_app'), app);
  });

  test('a second refresh of the same target while one runs is refused; cancel stops the first, the target untouched', async () => {
    await demo.cli(['env', 'set', 'contoso-uat', '--sync-command', 'sleep 60']);
    const before = await checksums('contoso_uat_app');
    const first = await startRefreshUntil('synchronize');
    try {
      const second = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json']);
      assert.equal(second.code, 12, second.stderr);
      const reasons = (JSON.parse(second.stdout) as { reasons: { code: string }[] }).reasons;
      assert.deepEqual(reasons.map((r) => r.code), ['TARGET_BUSY']);
      // Enforced by the control database itself, not only by the preflight.
      const runtime = await demo.runtime();
      await assert.rejects(
        runtime.pool.query(
          `insert into dataalm.operations (kind, environment_id, requested_by)
           select 'refresh', id, 'test' from dataalm.environments where name = 'contoso-uat'`,
        ),
        /operations_one_active_per_environment/,
      );
      const running = (await operations())[0]!;
      assert.equal(running.state, 'running');

      const cancel = await demo.cli(['op', 'cancel', String(running.id), '--json']);
      assert.equal(cancel.code, 0, cancel.stderr + cancel.stdout);
      assert.equal((JSON.parse(cancel.stdout) as Operation).state, 'canceled');
      assert.equal(await first.exited, 14, first.output());
    } finally {
      first.child.kill('SIGKILL');
      await demo.cli(['env', 'set', 'contoso-uat', '--no-sync-command']);
    }
    assert.ok(!(await databases()).some((d) => d.includes('__stage_')));
    assert.deepEqual(await checksums('contoso_uat_app'), before);
    const shown = JSON.parse((await demo.cli(['op', 'show', String((await operations())[0]!.id), '--json'])).stdout) as Operation;
    assert.ok(shown.steps.some((s) => s.name === 'synchronize' && s.status === 'canceled'));
  });

  test('Ctrl-C during a refresh cancels it: staging removed, target untouched, exit 14', async () => {
    await demo.cli(['env', 'set', 'contoso-uat', '--sync-command', 'sleep 60']);
    const before = await checksums('contoso_uat_app');
    const run = await startRefreshUntil('synchronize');
    run.child.kill('SIGINT');
    assert.equal(await run.exited, 14, run.output());
    await demo.cli(['env', 'set', 'contoso-uat', '--no-sync-command']);
    assert.match(run.output(), /canceled/);
    const last = (await operations())[0]!;
    assert.equal(last.state, 'canceled');
    assert.ok(!(await databases()).some((d) => d.includes('__stage_')));
    assert.deepEqual(await checksums('contoso_uat_app'), before);
  });

  test('breadcrumbs expire: the janitor drops them and a restore is then refused', async () => {
    const result = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], {
      DATAALM_BREADCRUMB_RETENTION: '1s',
    });
    assert.equal(result.code, 0, result.stderr);
    const operation = JSON.parse(result.stdout) as Operation;
    const crumb = operation.databases.application!.breadcrumb;
    assert.ok((await databases()).includes(crumb));
    await waitFor('the breadcrumb\'s retention to pass', async () => {
      const rows = await demo.query<{ expired: boolean }>('dataalm', 'select expires_at <= now() as expired from dataalm.breadcrumbs where database = $1', [crumb]);
      return rows[0]?.expired === true;
    });
    const janitor = await demo.cli(['janitor', '--json']);
    assert.equal(janitor.code, 0, janitor.stderr);
    assert.ok((JSON.parse(janitor.stdout) as { dropped: string[] }).dropped.includes(crumb));
    assert.ok(!(await databases()).includes(crumb));
    const restore = await demo.cli(['env', 'restore', 'contoso-uat', '--operation', String(operation.id), '--json']);
    assert.equal(restore.code, 12);
    assert.equal((JSON.parse(restore.stdout) as { reasons: { code: string }[] }).reasons[0]!.code, 'NO_BREADCRUMB');
  });

  test('a refresh shows its progress per step and per table; demo --reset removes the breadcrumbs and staging databases that refreshes left', async () => {
    await demo.query('contoso_uat_app', 'UPDATE dmfrecurringjob SET enabled = 0');
    // Without --json, as a person runs it: progress per step and per table, then one result line.
    const result = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes']);
    assert.equal(result.code, 0, result.stderr);
    const steps = [...result.stderr.matchAll(/^\[(\d+)\/11\] ([a-z-]+)…$/gm)].map((m) => m[2]);
    assert.deepEqual(steps, ['validate', 'prepare', 'schema', 'data', 'keep-target', 'constraints', 'sanitize', 'synchronize', 'verify', 'cutover', 'post']);
    assert.match(result.stderr, /^ {2}data: \d+\/\d+ [\d,]+ rows, \d+(\.\d)? (B|KiB|MiB|GiB), [\d.]+ MiB\/s, .*last public\.\w+$/m, 'tables done, rows, size in binary units and the table copied last');
    assert.match(result.stdout, /^Operation \d+ succeeded: contoso-uat was offline for \d+ ms; verification passed \(\d+ checks\)\.$/m);
    const leftovers = async () => (await databases()).filter((d) => /^contoso_uat_(app|reporting)__/.test(d));
    assert.ok((await leftovers()).length >= 2);
    const reset = await demo.cli(['demo', '--reset']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.deepEqual(await leftovers(), []);
  });
});
