import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliEnv, runCli } from './helpers/cli.ts';
import { loadRentalStore } from './helpers/rental-store.ts';
import { RENTAL_STORE_PROFILE } from './helpers/rental-store-profile.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, runSql, urlFor } from './helpers/test-database.ts';

// profile check and the copy with a strict profile its user wrote for the rental store:
// a column added to the source since is named and refused until the profile decides it.
const env = cliEnv({ DATAALM_SECRET_KEY: 'profile-check-test-installation-key' });
let store: TestDatabase;
let dir: string;
let file: string;

interface Report {
  ok: boolean;
  strict: boolean;
  undecided: string[];
  unmasked: { column: string; kind: string; confidence: string; decision: string; evidence: string }[];
  columns: number;
  decided: number;
}

async function check(): Promise<{ code: number | null; report: Report }> {
  const result = await runCli(['profile', 'check', file, '--against', store.url, '--json'], env);
  return { code: result.code, report: JSON.parse(result.stdout) as Report };
}

before(async () => {
  store = await createTestDatabase('profile_check');
  await loadRentalStore(store.url);
  dir = fs.mkdtempSync(path.join(process.env.DATAALM_TEST_TMP ?? '/tmp', 'profile-check-'));
  file = path.join(dir, 'rental-store.yaml');
  fs.writeFileSync(file, RENTAL_STORE_PROFILE);
});

after(async () => {
  await store.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('profile check --against', () => {
  test('a profile that decides every column checks clean (exit 0)', async () => {
    const { code, report } = await check();
    assert.equal(code, 0, JSON.stringify(report));
    assert.deepEqual({ ok: report.ok, strict: report.strict, undecided: report.undecided, unmasked: report.unmasked }, { ok: true, strict: true, undecided: [], unmasked: [] });
    assert.equal(report.decided, report.columns);
  });

  test('a column added to the source since is named (exit 12), and a copy with the profile refuses it before anything is created', async () => {
    await runSql(store.url, 'alter table customer add column birth_date date');
    try {
      const { code, report } = await check();
      assert.equal(code, 12);
      assert.equal(report.ok, false);
      assert.deepEqual(report.undecided, ['public.customer.birth_date']);
      const text = await runCli(['profile', 'check', file, '--against', store.url], env);
      assert.equal(text.code, 12);
      assert.match(text.stdout, /undecided.*\n {2}- public\.customer\.birth_date/);
      const validated = await runCli(['profile', 'validate', file, '--against', store.url, '--json'], env);
      assert.equal(validated.code, 2);
      assert.match(validated.stdout, /public\.customer\.birth_date is not decided/);

      const copy = `${store.name}_copy`;
      const copied = await runCli(['copy', '--from', store.url, '--to', urlFor(copy), '--profile', file, '--json'], env);
      assert.notEqual(copied.code, 0);
      assert.match(copied.stdout + copied.stderr, /public\.customer\.birth_date is not decided/);
      const made = await adminQuery('select 1 from pg_database where datname = $1', [copy]);
      assert.equal(made.rows.length, 0, 'nothing was created');
      await dropDatabase(copy);
    } finally {
      await runSql(store.url, 'alter table customer drop column birth_date');
    }
  });

  test('a column listed safe that looks personal is reported until its entry gives a reason', async () => {
    await runSql(store.url, "alter table store add column manager_email text; update store set manager_email = 'manager' || store_id || '@rentalstore.example'");
    try {
      const { code, report } = await check();
      assert.equal(code, 12);
      assert.deepEqual(report.undecided, []);
      assert.deepEqual(report.unmasked, [
        { column: 'public.store.manager_email', kind: 'email', confidence: 'high', decision: 'safe', evidence: 'its name says e-mail; 2 of 2 sampled values look like email' },
      ]);
      const text = await runCli(['profile', 'check', file, '--against', store.url], env);
      assert.doesNotMatch(text.stdout, /manager1@|rentalstore\.example/, 'no sampled value is shown');
      fs.writeFileSync(file, RENTAL_STORE_PROFILE.replace("{ table: store, columns: ['*'] }", "{ table: store, columns: ['*'], reason: the managers agreed }"));
      assert.equal((await check()).code, 0);
    } finally {
      fs.writeFileSync(file, RENTAL_STORE_PROFILE);
      await runSql(store.url, 'alter table store drop column manager_email');
    }
  });
});
