import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import fs from 'node:fs';
import path from 'node:path';
import { APPLY_ONLY_STEPS, FAULT_POINTS } from '../src/domain/faults.ts';
import type { Operation } from '../src/domain/operation.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { writePackage } from './helpers/packages.ts';
import { type OperationRow, leftoverDatabases, logMessages, operationRow, startWorker, waitForEnd } from './helpers/workers.ts';

/**
 * For every fault point: a worker dies there (DATAALM_FAULT), another worker is started,
 * and the operation ends succeeded, or failed with a rollback that brings the old data back
 * exactly. The target always has a live, complete database, and no staging or breadcrumb
 * database is left that the control data does not know of.
 */
const LEASE = { DATAALM_LEASE_SECONDS: '2' };
const APPLY_POINTS = APPLY_ONLY_STEPS.flatMap((step) => [`before:${step}`, `after:${step}`]);
const REFRESH_POINTS = FAULT_POINTS.filter((p) => p !== 'rollback:middle' && !APPLY_POINTS.includes(p));

describe('a worker that dies at any point: another worker finishes or undoes the operation', () => {
  let demo: Demo;
  const survived: string[] = [];

  before(async () => {
    demo = await startDemo('faults');
  });

  after(async () => {
    // rollback:middle is in rollback-takeover.test.ts.
    process.stdout.write(`# fault points survived: ${survived.length} of ${FAULT_POINTS.length - 1}\n`);
    await demo?.close();
  });

  /** The target as a client sees it: every table of the application database answers. */
  async function targetIsLive(): Promise<number> {
    const tables = await demo.query<{ n: string }>('contoso_uat_app', `select count(*) as n from information_schema.tables where table_schema = 'public'`);
    return Number(tables[0]!.n);
  }

  async function noOrphans(): Promise<void> {
    const left = await leftoverDatabases(demo);
    assert.deepEqual(left.staging, [], 'no staging database is left');
    const known = (await demo.query<{ database: string }>('dataalm', `select database from dataalm.breadcrumbs where state in ('pending', 'kept') order by 1`)).map((r) => r.database);
    assert.deepEqual(left.breadcrumbs.filter((b) => !known.includes(b)), [], 'every breadcrumb database is known to the control data');
  }

  /** Starts another worker and waits until it has ended the operation. */
  async function rescue(id: number): Promise<OperationRow> {
    const rescuer = await startWorker(demo.env(LEASE));
    try {
      return await waitForEnd(demo, id);
    } finally {
      await rescuer.stop();
    }
  }

  for (const point of REFRESH_POINTS) {
    test(`crash at ${point}`, async () => {
      // A mark in the target's own data, so the new data can be told from the old even when
      // the target already holds the same refresh (its recurring jobs stopped either way).
      await demo.query('contoso_uat_app', `UPDATE mainaccount SET name = name || ' (before a refresh)' WHERE mainaccountid = (SELECT min(mainaccountid) FROM mainaccount)`);
      const before = { app: await demo.checksums('contoso_uat_app'), reporting: await demo.checksums('contoso_uat_reporting') };
      const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: point }));
      const queued = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], LEASE);
      assert.equal(queued.code, 0, queued.stderr + queued.stdout);
      const id = (JSON.parse(queued.stdout) as Operation).id;
      const ended = await Promise.race([doomed.exited, new Promise((r) => setTimeout(() => r('still running'), 90_000).unref())]);
      if (ended !== 'SIGKILL') {
        const operation = await operationRow(demo, id);
        await doomed.stop();
        assert.fail(`the worker was to die at ${point}, but the operation is ${operation.state} (${operation.error ?? ''}):\n${doomed.output()}\n${await logMessages(demo, id)}`);
      }
      assert.match(doomed.output(), new RegExp(`fault injected at ${point}`));

      const operation = await rescue(id);
      const logs = await logMessages(demo, id);
      assert.match(logs, /took the operation over from/, 'the takeover is in the runbook log');
      assert.ok(['succeeded', 'failed'].includes(operation.state), `${point}: ended ${operation.state}: ${operation.error}`);
      assert.ok((await targetIsLive()) >= 30, 'the target answers with all its tables');
      if (operation.state === 'succeeded') {
        assert.equal(operation.verificationPassed, true);
        assert.ok(operation.offlineMs !== null);
        assert.notDeepEqual(await demo.checksums('contoso_uat_app'), before.app, 'the new data is live');
      } else {
        const rolled = await demo.cli(['op', 'rollback', String(id)], LEASE);
        assert.equal(rolled.code, 0, `${rolled.stderr}\nthe operation had failed with: ${operation.error}`);
        assert.deepEqual(await demo.checksums('contoso_uat_app'), before.app, 'rollback brings the old data back exactly');
        assert.deepEqual(await demo.checksums('contoso_uat_reporting'), before.reporting);
      }
      await noOrphans();
      survived.push(point);
    });
  }

  describe('an apply', () => {
    let packageId: number;

    before(async () => {
      // Its script counts its runs, so a step run twice would show; its file marks the files step.
      const manifest = writePackage(
        [
          'name: Counted update', 'kind: binary', 'version: 1.0.0', 'appliesTo: ["10.0.38"]', 'sets:', '  components:', '    CountedUpdate: 1.0.0',
          'scripts:', '  application:', '    - name: count the run',
          '      sql: create table if not exists countedruns (at timestamptz not null default now()); insert into countedruns default values;',
          'files:', '  - path: counted/marker.txt', '    from: marker.txt',
        ],
        { 'marker.txt': 'applied\n' },
      );
      const imported = await demo.cli(['asset', 'import', manifest, '--json']);
      assert.equal(imported.code, 0, imported.stderr);
      packageId = (JSON.parse(imported.stdout) as { id: number }).id;
    });

    const runs = async () => {
      const exists = (await demo.query<{ t: string | null }>('contoso_uat_app', "select to_regclass('countedruns')::text as t"))[0]!.t !== null;
      return exists ? Number((await demo.query<{ n: string }>('contoso_uat_app', 'select count(*) as n from countedruns'))[0]!.n) : 0;
    };

    for (const point of APPLY_POINTS) {
      test(`crash at ${point}: another worker finishes it, each step once`, async () => {
        const before = await runs();
        const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: point }));
        const queued = await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(packageId), '--detach', '--json'], LEASE);
        assert.equal(queued.code, 0, queued.stderr + queued.stdout);
        const id = (JSON.parse(queued.stdout) as Operation).id;
        const ended = await Promise.race([doomed.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000).unref())]);
        if (ended !== 'SIGKILL') {
          await doomed.stop();
          assert.fail(`the worker was to die at ${point}:\n${doomed.output()}\n${await logMessages(demo, id)}`);
        }
        const operation = await rescue(id);
        assert.equal(operation.state, 'succeeded', `${point}: ${operation.error}\n${await logMessages(demo, id)}`);
        assert.match(await logMessages(demo, id), /took the operation over from/);
        assert.equal(await runs(), before + 1, 'the scripts ran once');
        const shown = JSON.parse((await demo.cli(['env', 'show', 'contoso-uat', '--json'])).stdout) as { components: Record<string, string>; documentStorage: string };
        assert.equal(shown.components.CountedUpdate, '1.0.0');
        assert.equal(fs.readFileSync(path.join(shown.documentStorage, 'counted', 'marker.txt'), 'utf8'), 'applied\n');
        survived.push(point);
      });
    }

    test('an apply is canceled before its scripts; once they run, it can no longer be', async () => {
      const before = await runs();
      const queued = await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(packageId), '--detach', '--json'], LEASE);
      const id = (JSON.parse(queued.stdout) as Operation).id;
      const canceled = await demo.cli(['op', 'cancel', String(id), '--json'], LEASE);
      assert.equal(canceled.code, 0, canceled.stderr);
      assert.equal((JSON.parse(canceled.stdout) as Operation).state, 'canceled');
      assert.equal(await runs(), before, 'nothing ran');
      // Past its point of no cancel (the scripts step began), a cancel is refused.
      const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: 'after:scripts' }));
      const second = JSON.parse((await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(packageId), '--detach', '--json'], LEASE)).stdout) as Operation;
      await doomed.exited;
      const refused = await demo.cli(['op', 'cancel', String(second.id)], LEASE);
      assert.equal(refused.code, 12, refused.stderr);
      assert.match(refused.stderr, /has begun running the package's scripts: it can no longer be canceled/);
      assert.equal((await rescue(second.id)).state, 'succeeded');
    });
  });

  test('a resume is refused when the profile changed since the operation started', async () => {
    const before = await demo.checksums('contoso_uat_app');
    const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: 'after:data' }));
    const queued = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], LEASE);
    assert.equal(queued.code, 0, queued.stderr);
    const id = (JSON.parse(queued.stdout) as Operation).id;
    assert.equal(await doomed.exited, 'SIGKILL');
    await demo.query('dataalm', `update dataalm.environments set profile = 'plain' where name = 'contoso-uat'`);
    try {
      const operation = await rescue(id);
      assert.equal(operation.state, 'failed');
      assert.match(operation.error ?? '', /changed since the operation started: it cannot be resumed/);
    } finally {
      await demo.query('dataalm', `update dataalm.environments set profile = 'finance-operations' where name = 'contoso-uat'`);
    }
    assert.equal((await demo.cli(['op', 'rollback', String(id)], LEASE)).code, 0);
    assert.deepEqual(await demo.checksums('contoso_uat_app'), before);
    await noOrphans();
  });

  test('a copy whose connection is terminated mid-table starts again from a new snapshot and succeeds', async () => {
    const watcher = new pg.Client({ connectionString: demo.url('postgres') });
    await watcher.connect();
    let terminated = 0;
    let watching = true;
    // Ends the first COPY into a staging database as soon as one is seen.
    const killer = (async () => {
      while (watching && terminated === 0) {
        const killed = await watcher.query<{ ok: boolean }>(
          `select pg_terminate_backend(pid) as ok from pg_stat_activity
            where datname like 'contoso_uat_app__stage_%' and backend_type = 'client backend' and query ilike 'copy %from stdin%'`,
        );
        terminated += killed.rows.filter((r) => r.ok).length;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const run = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], LEASE);
    watching = false;
    await killer;
    await watcher.end();
    assert.ok(terminated > 0, 'a COPY backend was terminated');
    assert.equal(run.code, 0, run.stderr);
    const operation = JSON.parse(run.stdout) as Operation;
    assert.equal(operation.state, 'succeeded');
    const logs = await logMessages(demo, operation.id);
    assert.match(logs, /the copy lost a database connection \(.*\); it starts again from a new snapshot in 1 s \(attempt 2 of 3\)/);
    await noOrphans();
  });
});
