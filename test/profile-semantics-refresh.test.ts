import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Operation } from '../src/domain/operation.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { loadRentalStore } from './helpers/rental-store.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, queryRows } from './helpers/test-database.ts';

// A refresh of an application dataalm has no built-in rules for (the rental store), with a
// profile its users wrote: the preview and the runbook speak of what that profile and these
// environments have, not of the seed's ERP; a clear that breaks foreign keys is refused
// before anything is created; a failure is named after the step where it happened.
let control: TestDatabase;
let prod: TestDatabase;
let uat: TestDatabase;
let dir: string;
let env: NodeJS.ProcessEnv;
let profile: string;

const cli = (args: string[]) => runCli(args, env, 180_000);
const refresh = (...extra: string[]) => cli(['refresh', '--source', 'store-prod', '--target', 'store-uat', '--jobs', '2', '--json', ...extra]);
const writeProfile = (lines: readonly string[]) => fs.writeFileSync(profile, ['name: rental-store', 'version: 1', ...lines, ''].join('\n'));

/** A lock-down of the rental store's own: no statement takes the administrator. */
const SANITIZE = ['sanitize:', '  - name: no-staff-mail', '    description: Staff e-mail addresses are removed.', '    sql: UPDATE staff SET email = NULL'];
const ERP_WORDS = /Admin|batch|Withhold|financial reporting/;

async function databasesLike(prefix: string): Promise<string[]> {
  const rows = await adminQuery<{ datname: string }>('select datname from pg_database where starts_with(datname, $1) order by 1', [prefix]);
  return rows.rows.map((r) => r.datname);
}

before(async () => {
  [control, prod, uat] = await Promise.all([createTestDatabase('semantics_control'), createTestDatabase('semantics_prod'), createTestDatabase('semantics_uat')]);
  await Promise.all([loadRentalStore(prod.url), loadRentalStore(uat.url)]);
  dir = fs.mkdtempSync(path.join(process.env.DATAALM_TEST_TMP ?? '/tmp', 'semantics-refresh-'));
  profile = path.join(dir, 'rental-store.yaml');
  writeProfile(['rules: []']);
  env = cliEnv({ DATAALM_HOME: path.join(dir, 'home'), DATAALM_DATABASE_URL: control.url, DATAALM_SECRET_KEY: 'profile-semantics-refresh-key' });
  for (const [name, type, db] of [['store-prod', 'production', prod], ['store-uat', 'sandbox', uat]] as const) {
    const added = await cli([
      'env', 'add', name, '--type', type, '--tenant', 'rentalstore.example', '--admin', 'mike@rentalstore.example', '--app-db', db.url,
      '--release', '1.0.0', '--platform-update', '62', '--reporting-version', '1.0.0.0', '--profile', profile,
    ]);
    assert.equal(added.code, 0, added.stderr);
  }
});

