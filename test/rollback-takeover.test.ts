import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Operation } from '../src/domain/operation.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { waitFor, within } from './helpers/wait.ts';
import { leftoverDatabases, logMessages, operationRow, startWorker, waitForEnd } from './helpers/workers.ts';

/**
 * A rollback is an operation like the others: the process running it holds a lease, and a
 * worker takes over one whose process died in the middle (DATAALM_FAULT=rollback:middle,
 * between the two renames of its swap) and finishes it.
 */
const LEASE = { DATAALM_LEASE_SECONDS: '2' };

describe('a rollback cut short is finished by another worker', () => {
  let demo: Demo;
  // The fault point rollback:middle of the fault suite (test/worker-faults-*.test.ts) is here.
  let survived = 0;

  before(async () => {
    demo = await startDemo('rollback');
  });

  after(async () => {
    process.stdout.write(`# fault points survived: ${survived} of 1\n`);
    await demo?.close();
  });

  /** A refresh of contoso-uat that fails after its cutover, so its rollback swaps databases back. */
  async function failedAfterCutover(): Promise<number> {
    const failed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], { ...LEASE, DATAALM_TEST_FAIL_AT: 'post' });
    assert.equal(failed.code, 13, failed.stderr);
    const operation = JSON.parse(failed.stdout) as Operation;
    assert.notEqual(operation.cutoverAt, null, 'the failed refresh had cut over');
    return operation.id;
  }

  async function checksums() {
    return { app: await demo.checksums('contoso_uat_app'), reporting: await demo.checksums('contoso_uat_reporting') };
  }

  async function assertRolledBack(id: number, before: Awaited<ReturnType<typeof checksums>>): Promise<void> {
    const operation = await operationRow(demo, id);
    assert.equal(operation.state, 'rolled-back', `${operation.error}\n${await logMessages(demo, id)}`);
    assert.deepEqual(await checksums(), before, 'the data from before the refresh is back exactly');
    const left = await leftoverDatabases(demo);
    assert.deepEqual(left.staging, [], 'no staging or parked database is left');
    const shown = JSON.parse((await demo.cli(['env', 'show', 'contoso-uat', '--json'])).stdout) as { state: string; history: { event: string }[] };
    assert.equal(shown.state, 'deployed');
    assert.ok(shown.history.some((h) => h.event === `rollback of operation ${id}`));
  }

  test('a worker killed in the middle of a rollback: another worker finishes it', async () => {
    const before = await checksums();
    const id = await failedAfterCutover();
    const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: 'rollback:middle' }));
    try {
      const queued = await demo.cli(['op', 'rollback', String(id), '--detach', '--json'], LEASE);
      assert.equal(queued.code, 0, queued.stderr);
      assert.equal((JSON.parse(queued.stdout) as Operation).state, 'rolling-back');
      const ended = await within(doomed.exited, 90_000, 'still running');
      assert.equal(ended, 'SIGKILL', `the worker was to die in the middle of the rollback:\n${doomed.output()}\n${await logMessages(demo, id)}`);
      assert.match(doomed.output(), /fault injected at rollback:middle/);
      assert.equal((await operationRow(demo, id)).state, 'rolling-back', 'the rollback is left to be taken over');
    } finally {
      await doomed.stop();
    }
    const rescuer = await startWorker(demo.env(LEASE));
    try {
      await waitForEnd(demo, id);
    } finally {
      await rescuer.stop();
    }
    assert.match(await logMessages(demo, id), /took the rollback over from/);
    await assertRolledBack(id, before);
    survived = 1;
  });

  test('the CLI killed in the middle of a rollback: a worker finishes it', async () => {
    const before = await checksums();
    const id = await failedAfterCutover();
    const crashed = await demo.cli(['op', 'rollback', String(id)], { ...LEASE, DATAALM_FAULT: 'rollback:middle' });
    assert.equal(crashed.code, null, 'the rollback process was killed');
    assert.match(crashed.stderr, /fault injected at rollback:middle/);
    const rescuer = await startWorker(demo.env(LEASE));
    try {
      await waitForEnd(demo, id);
    } finally {
      await rescuer.stop();
    }
    await assertRolledBack(id, before);
  });

  test('with no worker alive, a rollback cut short is offered again and then restores the old data', async () => {
    const before = await checksums();
    const id = await failedAfterCutover();
    const crashed = await demo.cli(['op', 'rollback', String(id)], { ...LEASE, DATAALM_FAULT: 'rollback:middle' });
    assert.equal(crashed.code, null, 'the rollback process was killed');
    // Its lease runs out; the next rollback asked for ends it as failed and runs it again.
    await waitFor('the abandoned rollback to be ended and run again', async () => {
      const again = await demo.cli(['op', 'rollback', String(id)], LEASE);
      if (again.code === 0) return true;
      assert.match(again.stderr, /is being rolled back already/, again.stderr + again.stdout);
      return false;
    }, { intervalMs: 250 });
    await assertRolledBack(id, before);
  });
});
