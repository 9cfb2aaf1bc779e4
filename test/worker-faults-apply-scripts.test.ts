import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Operation } from '../src/domain/operation.ts';
import { FAULT_GROUPS, LEASE, applyCrashTests, countedPackage, describeFaults, expectKilledAt } from './helpers/faults.ts';
import { startWorker } from './helpers/workers.ts';

// An apply whose worker dies before or after its scripts step: another worker finishes it,
// each step once; and when an apply can still be canceled (see helpers/faults.ts).
describeFaults('apply-scripts', (suite) => {
  const counted = countedPackage(suite);
  applyCrashTests(suite, counted, FAULT_GROUPS['apply-scripts']!);

  test('an apply is canceled before its scripts; once they run, it can no longer be', async () => {
    const { demo } = suite;
    const before = await counted.runs();
    const queued = await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(counted.id), '--detach', '--json'], LEASE);
    const id = (JSON.parse(queued.stdout) as Operation).id;
    const canceled = await demo.cli(['op', 'cancel', String(id), '--json'], LEASE);
    assert.equal(canceled.code, 0, canceled.stderr);
    assert.equal((JSON.parse(canceled.stdout) as Operation).state, 'canceled');
    assert.equal(await counted.runs(), before, 'nothing ran');
    // Past its point of no cancel (the scripts step began), a cancel is refused.
    const doomed = await startWorker(demo.env(suite.doomedEnv('after:scripts')));
    try {
      const second = JSON.parse((await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(counted.id), '--detach', '--json'], LEASE)).stdout) as Operation;
      await expectKilledAt(suite, doomed, 'after:scripts', second.id, 60_000);
      const refused = await demo.cli(['op', 'cancel', String(second.id)], LEASE);
      assert.equal(refused.code, 12, refused.stderr);
      assert.match(refused.stderr, /has begun running the package's scripts: it can no longer be canceled/);
      assert.equal((await suite.rescue(second.id)).state, 'succeeded');
    } finally {
      await doomed.stop();
    }
  });
});
