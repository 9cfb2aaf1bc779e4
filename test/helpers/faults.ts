import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { APPLY_ONLY_STEPS, FAULT_POINTS } from '../../src/domain/faults.ts';
import type { Operation } from '../../src/domain/operation.ts';
import { type Demo, startDemo } from './demo.ts';
import { writePackage } from './packages.ts';
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
const REFRESH_POINTS = FAULT_POINTS.filter((p) => p !== 'rollback:middle' && p !== 'verify:users-reenabled' && !APPLY_POINTS.includes(p));

const steps = (...names: string[]) => names.flatMap((step) => [`before:${step}`, `after:${step}`]);

/**
 * Each fault point in exactly one group (checked by worker-faults-resume.test.ts), a few
 * per group, in runbook order, so that no file runs for long even on a busy machine. The
 * access policy's point, verify:users-reenabled, is tested by test/access-policy-groups.test.ts
 * (it needs a policy). The rollback's point, rollback:middle, is tested by test/rollback-takeover.test.ts (a
 * rollback is an operation a worker takes over), which prints its own survived line.
 */
export const FAULT_GROUPS: Readonly<Record<string, readonly string[]>> = {
  prepare: steps('validate', 'prepare'),
  schema: [...steps('schema'), 'before:data', 'data:mid-table'],
  copy: ['after:data', ...steps('keep-target')],
  constraints: steps('constraints', 'sanitize'),
  verify: steps('synchronize', 'verify'),
  cutover: ['before:cutover', 'cutover:between-renames', 'cutover:between-databases', 'after:cutover'],
  post: steps('post'),
  'apply-scripts': steps('scripts'),
  'apply-files': steps('files', 'versions'),
  /** A refresh that clones the target's mirror: the points while its subscription is paused, and while it takes the spare. */
  mirror: ['mirror:paused', 'mirror:cloned', 'mirror:spare-taken'],
  /** A resume refused after a crash at after:data (of the copy group): no point of its own. */
  resume: [],
};

/** The fault points tested outside the fault suite's files. */
export const FAULT_POINTS_ELSEWHERE: readonly string[] = ['rollback:middle', 'verify:users-reenabled'];

/** What the tests of one group share: the group's demo copy and the checks. */
export interface FaultSuite {
  readonly demo: Demo;
  /**
   * The environment of a process that is to die at `point`: its temporary folder is in the
   * demo copy's folder, since a process killed hard cannot remove its temporary files.
   */
  doomedEnv(point: string): Record<string, string>;
  /** Counts a fault point of this group as survived. */
  survived(point: string): void;
  /** The target as a client sees it: the number of tables of its application database that answer. */
  targetIsLive(): Promise<number>;
  noOrphans(): Promise<void>;
  /** Starts another worker and waits until it has ended the operation. */
  rescue(id: number): Promise<OperationRow>;
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
      if (points.length > 0) process.stdout.write(`# fault points survived: ${survived.size} of ${points.length}\n`);
      await demo?.close();
    });

    const suite: FaultSuite = {
      get demo() {
        assert.ok(demo, 'the demo copy was not made');
        return demo;
      },
      doomedEnv(point) {
        const tmp = path.join(path.dirname(suite.demo.home), 'killed-process-tmp');
        fs.mkdirSync(tmp, { recursive: true });
        return { ...LEASE, DATAALM_FAULT: point, TMPDIR: tmp };
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
      // A mark in the target's own data, so the new data can be told from the old even when
      // the target already holds the same refresh (its recurring jobs stopped either way).
      await demo.query('contoso_uat_app', `UPDATE mainaccount SET name = name || ' (before a refresh)' WHERE mainaccountid = (SELECT min(mainaccountid) FROM mainaccount)`);
      const before = { app: await demo.checksums('contoso_uat_app'), reporting: await demo.checksums('contoso_uat_reporting') };
      const doomed = await startWorker(demo.env(suite.doomedEnv(point)));
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

/** A package imported into the group's demo whose script counts its runs (a step run twice would show). */
export interface CountedPackage {
  readonly id: number;
  /** How many times its script ran on contoso-uat. */
  runs(): Promise<number>;
}

/** Imports the counted package before the group's tests; its file marks the files step. */
export function countedPackage(suite: FaultSuite): CountedPackage {
  let id: number | undefined;
  before(async () => {
    const manifest = writePackage(
      [
        'name: Counted update', 'kind: binary', 'version: 1.0.0', 'appliesTo: ["10.0.38"]', 'sets:', '  components:', '    CountedUpdate: 1.0.0',
        'scripts:', '  application:', '    - name: count the run',
        '      sql: create table if not exists countedruns (at timestamptz not null default now()); insert into countedruns default values;',
        'files:', '  - path: counted/marker.txt', '    from: marker.txt',
      ],
      { 'marker.txt': 'applied\n' },
    );
    const imported = await suite.demo.cli(['asset', 'import', manifest, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    id = (JSON.parse(imported.stdout) as { id: number }).id;
  });
  return {
    get id() {
      assert.ok(id !== undefined, 'the counted package was not imported');
      return id;
    },
    async runs() {
      const { demo } = suite;
      const exists = (await demo.query<{ t: string | null }>('contoso_uat_app', "select to_regclass('countedruns')::text as t"))[0]!.t !== null;
      return exists ? Number((await demo.query<{ n: string }>('contoso_uat_app', 'select count(*) as n from countedruns'))[0]!.n) : 0;
    },
  };
}

/** One test per apply fault point of the group: another worker finishes the apply, each step once. */
export function applyCrashTests(suite: FaultSuite, counted: CountedPackage, points: readonly string[]): void {
  for (const point of points) {
    assert.ok(APPLY_POINTS.includes(point), `${point} is a fault point of an apply`);
    test(`crash at ${point}: another worker finishes it, each step once`, async () => {
      const { demo } = suite;
      const before = await counted.runs();
      const doomed = await startWorker(demo.env(suite.doomedEnv(point)));
      try {
        const queued = await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(counted.id), '--detach', '--json'], LEASE);
        assert.equal(queued.code, 0, queued.stderr + queued.stdout);
        const id = (JSON.parse(queued.stdout) as Operation).id;
        await expectKilledAt(suite, doomed, point, id, 60_000);
        const operation = await suite.rescue(id);
        assert.equal(operation.state, 'succeeded', `${point}: ${operation.error}\n${await logMessages(demo, id)}`);
        assert.match(await logMessages(demo, id), /took the operation over from/);
        assert.equal(await counted.runs(), before + 1, 'the scripts ran once');
        const shown = JSON.parse((await demo.cli(['env', 'show', 'contoso-uat', '--json'])).stdout) as { components: Record<string, string>; documentStorage: string };
        assert.equal(shown.components.CountedUpdate, '1.0.0');
        assert.equal(fs.readFileSync(path.join(shown.documentStorage, 'counted', 'marker.txt'), 'utf8'), 'applied\n');
        suite.survived(point);
      } finally {
        await doomed.stop();
      }
    });
  }
}
