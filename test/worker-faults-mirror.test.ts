import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { MirrorStatus } from '../src/contract/index.ts';
import type { Operation } from '../src/domain/operation.ts';
import { FAULT_GROUPS, type FaultSuite, LEASE, describeFaults, expectKilledAt } from './helpers/faults.ts';
import { waitFor } from './helpers/wait.ts';
import { logMessages, startWorker } from './helpers/workers.ts';

// A refresh that clones contoso-uat's mirror of contoso-prod, whose worker dies while the
// mirror's subscription is paused (before and after the clone), or at steps of the refresh
// around the clone; and the rollback of one that died with the subscription paused. Each
// time the target is consistent, the subscription runs again, no refresh is recorded as
// pausing it, no staging database is left, and the mirror is usable. The tests share one
// demo copy and run in order: each one's refresh is the next refresh after the test before
// it, and must clone the mirror (see helpers/faults.ts).
describeFaults('mirror', (suite) => {
  before(async () => {
    const enabled = await suite.demo.cli(['env', 'mirror', 'enable', 'contoso-uat', '--source', 'contoso-prod', '--json']);
    assert.equal(enabled.code, 0, enabled.stderr + enabled.stdout);
    assert.equal((JSON.parse(enabled.stdout) as MirrorStatus).usable, true, enabled.stdout);
  });

  crashTests(suite, ['mirror:paused', 'mirror:cloned', 'before:data', 'after:constraints']);

  let rolledBack: number | undefined;
  test('a refresh that died at mirror:cloned is rolled back: the target untouched, no staging left', async () => {
    const { demo } = suite;
    const before = await demo.checksums('contoso_uat_app');
    // No worker: the CLI runs the refresh itself, and dies with the subscription paused.
    const crashed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], suite.doomedEnv('mirror:cloned'));
    assert.equal(crashed.code, null, `the refresh process was killed:\n${crashed.stderr}`);
    assert.match(crashed.stderr, /fault injected at mirror:cloned/);
    const id = Number(
      (await demo.query<{ id: string }>('dataalm', `select max(o.id) as id from dataalm.operations o join dataalm.environments e on e.id = o.environment_id where e.name = 'contoso-uat'`))[0]!.id,
    );
    await assertPausedBy(suite, id);

    // Its lease runs out; the rollback asked for then ends it as abandoned and undoes it.
    await waitFor('the abandoned refresh to be rolled back', async () => {
      const rolled = await demo.cli(['op', 'rollback', String(id)], LEASE);
      if (rolled.code === 0) return true;
      assert.match(rolled.stderr, /is still running/, rolled.stderr + rolled.stdout);
      return false;
    }, { intervalMs: 250 });
    assert.equal((await demo.query<{ state: string }>('dataalm', 'select state from dataalm.operations where id = $1', [id]))[0]!.state, 'rolled-back');
    assert.deepEqual(await demo.checksums('contoso_uat_app'), before, 'the target was never touched');
    await suite.noOrphans();
    rolledBack = id;
  });

  test("the rollback of a refresh that died at mirror:cloned leaves the mirror's subscription enabled", async () => {
    assert.ok(rolledBack !== undefined, 'the refresh was rolled back (test before)');
    await assertMirrorSettled(suite);
  });

  // Also the next refresh after the rollback: it clones the mirror (and resumes a subscription
  // the rolled-back refresh left paused, as its operation is no longer active).
  crashTests(suite, ['after:cutover']);

  test("crash at mirror:spare-taken (the spare's subscription and slot dropped, not yet renamed): the refresh succeeds from the mirror, and a new spare replaces what was left", async () => {
    const { demo } = suite;
    const made = await demo.cli(['env', 'mirror', 'spare', 'contoso-uat', '--json']);
    assert.equal(made.code, 0, made.stderr + made.stdout);
    const spare = (JSON.parse(made.stdout) as MirrorStatus).spare!;
    assert.equal(spare.state, 'ready', made.stdout);
    const doomed = await startWorker(demo.env(suite.doomedEnv('mirror:spare-taken')));
    try {
      const queued = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], LEASE);
      assert.equal(queued.code, 0, queued.stderr + queued.stdout);
      const id = (JSON.parse(queued.stdout) as Operation).id;
      await expectKilledAt(suite, doomed, 'mirror:spare-taken', id, 90_000);
      const operation = await suite.rescue(id);
      const logs = await logMessages(demo, id);
      assert.equal(operation.state, 'succeeded', `${operation.error}\n${logs}`);
      assert.match(logs, /taking the mirror's spare[\s\S]*took the operation over from[\s\S]*copying from contoso-uat's mirror of contoso-prod/);
      assert.equal(await dataMethod(suite, id), 'mirror');
      await suite.noOrphans();
      await assertMirrorSettled(suite);
    } finally {
      await doomed.stop();
    }
    // The detached spare was left (no subscription, its slot gone): the next one replaces it.
    const again = await demo.cli(['env', 'mirror', 'spare', 'contoso-uat', '--json']);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    const status = JSON.parse(again.stdout) as MirrorStatus;
    assert.equal(status.spare?.state, 'ready', again.stdout);
    const slots = await demo.query<{ slot_name: string }>('postgres', 'select slot_name from pg_replication_slots order by 1');
    assert.deepEqual(slots.map((r) => r.slot_name), [status.slot, `${status.slot}_spare`]);
    const off = await demo.cli(['env', 'mirror', 'spare', 'contoso-uat', '--off']);
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual((await demo.query<{ datname: string }>('postgres', 'select datname from pg_database where datname = $1', [spare.database])), []);
    suite.survived('mirror:spare-taken');
  });
});

