import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { APPLY_ONLY_STEPS, FAULT_POINTS } from '../../src/domain/faults.ts';
import type { Operation } from '../../src/domain/operation.ts';
import { type Demo, startDemo } from './demo.ts';
import { within } from './wait.ts';
import { type OperationRow, leftoverDatabases, logMessages, operationRow, startWorker, waitForEnd } from './workers.ts';

/**
 * The fault suite (test/worker-faults-*.test.ts): for every fault point, a worker dies there
 * (DATAALM_FAULT), another worker is started, and the operation ends succeeded, or failed
 * with a rollback that brings the old data back exactly. The target always has a live,
 * complete database, and no staging or breadcrumb database is left that the control data
 * does not know of. The points are split in groups, one file each with its own copy of the
 * demo, so the files run side by side and none runs for long.
 */
export const LEASE = { DATAALM_LEASE_SECONDS: '2' };
export const APPLY_POINTS: readonly string[] = APPLY_ONLY_STEPS.flatMap((step) => [`before:${step}`, `after:${step}`]);
const REFRESH_POINTS = FAULT_POINTS.filter((p) => p !== 'rollback:middle' && !APPLY_POINTS.includes(p));

const steps = (...names: string[]) => names.flatMap((step) => [`before:${step}`, `after:${step}`]);

/** Each fault point in exactly one group (checked by worker-faults-rollback.test.ts). */
export const FAULT_GROUPS: Readonly<Record<string, readonly string[]>> = {
  'before-copy': steps('validate', 'prepare', 'schema'),
  copy: [...steps('data'), 'data:mid-table', ...steps('keep-target')],
  'after-copy': steps('constraints', 'sanitize'),
  'before-cutover': steps('synchronize', 'verify'),
  cutover: ['before:cutover', 'cutover:between-renames', 'cutover:between-databases', 'after:cutover', ...steps('post')],
  apply: APPLY_POINTS,
  rollback: ['rollback:middle'],
};

/** What the tests of one group share: the group's demo copy and the checks. */
export interface FaultSuite {
  readonly demo: Demo;
  /** Counts a fault point of this group as survived. */
  survived(point: string): void;
  /** The target as a client sees it: the number of tables of its application database that answer. */
  targetIsLive(): Promise<number>;
  noOrphans(): Promise<void>;
  /** Starts another worker and waits until it has ended the operation. */
  rescue(id: number): Promise<OperationRow>;
  /** After a refresh succeeded, the copied recurring jobs are stopped so the next refresh may run. */
  allowNextRefresh(): Promise<void>;
}

/** A describe block for one group, on its own demo copy; prints its `# fault points survived` line. */
export function describeFaults(group: string, body: (suite: FaultSuite) => void): void {
  const points = FAULT_GROUPS[group];
  if (!points) throw new Error(`no fault group ${group}`);
  describe(`a worker that dies at any point (${group}): another worker finishes or undoes the operation`, () => {
    let demo: Demo | undefined;
    const survived = new Set<string>();

    before(async () => {
      demo = await startDemo(`faults-${group}`);
    });

    after(async () => {
      process.stdout.write(`# fault points survived: ${survived.size} of ${points.length}\n`);
      await demo?.close();
    });

    const suite: FaultSuite = {
      get demo() {
        assert.ok(demo, 'the demo copy was not made');
        return demo;
      },
      survived(point) {
        assert.ok(points.includes(point), `${point} is not a fault point of group ${group}`);
        survived.add(point);
      },
      async targetIsLive() {
        const tables = await suite.demo.query<{ n: string }>(
          'contoso_uat_app',
          `select count(*) as n from information_schema.tables where table_schema = 'public'`,
        );
        return Number(tables[0]!.n);
      },
      async noOrphans() {
        const left = await leftoverDatabases(suite.demo);
        assert.deepEqual(left.staging, [], 'no staging database is left');
        const known = (
          await suite.demo.query<{ database: string }>('dataalm', `select database from dataalm.breadcrumbs where state in ('pending', 'kept') order by 1`)
        ).map((r) => r.database);
        assert.deepEqual(left.breadcrumbs.filter((b) => !known.includes(b)), [], 'every breadcrumb database is known to the control data');
      },
      async rescue(id) {
        const rescuer = await startWorker(suite.demo.env(LEASE));
        try {
          return await waitForEnd(suite.demo, id);
        } finally {
          await rescuer.stop();
        }
      },
      async allowNextRefresh() {
        await suite.demo.query('contoso_uat_app', 'update dmfrecurringjob set enabled = 0');
      },
    };
    body(suite);
  });
}

/** Waits (bounded) for the doomed worker to be killed by its fault; fails saying what happened instead. */
export async function expectKilledAt(suite: FaultSuite, doomed: Awaited<ReturnType<typeof startWorker>>, point: string, id: number, timeoutMs: number): Promise<void> {
  const ended = await within(doomed.exited, timeoutMs, 'still running');
  if (ended !== 'SIGKILL') {
    const operation = await operationRow(suite.demo, id);
    await doomed.stop();
    assert.fail(
      `the worker was to die at ${point}, but it is ${ended} and the operation is ${operation.state} (${operation.error ?? ''}):\n${doomed.output()}\n${await logMessages(suite.demo, id)}`,
    );
  }
  assert.match(doomed.output(), new RegExp(`fault injected at ${point}`));
}

/** One test per refresh fault point of the group. */
export function refreshCrashTests(suite: FaultSuite, points: readonly string[]): void {
  for (const point of points) {
    assert.ok(REFRESH_POINTS.includes(point as (typeof REFRESH_POINTS)[number]), `${point} is a fault point of a refresh`);
    test(`crash at ${point}`, async () => {
      const { demo } = suite;
      const before = { app: await demo.checksums('contoso_uat_app'), reporting: await demo.checksums('contoso_uat_reporting') };
      const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: point }));
      try {
        const queued = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], LEASE);
        assert.equal(queued.code, 0, queued.stderr + queued.stdout);
        const id = (JSON.parse(queued.stdout) as Operation).id;
        await expectKilledAt(suite, doomed, point, id, 90_000);

        const operation = await suite.rescue(id);
        const logs = await logMessages(demo, id);
        assert.match(logs, /took the operation over from/, 'the takeover is in the runbook log');
        assert.ok(['succeeded', 'failed'].includes(operation.state), `${point}: ended ${operation.state}: ${operation.error}`);
        assert.ok((await suite.targetIsLive()) >= 30, 'the target answers with all its tables');
        if (operation.state === 'succeeded') {
          assert.equal(operation.verificationPassed, true);
          assert.ok(operation.offlineMs !== null);
          assert.notDeepEqual(await demo.checksums('contoso_uat_app'), before.app, 'the new data is live');
          await suite.allowNextRefresh();
        } else {
          const rolled = await demo.cli(['op', 'rollback', String(id)], LEASE);
          assert.equal(rolled.code, 0, `${rolled.stderr}\nthe operation had failed with: ${operation.error}`);
          assert.deepEqual(await demo.checksums('contoso_uat_app'), before.app, 'rollback brings the old data back exactly');
          assert.deepEqual(await demo.checksums('contoso_uat_reporting'), before.reporting);
        }
        await suite.noOrphans();
        suite.survived(point);
      } finally {
        await doomed.stop();
      }
    });
  }
}
