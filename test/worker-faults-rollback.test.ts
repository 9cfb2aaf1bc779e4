import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAULT_POINTS } from '../src/domain/faults.ts';
import type { Operation } from '../src/domain/operation.ts';
import { FAULT_GROUPS, LEASE, describeFaults, expectKilledAt } from './helpers/faults.ts';
import { startWorker, waitForRollbackEnd } from './helpers/workers.ts';

test('every fault point is in exactly one group of the fault files', () => {
  const grouped = Object.values(FAULT_GROUPS).flat();
  assert.deepEqual([...grouped].sort(), [...FAULT_POINTS].sort());
  assert.equal(new Set(grouped).size, grouped.length);
});

// A rollback cut short, and a resume refused (see helpers/faults.ts).
describeFaults('rollback', (suite) => {
  test('crash in the middle of a rollback: the rollback is offered again and restores the old data', async () => {
    const { demo } = suite;
    const before = { app: await demo.checksums('contoso_uat_app'), reporting: await demo.checksums('contoso_uat_reporting') };
    // A refresh that fails after its cutover, so its rollback swaps databases back.
    const failed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], { ...LEASE, DATAALM_TEST_FAIL_AT: 'post' });
    assert.equal(failed.code, 13, failed.stderr);
    const id = (JSON.parse(failed.stdout) as Operation).id;
    const crashed = await demo.cli(['op', 'rollback', String(id)], suite.doomedEnv('rollback:middle'));
    assert.equal(crashed.code, null, 'the rollback process was killed');
    assert.match(crashed.stderr, /fault injected at rollback:middle/);
    const rescuer = await startWorker(demo.env(LEASE));
    try {
      const ended = await waitForRollbackEnd(demo, id);
      assert.equal(ended.state, 'failed', 'the rollback cut short is ended, with the rollback offered again');
    } finally {
      await rescuer.stop();
    }
    assert.ok((await suite.targetIsLive()) >= 30);
    const again = await demo.cli(['op', 'rollback', String(id)], LEASE);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await demo.checksums('contoso_uat_app'), before.app);
    assert.deepEqual(await demo.checksums('contoso_uat_reporting'), before.reporting);
    await suite.noOrphans();
    suite.survived('rollback:middle');
  });

  test('a resume is refused when the profile changed since the operation started', async () => {
    const { demo } = suite;
    const before = await demo.checksums('contoso_uat_app');
    const doomed = await startWorker(demo.env(suite.doomedEnv('after:data')));
    let id: number;
    try {
      const queued = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], LEASE);
      assert.equal(queued.code, 0, queued.stderr);
      id = (JSON.parse(queued.stdout) as Operation).id;
      await expectKilledAt(suite, doomed, 'after:data', id, 90_000);
    } finally {
      await doomed.stop();
    }
    await demo.query('dataalm', `update dataalm.environments set profile = 'plain' where name = 'contoso-uat'`);
    try {
      const operation = await suite.rescue(id);
      assert.equal(operation.state, 'failed');
      assert.match(operation.error ?? '', /changed since the operation started: it cannot be resumed/);
    } finally {
      await demo.query('dataalm', `update dataalm.environments set profile = 'finance-operations' where name = 'contoso-uat'`);
    }
    assert.equal((await demo.cli(['op', 'rollback', String(id)], LEASE)).code, 0);
    assert.deepEqual(await demo.checksums('contoso_uat_app'), before);
    await suite.noOrphans();
  });
});
