import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FAULT_POINTS } from '../src/domain/faults.ts';
import type { Operation } from '../src/domain/operation.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { type OperationRow, leftoverDatabases, logMessages, operationRow, startWorker, waitForEnd } from './helpers/workers.ts';

/**
 * For every fault point: a worker dies there (DATAALM_FAULT), another worker is started,
 * and the operation ends succeeded, or failed with a rollback that brings the old data back
 * exactly. The target always has a live, complete database, and no staging or breadcrumb
 * database is left that the control data does not know of.
 */
const LEASE = { DATAALM_LEASE_SECONDS: '2' };
const REFRESH_POINTS = FAULT_POINTS.filter((p) => p !== 'rollback:middle');

describe('a worker that dies at any point: another worker finishes or undoes the operation', () => {
  let demo: Demo;
  const survived: string[] = [];

  before(async () => {
    demo = await startDemo('faults');
  });

  after(async () => {
    process.stdout.write(`# fault points survived: ${survived.length} of ${FAULT_POINTS.length}\n`);
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

  /** After a refresh succeeded, the copied recurring jobs are stopped so the next refresh may run. */
  async function allowNextRefresh(): Promise<void> {
    await demo.query('contoso_uat_app', 'update dmfrecurringjob set enabled = 0');
  }

  for (const point of REFRESH_POINTS) {
    test(`crash at ${point}`, async () => {
      const before = { app: await demo.checksums('contoso_uat_app'), reporting: await demo.checksums('contoso_uat_reporting') };
      const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: point }));
      const queued = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], LEASE);
      assert.equal(queued.code, 0, queued.stderr + queued.stdout);
      const id = (JSON.parse(queued.stdout) as Operation).id;
      const ended = await Promise.race([doomed.exited, new Promise((r) => setTimeout(() => r('still running'), 90_000).unref())]);
      assert.equal(ended, 'SIGKILL', `the worker was to die at ${point}:\n${doomed.output()}`);
      assert.match(doomed.output(), new RegExp(`fault injected at ${point}`));

      const rescuer = await startWorker(demo.env(LEASE));
      let operation: OperationRow;
      try {
        operation = await waitForEnd(demo, id);
      } finally {
        await rescuer.stop();
      }
      const logs = await logMessages(demo, id);
      assert.match(logs, /took the operation over from/, 'the takeover is in the runbook log');
      assert.ok(['succeeded', 'failed'].includes(operation.state), `${point}: ended ${operation.state}: ${operation.error}`);
      assert.ok((await targetIsLive()) >= 30, 'the target answers with all its tables');
      if (operation.state === 'succeeded') {
        assert.equal(operation.verificationPassed, true);
        assert.ok(operation.offlineMs !== null);
        assert.notDeepEqual(await demo.checksums('contoso_uat_app'), before.app, 'the new data is live');
        await allowNextRefresh();
      } else {
        const rolled = await demo.cli(['op', 'rollback', String(id)], LEASE);
        assert.equal(rolled.code, 0, rolled.stderr);
        assert.deepEqual(await demo.checksums('contoso_uat_app'), before.app, 'rollback brings the old data back exactly');
        assert.deepEqual(await demo.checksums('contoso_uat_reporting'), before.reporting);
      }
      await noOrphans();
      survived.push(point);
    });
  }

  test('crash in the middle of a rollback: the rollback is offered again and restores the old data', async () => {
    const before = { app: await demo.checksums('contoso_uat_app'), reporting: await demo.checksums('contoso_uat_reporting') };
    // A refresh that fails after its cutover, so its rollback swaps databases back.
    const failed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], { ...LEASE, DATAALM_TEST_FAIL_AT: 'post' });
    assert.equal(failed.code, 13, failed.stderr);
    const id = (JSON.parse(failed.stdout) as Operation).id;
    const crashed = await demo.cli(['op', 'rollback', String(id)], { ...LEASE, DATAALM_FAULT: 'rollback:middle' });
    assert.equal(crashed.code, null, 'the rollback process was killed');
    assert.match(crashed.stderr, /fault injected at rollback:middle/);
    const rescuer = await startWorker(demo.env(LEASE));
    try {
      const deadline = Date.now() + 60_000;
      let state = 'rolling-back';
      while (state === 'rolling-back' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        state = (await operationRow(demo, id)).state;
      }
      assert.equal(state, 'failed', 'the rollback cut short is ended, with the rollback offered again');
    } finally {
      await rescuer.stop();
    }
    assert.ok((await targetIsLive()) >= 30);
    const again = await demo.cli(['op', 'rollback', String(id)], LEASE);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await demo.checksums('contoso_uat_app'), before.app);
    assert.deepEqual(await demo.checksums('contoso_uat_reporting'), before.reporting);
    await noOrphans();
    survived.push('rollback:middle');
  });
});
