import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cliEnv, runCli } from './helpers/cli.ts';
import { useRentalStore } from './helpers/rental-store.ts';
import { queryRows, urlFor } from './helpers/test-database.ts';

// A profile written by a user for an application dataalm knows nothing of (the rental
// store), read against its live database before anything is copied.
const env = cliEnv({ DATAALM_SECRET_KEY: 'profile-against-test-installation-key' });
const rental = useRentalStore('rental_store');
const profileFile = (name: string, yaml: string) => rental.profileFile(name, yaml);

describe('a rule on a partitioned table', () => {
  test('applies to every partition: validate --against accepts it and the copy masks each partition', async () => {
    const file = profileFile('payments', 'rules:\n  - action: mask\n    table: payment\n    columns:\n      amount: { transformer: constant, value: "1.00" }\n');
    const validated = await runCli(['profile', 'validate', file, '--against', rental.db().url, '--json'], env);
    assert.equal(validated.code, 0, validated.stderr);
    assert.deepEqual(JSON.parse(validated.stdout).findings, []);

    const copy = rental.copyName('payments');
    const result = await runCli(['copy', '--from', rental.db().url, '--to', urlFor(copy), '--profile', file, '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    const partitions = await queryRows(
      urlFor(copy),
      `select tableoid::regclass::text as partition, count(*)::int as n, count(*) filter (where amount <> 1.00)::int as unmasked
         from payment group by 1 order by 1`,
    );
    assert.deepEqual(partitions.map((p) => p.partition), ['payment_p2026_01', 'payment_p2026_02', 'payment_p2026_03']);
    for (const p of partitions) {
      assert.ok(Number(p.n) > 0, `${p.partition} has rows`);
      assert.equal(p.unmasked, 0, `${p.partition}: every amount masked`);
    }
  });
});

describe('profile validate --against', () => {
  test('names every table, column and rule need that does not fit, and exits 2', async () => {
    const file = profileFile(
      'misfit',
      [
        'rules:',
        '  - action: clear',
        '    table: sessions',
        '  - action: mask',
        '    table: payment',
        '    columns:',
        '      card_number: { transformer: hash }',
        '  - action: keep-target',
        '    table: customer',
        '    columns: [customer_id]',
        '',
      ].join('\n'),
    );
    const result = await runCli(['profile', 'validate', file, '--against', rental.db().url, '--json'], env);
    assert.equal(result.code, 2, result.stderr);
    const { valid, findings } = JSON.parse(result.stdout) as { valid: boolean; findings: { path: string; message: string }[] };
    assert.equal(valid, false);
    assert.deepEqual(
      findings.map((f) => f.path),
      ['rules[0]', 'rules[1].columns.card_number', 'rules[2].otherwise', 'rules[2].columns[0]'],
    );
    assert.match(findings[0]!.message, /table public\.sessions does not exist in the source/);
    // Said once for the partitioned table, not once per partition.
    assert.match(findings[1]!.message, /column card_number does not exist in public\.payment$/);
    assert.match(findings[2]!.message, /customer_id is NOT NULL/);
    assert.match(findings[3]!.message, /customer_id is part of the primary key/);

    const text = await runCli(['profile', 'validate', file, '--against', rental.db().url], env);
    assert.equal(text.code, 2);
    assert.match(text.stdout, /does not fit .*\/t_rental_store_/);
    assert.doesNotMatch(text.stdout + text.stderr, /password|:\/\/[^@\s]*@/, 'no credentials in the output');
  });

  test('an unreachable database is a clear error, not a stack', async () => {
    const file = profileFile('plain-one', 'rules: []\n');
    const result = await runCli(['profile', 'validate', file, '--against', 'postgresql://nobody:secret@127.0.0.1:1/nowhere'], env);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /127\.0\.0\.1:1/);
    assert.doesNotMatch(result.stderr, /secret|\n\s+at /);
  });
});
