import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAULT_POINTS } from '../src/domain/faults.ts';
import type { Operation } from '../src/domain/operation.ts';
import { FAULT_GROUPS, FAULT_POINTS_ELSEWHERE, LEASE, describeFaults, expectKilledAt } from './helpers/faults.ts';
import { startWorker } from './helpers/workers.ts';

test('every fault point is in exactly one group of the fault files, or tested elsewhere', () => {
  const grouped = [...Object.values(FAULT_GROUPS).flat(), ...FAULT_POINTS_ELSEWHERE];
  assert.deepEqual([...grouped].sort(), [...FAULT_POINTS].sort());
  assert.equal(new Set(grouped).size, grouped.length);
});

// A resume refused after a crash, since the profile changed (see helpers/faults.ts).
describeFaults('resume', (suite) => {
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
