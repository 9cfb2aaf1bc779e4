import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Demo, startDemo } from './helpers/demo.ts';
import { loadRentalStore } from './helpers/rental-store.ts';
import { RENTAL_STORE_PROFILE } from './helpers/rental-store-profile.ts';

// A sandbox of the rental store refreshed with a strict profile its user wrote: a column
// added to the source afterwards refuses the next refresh, naming it, and the preview shows
// it as drift since the sandbox's last refresh (profile-check.test.ts: the same profile
// without environments).
let demo: Demo;

interface Preview {
  refused: boolean;
  reasons: { code: string; message: string }[];
  drift?: { since: { operation: number }; addedTables: string[]; removedTables: string[]; addedColumns: string[]; removedColumns: string[]; changedColumns: unknown[] };
  coverage?: { strict: boolean; undecided: string[]; unmasked: { column: string; kind: string }[] };
}

async function preview(): Promise<Preview> {
  const result = await demo.cli(['refresh', '--source', 'store-prod', '--target', 'store-uat', '--dry-run', '--json']);
  assert.ok(result.code === 0 || result.code === 12, result.stderr);
  return JSON.parse(result.stdout) as Preview;
}

before(async () => {
  demo = await startDemo('coverage');
  await demo.query('postgres', 'create database store_prod');
  await demo.query('postgres', 'create database store_uat');
  await loadRentalStore(demo.url('store_prod'));
  const file = path.join(demo.home, '..', 'rental-store.yaml');
  fs.writeFileSync(file, RENTAL_STORE_PROFILE);
  for (const [name, type, database] of [['store-prod', 'production', 'store_prod'], ['store-uat', 'sandbox', 'store_uat']] as const) {
    const added = await demo.cli([
      'env', 'add', name, '--type', type, '--tenant', 'rental.example', '--admin', 'admin@rental.example', '--app-db', demo.url(database),
      '--release', '1.0.0', '--platform-update', '62', '--reporting-version', '1.0.0.0', '--profile', file,
    ]);
    assert.equal(added.code, 0, added.stderr);
  }
});

after(async () => {
  await demo?.close();
});

describe('a refresh with coverage: strict', () => {
  test('runs while every column is decided; its preview then compares the source with that refresh', async () => {
    const refreshed = await demo.cli(['refresh', '--source', 'store-prod', '--target', 'store-uat', '--yes', '--json']);
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    const masked = await demo.query('store_uat', "select count(*)::int as n from customer where email not like '%@example.invalid'");
    assert.equal(masked[0]!.n, 0);
    const same = await preview();
    assert.equal(same.refused, false, JSON.stringify(same.reasons));
    assert.deepEqual(same.coverage, { strict: true, undecided: [], unmasked: [] });
    assert.ok(same.drift, 'the preview compares with the last refresh');
    assert.deepEqual([same.drift.addedTables, same.drift.addedColumns, same.drift.removedColumns, same.drift.changedColumns], [[], [], [], []]);
  });

  test('a column added to the source since is refused at preflight, named, and shown as drift', async () => {
    await demo.query('store_prod', 'alter table customer add column birth_date date');
    await demo.query('store_prod', 'alter table staff alter column email type varchar(200)');
    await demo.query('store_prod', 'create table gift_card (code text primary key)');
    const refused = await preview();
    assert.equal(refused.refused, true);
    const reason = refused.reasons.find((r) => r.code === 'COVERAGE_UNDECIDED');
    assert.ok(reason, JSON.stringify(refused.reasons));
    assert.match(reason.message, /2 columns of store-prod's application database are not decided: public\.customer\.birth_date, public\.gift_card\.code/);
    assert.deepEqual(refused.coverage?.undecided, ['public.customer.birth_date', 'public.gift_card.code']);
    assert.deepEqual(refused.drift?.addedTables, ['public.gift_card']);
    assert.deepEqual(refused.drift?.addedColumns, ['public.customer.birth_date']);
    assert.deepEqual(refused.drift?.changedColumns, [{ column: 'public.staff.email', from: 'text', to: 'character varying(200)' }]);

    const text = await demo.cli(['refresh', '--source', 'store-prod', '--target', 'store-uat', '--dry-run']);
    assert.match(text.stdout, /undecided: public\.customer\.birth_date/);
    assert.match(text.stdout, /Schema changes in the source since the last refresh \(operation \d+\):\n {2}\+ table public\.gift_card\n {2}\+ public\.customer\.birth_date\n {2}~ public\.staff\.email: text → character varying\(200\)/);

    const request = await demo.cli(['refresh', '--source', 'store-prod', '--target', 'store-uat', '--yes', '--json']);
    assert.equal(request.code, 12, request.stderr);
    assert.match(request.stdout, /COVERAGE_UNDECIDED[\s\S]*public\.customer\.birth_date/);
  });
});
