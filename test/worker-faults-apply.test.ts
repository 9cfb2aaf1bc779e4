import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import type { Operation } from '../src/domain/operation.ts';
import { FAULT_GROUPS, LEASE, describeFaults, expectKilledAt } from './helpers/faults.ts';
import { writePackage } from './helpers/packages.ts';
import { logMessages, startWorker } from './helpers/workers.ts';

// An apply whose worker dies before or after each of its own steps: another worker finishes
// it, each step once (see helpers/faults.ts).
describeFaults('apply', (suite) => {
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
    const imported = await suite.demo.cli(['asset', 'import', manifest, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    packageId = (JSON.parse(imported.stdout) as { id: number }).id;
  });

  const runs = async () => {
    const { demo } = suite;
    const exists = (await demo.query<{ t: string | null }>('contoso_uat_app', "select to_regclass('countedruns')::text as t"))[0]!.t !== null;
    return exists ? Number((await demo.query<{ n: string }>('contoso_uat_app', 'select count(*) as n from countedruns'))[0]!.n) : 0;
  };

  for (const point of FAULT_GROUPS['apply']!) {
    test(`crash at ${point}: another worker finishes it, each step once`, async () => {
      const { demo } = suite;
      const before = await runs();
      const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: point }));
      try {
        const queued = await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(packageId), '--detach', '--json'], LEASE);
        assert.equal(queued.code, 0, queued.stderr + queued.stdout);
        const id = (JSON.parse(queued.stdout) as Operation).id;
        await expectKilledAt(suite, doomed, point, id, 60_000);
        const operation = await suite.rescue(id);
        assert.equal(operation.state, 'succeeded', `${point}: ${operation.error}\n${await logMessages(demo, id)}`);
        assert.match(await logMessages(demo, id), /took the operation over from/);
        assert.equal(await runs(), before + 1, 'the scripts ran once');
        const shown = JSON.parse((await demo.cli(['env', 'show', 'contoso-uat', '--json'])).stdout) as { components: Record<string, string>; documentStorage: string };
        assert.equal(shown.components.CountedUpdate, '1.0.0');
        assert.equal(fs.readFileSync(path.join(shown.documentStorage, 'counted', 'marker.txt'), 'utf8'), 'applied\n');
        suite.survived(point);
      } finally {
        await doomed.stop();
      }
    });
  }

  test('an apply is canceled before its scripts; once they run, it can no longer be', async () => {
    const { demo } = suite;
    const before = await runs();
    const queued = await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(packageId), '--detach', '--json'], LEASE);
    const id = (JSON.parse(queued.stdout) as Operation).id;
    const canceled = await demo.cli(['op', 'cancel', String(id), '--json'], LEASE);
    assert.equal(canceled.code, 0, canceled.stderr);
    assert.equal((JSON.parse(canceled.stdout) as Operation).state, 'canceled');
    assert.equal(await runs(), before, 'nothing ran');
    // Past its point of no cancel (the scripts step began), a cancel is refused.
    const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: 'after:scripts' }));
    try {
      const second = JSON.parse((await demo.cli(['env', 'apply', 'contoso-uat', '--package', String(packageId), '--detach', '--json'], LEASE)).stdout) as Operation;
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
