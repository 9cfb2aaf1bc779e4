import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Demo, startDemo } from './helpers/demo.ts';
import { loadRentalStore } from './helpers/rental-store.ts';

// A profile its user wrote for the rental store, with coverage: strict: every column is
// masked, cleared or listed safe. A column added to the source afterwards is refused by
// profile check, by a copy and by a refresh until the profile decides it; the refresh
// preview shows it as drift since the sandbox's last refresh.
let demo: Demo;
let file: string;

const PROFILE = `name: rental-store
version: 1
coverage: strict
rules:
  - action: mask
    table: customer
    columns:
      first_name: { transformer: first-name }
      last_name: { transformer: last-name }
      email: { transformer: email }
  - action: mask
    table: staff
    columns:
      first_name: { transformer: first-name }
      last_name: { transformer: last-name }
      email: { transformer: email }
      username: { transformer: hash }
      password: { transformer: hash }
  - action: mask
    table: address
    columns:
      address: { transformer: street }
      address2: { transformer: street }
      postal_code: { transformer: postcode }
      phone: { transformer: phone }
  - action: clear
    table: staff_login_history
safe:
  - { table: customer, columns: [customer_id, store_id, address_id, activebool, create_date, last_update] }
  - { table: staff, columns: [staff_id, address_id, store_id, active, last_update] }
  - { table: address, columns: [address_id, district, city_id, last_update] }
  - { table: actor, columns: ['*'], reason: "actors' names are on every film's poster" }
  - { table: film, columns: ['*'], reason: the public catalogue }
  - { table: film_actor, columns: ['*'] }
  - { table: language, columns: ['*'] }
  - { table: country, columns: ['*'] }
  - { table: city, columns: ['*'] }
  - { table: store, columns: ['*'] }
  - { table: inventory, columns: ['*'] }
  - { table: rental, columns: ['*'] }
  - { table: payment, columns: ['*'] }
  - { table: schema_migrations, columns: ['*'] }
`;

interface Preview {
  refused: boolean;
  reasons: { code: string; message: string }[];
  drift?: { since: { operation: number }; addedTables: string[]; removedTables: string[]; addedColumns: string[]; removedColumns: string[]; changedColumns: unknown[] };
  coverage?: { strict: boolean; undecided: string[]; unmasked: { column: string; kind: string }[] };
}

async function check(): Promise<{ code: number | null; report: { ok: boolean; undecided: string[]; unmasked: { column: string; kind: string }[] } }> {
  const result = await demo.cli(['profile', 'check', file, '--against', demo.url('store_prod'), '--json']);
  return { code: result.code, report: JSON.parse(result.stdout) };
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
  file = path.join(demo.home, '..', 'rental-store.yaml');
  fs.writeFileSync(file, PROFILE);
  const register = (name: string, type: string, database: string) =>
    demo.cli([
      'env', 'add', name, '--type', type, '--tenant', 'rental.example', '--admin', 'admin@rental.example', '--app-db', demo.url(database),
      '--release', '1.0.0', '--platform-update', '62', '--reporting-version', '1.0.0.0', '--profile', file,
    ]);
  for (const [name, type, database] of [['store-prod', 'production', 'store_prod'], ['store-uat', 'sandbox', 'store_uat']] as const) {
    const added = await register(name, type, database);
    assert.equal(added.code, 0, added.stderr);
  }
});

after(async () => {
  await demo?.close();
});

describe('coverage: strict', () => {
  test('a profile that decides every column checks clean, and a refresh with it runs', async () => {
    const { code, report } = await check();
    assert.equal(code, 0, JSON.stringify(report));
    assert.deepEqual([report.undecided, report.unmasked], [[], []]);
    const first = await preview();
    assert.equal(first.refused, false, JSON.stringify(first.reasons));
    assert.equal(first.drift, undefined, 'never refreshed: no drift to show');
    assert.deepEqual(first.coverage, { strict: true, undecided: [], unmasked: [] });
    const refreshed = await demo.cli(['refresh', '--source', 'store-prod', '--target', 'store-uat', '--yes', '--json']);
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    const masked = await demo.query('store_uat', "select count(*)::int as n from customer where email not like '%@example.invalid'");
    assert.equal(masked[0]!.n, 0);
    const same = await preview();
    assert.ok(same.drift, 'the preview compares with the last refresh');
    assert.deepEqual([same.drift.addedTables, same.drift.addedColumns, same.drift.removedColumns, same.drift.changedColumns], [[], [], [], []]);
  });

  test('a column added to the source since is named by profile check (exit 12), refused by a copy and a refresh, and shown as drift', async () => {
    await demo.query('store_prod', 'alter table customer add column birth_date date');
    await demo.query('store_prod', 'alter table staff alter column email type varchar(200)');
    try {
      const { code, report } = await check();
      assert.equal(code, 12);
      assert.deepEqual(report.undecided, ['public.customer.birth_date']);
      assert.equal(report.ok, false);
      const text = await demo.cli(['profile', 'check', file, '--against', demo.url('store_prod')]);
      assert.equal(text.code, 12);
      assert.match(text.stdout, /undecided.*\n {2}- public\.customer\.birth_date/);

      const copy = await demo.cli(['copy', '--from', demo.url('store_prod'), '--to', demo.url('store_copy'), '--profile', file, '--json']);
      assert.notEqual(copy.code, 0);
      assert.match(copy.stdout + copy.stderr, /public\.customer\.birth_date is not decided/);
      assert.equal((await demo.query('postgres', "select 1 from pg_database where datname = 'store_copy'")).length, 0, 'nothing was created');

      const refused = await preview();
      assert.equal(refused.refused, true);
      const reason = refused.reasons.find((r) => r.code === 'COVERAGE_UNDECIDED');
      assert.ok(reason, JSON.stringify(refused.reasons));
      assert.match(reason.message, /public\.customer\.birth_date/);
      assert.deepEqual(refused.coverage?.undecided, ['public.customer.birth_date']);
      assert.deepEqual(refused.drift?.addedColumns, ['public.customer.birth_date']);
      assert.deepEqual(refused.drift?.changedColumns, [{ column: 'public.staff.email', from: 'text', to: 'character varying(200)' }]);

      const request = await demo.cli(['refresh', '--source', 'store-prod', '--target', 'store-uat', '--yes', '--json']);
      assert.equal(request.code, 12, request.stderr);
      assert.match(request.stdout, /COVERAGE_UNDECIDED[\s\S]*public\.customer\.birth_date/);
    } finally {
      await demo.query('store_prod', 'alter table customer drop column birth_date');
      await demo.query('store_prod', 'alter table staff alter column email type text');
    }
  });

  test('a column listed safe that looks personal is reported until it is masked or its entry gives a reason', async () => {
    await demo.query('store_prod', 'alter table store add column manager_email text');
    await demo.query('store_prod', "update store set manager_email = 'manager' || store_id || '@rentalstore.example'");
    try {
      const { code, report } = await check();
      assert.equal(code, 12);
      assert.deepEqual(report.undecided, []);
      assert.deepEqual(report.unmasked, [{ column: 'public.store.manager_email', kind: 'email', confidence: 'high', decision: 'safe', evidence: 'its name says e-mail; 2 of 2 sampled values look like email' }]);
      fs.writeFileSync(file, PROFILE.replace("{ table: store, columns: ['*'] }", "{ table: store, columns: ['*'], reason: the managers agreed }"));
      assert.equal((await check()).code, 0);
    } finally {
      fs.writeFileSync(file, PROFILE);
      await demo.query('store_prod', 'alter table store drop column manager_email');
    }
  });
});