/**
 * One test per point: the first worker dies there, a second one takes the operation over and
 * ends it as the fault suite expects of that point (succeeded, or failed and then rolled back
 * to the old data exactly); a refresh that died with the subscription paused always succeeds.
 */
function crashTests(suite: FaultSuite, points: readonly string[]): void {
  for (const point of points) {
    test(`crash at ${point} of a refresh from the mirror`, async () => {
      const { demo } = suite;
      await demo.query('contoso_uat_app', `UPDATE mainaccount SET name = name || ' (before a refresh)' WHERE mainaccountid = (SELECT min(mainaccountid) FROM mainaccount)`);
      const before = await demo.checksums('contoso_uat_app');
      const doomed = await startWorker(demo.env(suite.doomedEnv(point)));
      try {
        const queued = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], LEASE);
        assert.equal(queued.code, 0, queued.stderr + queued.stdout);
        const id = (JSON.parse(queued.stdout) as Operation).id;
        await expectKilledAt(suite, doomed, point, id, 90_000);
        if (point.startsWith('mirror:')) await assertPausedBy(suite, id);

        const operation = await suite.rescue(id);
        const logs = await logMessages(demo, id);
        assert.match(logs, /took the operation over from/, 'the takeover is in the runbook log');
        assert.ok(['succeeded', 'failed'].includes(operation.state), `${point}: ended ${operation.state}: ${operation.error}\n${logs}`);
        if (point.startsWith('mirror:')) {
          // The worker that took over resumed the subscription, cloned the mirror again and went on.
          assert.equal(operation.state, 'succeeded', `${point}: ended ${operation.state}: ${operation.error}\n${logs}`);
          assert.match(logs, /took the operation over from[\s\S]*copying from contoso-uat's mirror of contoso-prod/, 'the worker that took over cloned the mirror');
        }
        assert.ok((await suite.targetIsLive()) >= 30, 'the target answers with all its tables');
        // Each refresh here is the next one after the test before it: it clones the mirror.
        assert.match(logs, /copying from contoso-uat's mirror of contoso-prod/, 'the refresh chose the mirror');
        if (operation.state === 'succeeded') {
          assert.equal(await dataMethod(suite, id), 'mirror', 'the refresh cloned the mirror');
          assert.equal(operation.verificationPassed, true, 'the target is consistent');
          assert.notDeepEqual(await demo.checksums('contoso_uat_app'), before, 'the new data is live');
        } else {
          const rolled = await demo.cli(['op', 'rollback', String(id)], LEASE);
          assert.equal(rolled.code, 0, `${rolled.stderr}\nthe operation had failed with: ${operation.error}`);
          assert.deepEqual(await demo.checksums('contoso_uat_app'), before, 'rollback brings the old data back exactly');
        }
        await suite.noOrphans();
        await assertMirrorSettled(suite);
        if (FAULT_GROUPS['mirror']!.includes(point)) suite.survived(point);
      } finally {
        await doomed.stop();
      }
    });
  }
}

/** A refresh died with the subscription paused: the server and the control data say so. */
async function assertPausedBy(suite: FaultSuite, id: number): Promise<void> {
  const rows = await suite.demo.query<{ paused_by: string | null; enabled: boolean }>(
    'dataalm',
    `select m.paused_by, (select s.subenabled from pg_subscription s where s.subname = m.subscription) as enabled
       from dataalm.mirrors m join dataalm.environments e on e.id = m.environment_id where e.name = 'contoso-uat'`,
  );
  assert.deepEqual(rows, [{ paused_by: String(id), enabled: false }], `operation ${id} died with the mirror's subscription paused`);
}

/**
 * The subscription runs (the target's server says so, in the mirror database that
 * `env mirror status` names), no refresh is recorded as pausing it, and the status says the
 * next refresh can clone the mirror.
 */
async function assertMirrorSettled(suite: FaultSuite): Promise<void> {
  const shown = await suite.demo.cli(['env', 'mirror', 'status', 'contoso-uat', '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  const status = JSON.parse(shown.stdout) as MirrorStatus;
  const subscriptions = await suite.demo.query<{ enabled: boolean }>(
    'postgres',
    'select s.subenabled as enabled from pg_subscription s join pg_database d on d.oid = s.subdbid where d.datname = $1',
    [status.database],
  );
  assert.deepEqual(subscriptions, [{ enabled: true }], `the subscription of mirror database ${status.database} is enabled again`);
  const pausedBy = await suite.demo.query<{ paused_by: string | null }>(
    'dataalm',
    `select m.paused_by from dataalm.mirrors m join dataalm.environments e on e.id = m.environment_id where e.name = 'contoso-uat'`,
  );
  assert.deepEqual(pausedBy, [{ paused_by: null }], 'no refresh is recorded as pausing the mirror');
  assert.notEqual(status.health, 'paused');
  assert.equal(status.usable, true, `the mirror is usable: ${status.health} ${status.reason ?? ''}`);
}

/** How the operation's data step got the application database: 'mirror' or 'copy'. */
async function dataMethod(suite: FaultSuite, id: number): Promise<string | null> {
  const rows = await suite.demo.query<{ method: string | null }>('dataalm', `select counters->>'method' as method from dataalm.operation_steps where operation_id = $1 and name = 'data'`, [id]);
  return rows[0]?.method ?? null;
}
