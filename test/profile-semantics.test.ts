import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cliEnv, runCli } from './helpers/cli.ts';
import { useRentalStore } from './helpers/rental-store.ts';
import { queryRows, urlFor } from './helpers/test-database.ts';

// The profile's rules read as the rental store's foreign keys and partitions mean them: a
// clear of a referenced table is refused before anything is copied, or cascades; the
// refresh preview and runbook speak of what the profile and the environments really have.
const KEY = 'profile-semantics-test-installation-key';
const env = cliEnv({ DATAALM_SECRET_KEY: KEY });
const rental = useRentalStore('semantics_store');
const profileFile = (name: string, yaml: string) => rental.profileFile(name, yaml);

const CLEAR_RENTAL = ['rules:', '  - action: mask', '    table: customer', '    columns:', '      email: { transformer: email }', '  - action: clear', '    table: rental'];

describe('a clear of a table that foreign keys reference', () => {
  test('is refused at profile validate --against and by dataalm copy before anything is created, naming the referencing tables', async () => {
    const file = profileFile('clear-rental', `${CLEAR_RENTAL.join('\n')}\n`);
    const validated = await runCli(['profile', 'validate', file, '--against', rental.db().url, '--json'], env);
    assert.equal(validated.code, 2, validated.stderr);
    const { findings } = JSON.parse(validated.stdout) as { findings: { path: string; message: string }[] };
    assert.deepEqual(findings.map((f) => f.path), ['rules[1]']);
    assert.match(
      findings[0]!.message,
      /rules\[1\]: public\.rental is cleared, but public\.payment \(payment_rental_id_fkey\) references it: clear them too with cascade: true, or do not clear public\.rental/,
    );

    const copy = rental.copyName('refused');
    const result = await runCli(['copy', '--from', rental.db().url, '--to', urlFor(copy), '--profile', file, '--json'], env);
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /public\.payment \(payment_rental_id_fkey\) references it/);
    const exists = await queryRows(urlFor('postgres'), `select 1 from pg_database where datname = '${copy}'`);
    assert.equal(exists.length, 0, 'nothing was created');
  });

  test('with cascade: true, the referencing tables are cleared too (every partition) and the copy keeps its foreign keys', async () => {
    const file = profileFile('clear-rental-cascade', `${CLEAR_RENTAL.join('\n')}\n    cascade: true\n`);
    const validated = await runCli(['profile', 'validate', file, '--against', rental.db().url, '--json'], env);
    assert.equal(validated.code, 0, validated.stdout + validated.stderr);

    const copy = rental.copyName('cascade');
    const result = await runCli(['copy', '--from', rental.db().url, '--to', urlFor(copy), '--profile', file, '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const counts = await queryRows(
      urlFor(copy),
      `select (select count(*) from rental)::int as rental, (select count(*) from payment)::int as payment,
              (select count(*) from payment_p2026_01)::int + (select count(*) from payment_p2026_02)::int + (select count(*) from payment_p2026_03)::int as partitions,
              (select count(*) from customer)::int as customer, (select count(*) from inventory)::int as inventory`,
    );
    assert.deepEqual({ ...counts[0] }, { rental: 0, payment: 0, partitions: 0, customer: 240, inventory: 400 });
    const invalid = await queryRows(urlFor(copy), `select conname from pg_constraint where contype = 'f' and not convalidated`);
    assert.deepEqual(invalid, [], 'every foreign key is there and valid');
    const keys = await queryRows(urlFor(copy), `select count(*)::int as n from pg_constraint where contype = 'f' and conrelid = 'payment'::regclass`);
    assert.equal(keys[0]!.n, 3);
  });

  test('a self-reference of a cleared table is no problem; a table kept whole from the target is not cascaded into', async () => {
    const file = profileFile(
      'cascade-into-kept',
      [...CLEAR_RENTAL, '    cascade: true', '  - action: keep-target', '    table: payment', ''].join('\n'),
    );
    const validated = await runCli(['profile', 'validate', file, '--against', rental.db().url, '--json'], env);
    assert.equal(validated.code, 2, validated.stderr);
    const { findings } = JSON.parse(validated.stdout) as { findings: { path: string; message: string }[] };
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.message, /rules\[1\]: public\.rental is cleared, but public\.payment \(payment_rental_id_fkey\) references it: public\.payment keeps the target's rows/);
  });
});