after(async () => {
  for (const name of [...(await databasesLike(uat.name)), prod.name, control.name]) await dropDatabase(name);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a refresh with a profile written for another application', () => {
  test('a clear of a referenced table is refused in the preview and at the request, naming the referencing table; nothing is created', async () => {
    writeProfile(['rules:', '  - action: clear', '    table: rental', ...SANITIZE]);
    const dry = await refresh('--dry-run');
    assert.equal(dry.code, 12, dry.stderr);
    const preview = JSON.parse(dry.stdout) as { refused: boolean; reasons: { code: string; message: string }[] };
    assert.equal(preview.refused, true);
    const reason = preview.reasons.find((r) => r.code === 'PROFILE_INVALID');
    assert.match(reason?.message ?? '', /public\.rental is cleared, but public\.payment \(payment_rental_id_fkey\) references it/);

    const request = await refresh('--yes');
    assert.equal(request.code, 12, request.stderr);
    assert.match(request.stdout, /public\.payment \(payment_rental_id_fkey\) references it/);
    const operations = JSON.parse((await cli(['op', 'list', '--json'])).stdout) as Operation[];
    assert.deepEqual(operations, [], 'no operation was queued');
    assert.deepEqual(await databasesLike(uat.name), [uat.name], 'no staging database was made');
  });

  test('the preview speaks of this profile and these databases: partitions of a rule, what a kept table risks, no ERP words', async () => {
    writeProfile([
      'rules:',
      '  - action: mask',
      '    table: payment',
      '    reason: Payment amounts are rounded to one value.',
      '    columns:',
      '      amount: { transformer: constant, value: "1.00" }',
      '  - action: keep-target',
      '    table: staff',
      '  - action: clear',
      '    table: staff_login_history',
      ...SANITIZE,
    ]);
    const dry = await refresh('--dry-run');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    const preview = JSON.parse(dry.stdout) as {
      administrator?: string; notCopied: { table: string; partitions?: string[]; cascaded?: string[] }[]; afterwards: string[]; warnings: string[];
    };
    assert.equal(preview.administrator, undefined, 'the profile gives no one the administrator');
    assert.deepEqual(preview.notCopied.find((n) => n.table === 'payment')?.partitions, ['public.payment_p2026_01', 'public.payment_p2026_02', 'public.payment_p2026_03']);
    assert.deepEqual(preview.afterwards, ['Staff e-mail addresses are removed.']);
    assert.ok(preview.warnings.some((w) => /^store-uat's application database is replaced\./.test(w)), preview.warnings.join('\n'));
    assert.ok(preview.warnings.some((w) => /public\.staff keeps the target's rows, and public\.rental references public\.staff \(rental_staff_id_fkey\)/.test(w)));
    for (const text of [...preview.warnings, ...preview.afterwards, ...preview.notCopied.map((n) => JSON.stringify(n))]) assert.doesNotMatch(text, ERP_WORDS);
    const human = await cli(['refresh', '--source', 'store-prod', '--target', 'store-uat', '--dry-run']);
    assert.equal(human.code, 0, human.stderr);
    assert.doesNotMatch(human.stdout, ERP_WORDS);
    assert.match(human.stdout, /in each partition: public\.payment_p2026_01, public\.payment_p2026_02, public\.payment_p2026_03/);
  });

  test('a copy that fails at its constraints step says so: the error and the log name that step', async () => {
    // The target's staff lacks one of the source's: the kept rows break the rentals' key.
    await adminQuery('delete from payment; delete from rental; delete from staff_login_history; delete from staff where staff_id = 2', [], uat.url);
    const result = await refresh('--yes');
    assert.equal(result.code, 13, result.stderr);
    const operation = JSON.parse(result.stdout) as Operation;
    assert.equal(operation.error?.step, 'constraints');
    assert.match(operation.error?.message ?? '', /foreign key|rental_staff_id_fkey/);
    const logs = await cli(['op', 'logs', String(operation.id)]);
    assert.match(logs.stdout, /\[constraints\] constraints failed: /);
    assert.doesNotMatch(logs.stdout, /prepare failed/);
    const steps = Object.fromEntries(operation.steps.map((s) => [s.name, s.status]));
    assert.equal(steps.constraints, 'failed');
    assert.equal(steps.data, 'succeeded');
    const rollback = await cli(['op', 'rollback', String(operation.id)]);
    assert.equal(rollback.code, 0, rollback.stderr);
  });

  test('with cascade: true the refresh clears the referencing tables too, and the runbook names no administrator', async () => {
    writeProfile(['rules:', '  - action: clear', '    table: rental', '    cascade: true', ...SANITIZE]);
    const dry = await refresh('--dry-run');
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    const preview = JSON.parse(dry.stdout) as { notCopied: { table: string; cascaded?: string[] }[] };
    assert.deepEqual(preview.notCopied.find((n) => n.table === 'rental')?.cascaded, ['public.payment']);

    const result = await refresh('--yes');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const operation = JSON.parse(result.stdout) as Operation;
    assert.equal(operation.state, 'succeeded');
    const counts = await queryRows(uat.url, 'select (select count(*) from rental)::int as rental, (select count(*) from payment)::int as payment, (select count(*) from staff)::int as staff');
    assert.deepEqual({ ...counts[0] }, { rental: 0, payment: 0, staff: 2 });
    const logs = await cli(['op', 'logs', String(operation.id)]);
    assert.match(logs.stdout, /\[sanitize\] no-staff-mail: Staff e-mail addresses are removed\./);
    assert.doesNotMatch(logs.stdout, /Admin is now/);
    assert.doesNotMatch(logs.stdout, ERP_WORDS);
  });
});
