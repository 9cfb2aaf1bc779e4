import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { cliEnv, runCli } from './helpers/cli.ts';
import { contentChecksums, schemaDump } from './helpers/compare-databases.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, queryRows, urlFor } from './helpers/test-database.ts';
import { everyObjectSql } from './helpers/every-object.ts';

// A source with every kind of object is copied; the copy's schema dump (with owners and
// privileges) and per-table contents must equal the source's, and the copy's own
// verification (its catalog fingerprint) must have passed.
let source: TestDatabase;
const copies: string[] = [];

before(async () => {
  source = await createTestDatabase('fidelity_src');
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  try {
    await client.query(everyObjectSql());
  } finally {
    await client.end();
  }
});

after(async () => {
  await source.drop();
  for (const name of copies) await dropDatabase(name);
});

for (const jobs of [1, 3]) {
  test(`copy with --jobs ${jobs} --verify checksums: same schema dump, same contents, same sequences`, async () => {
    const name = `${source.name}_copy${jobs}`;
    copies.push(name);
    // A tiny split size makes even these tables go in parts, so parallel parts are exercised.
    const result = await runCli(
      ['copy', '--from', source.url, '--to', urlFor(name), '--jobs', String(jobs), '--verify', 'checksums', '--split-tables-larger-than', '64kB', '--json'],
      cliEnv({ DATAALM_SECRET_KEY: 'copy-test-installation-key' }),
    );
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    const final = lines.at(-1) as { type: string; tables: number; verified: string; warnings: string[] };
    assert.equal(final.type, 'result');
    // The user mapping is never copied, and the copy says so. Nothing else is lost.
    assert.deepEqual(final.warnings, ['1 user mappings (credentials of foreign servers) were not copied']);
    assert.equal(final.verified, 'checksums');
    assert.ok(lines.some((l) => l.type === 'progress'));
    assert.equal(schemaDump(urlFor(name)), schemaDump(source.url));
    assert.deepEqual(await contentChecksums(urlFor(name)), await contentChecksums(source.url));
  });
}

test('a custom profile on mixed-case, non-ASCII names: hash, null, constant and e-mail masks; kept column', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-profile-'));
  const profile = path.join(folder, 'custom.json');
  fs.writeFileSync(
    profile,
    JSON.stringify({
      name: 'custom',
      version: 1,
      salt: 'pepper-and-more-salt',
      rules: [
        {
          action: 'mask',
          schema: 'Sales Ops',
          table: 'Customer',
          columns: {
            Name: { transformer: 'hash' },
            note: { transformer: 'null' },
            feeling: { transformer: 'constant', value: 'happy' },
            email: { transformer: 'email' },
          },
        },
        { action: 'keep-target', table: 'invoice', columns: ['lines'], otherwise: { transformer: 'constant', value: '{}' } },
        { action: 'clear', table: 'audit_log' },
      ],
    }),
  );
  const name = `${source.name}_custom`;
  const keep = `${source.name}_keep`;
  copies.push(name, keep);
  // The target's current database: the source's twin with its own invoice lines, a few fewer rows.
  await adminQuery(`CREATE DATABASE ${keep} TEMPLATE ${source.name}`);
  await queryRows(urlFor(keep), `UPDATE invoice SET lines = jsonb_build_object('kept', id) WHERE id % 2 = 0`);
  await queryRows(urlFor(keep), 'DELETE FROM invoice WHERE id % 10 = 5');
  const result = await runCli(['copy', '--from', source.url, '--to', urlFor(name), '--profile', profile, '--keep-from', urlFor(keep), '--verify', 'checksums'], cliEnv({ DATAALM_SECRET_KEY: 'copy-test-installation-key' })).finally(() =>
    fs.rmSync(folder, { recursive: true, force: true }),
  );
  assert.equal(result.code, 0, result.stderr);

  const query = queryRows;
  const columns = `"Id", "Name", email::text AS email, note, feeling::text AS feeling, "Größe", home::text AS home`;
  const before = await query(source.url, `SELECT ${columns} FROM "Sales Ops"."Customer" ORDER BY "Id"`);
  const after = await query(urlFor(name), `SELECT ${columns} FROM "Sales Ops"."Customer" ORDER BY "Id"`);
  assert.equal(after.length, before.length);
  before.forEach((row, i) => {
    const copy = after[i]!;
    assert.equal(copy.Name, createHash('md5').update(`pepper-and-more-salt:${row.Name as string}`).digest('hex'));
    assert.equal(copy.note, null);
    assert.equal(copy.feeling, 'happy');
    assert.equal(copy.email, `${createHash('md5').update(`pepper-and-more-salt:${row.email as string}`).digest('hex').slice(0, 20)}@example.invalid`);
    assert.deepEqual([copy.Id, copy['Größe'], copy.home], [row.Id, row['Größe'], row.home]);
  });
  // Each row keeps the keep-from database's value by key; rows it lacks get the fallback.
  const kept = new Map((await query(urlFor(keep), 'SELECT id, lines::text AS l FROM invoice')).map((r) => [r.id, r.l]));
  const copied = await query(urlFor(name), 'SELECT id, lines::text AS l FROM invoice ORDER BY id');
  assert.equal(copied.length, (await query(source.url, 'SELECT id FROM invoice')).length, 'rows come from the source');
  for (const row of copied) assert.equal(row.l, kept.get(row.id) ?? '{}', `invoice ${String(row.id)}`);
  assert.ok(copied.some((r) => String(r.l).includes('kept')) && copied.some((r) => r.l === '{}'));
  assert.deepEqual(await query(urlFor(name), 'SELECT count(*)::int AS n FROM audit_log'), [{ n: 0 }]);
});

// Owners and privileges of roles other than the connecting one: what a copy must carry once
// it copies owners and grants (until then this test fails on owners and privileges).
test('owners and privileges: objects owned by other roles, grants, column grants and default privileges are copied', async () => {
  const suffix = source.name.slice(-8);
  const [owner, reader] = [`fid_owner_${suffix}`, `fid_reader_${suffix}`];
  const privileged = await createTestDatabase('fidelity_owners');
  const name = `${privileged.name}_copy`;
  try {
    await adminQuery(`CREATE ROLE ${owner} NOLOGIN; CREATE ROLE ${reader} NOLOGIN`);
    await queryRows(
      privileged.url,
      `CREATE SCHEMA app AUTHORIZATION ${owner};
       CREATE TABLE app.account (id int PRIMARY KEY, name text, secret text);
       ALTER TABLE app.account OWNER TO ${owner};
       CREATE FUNCTION app.greet(n text) RETURNS text LANGUAGE sql AS $$ SELECT 'hi ' || n $$;
       ALTER FUNCTION app.greet(text) OWNER TO ${owner};
       REVOKE EXECUTE ON FUNCTION app.greet(text) FROM PUBLIC;
       GRANT EXECUTE ON FUNCTION app.greet(text) TO ${reader};
       GRANT USAGE ON SCHEMA app TO ${reader};
       GRANT SELECT (id, name) ON app.account TO ${reader};
       GRANT SELECT ON app.account TO PUBLIC;
       CREATE SEQUENCE app.counter;
       ALTER SEQUENCE app.counter OWNER TO ${owner};
       GRANT USAGE ON SEQUENCE app.counter TO ${reader} WITH GRANT OPTION;
       ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA app GRANT SELECT ON TABLES TO ${reader};
       CREATE TYPE app.state AS ENUM ('on', 'off');
       ALTER TYPE app.state OWNER TO ${owner};
       INSERT INTO app.account VALUES (1, 'a', 's');`,
    );
    const result = await runCli(['copy', '--from', privileged.url, '--to', urlFor(name), '--json'], cliEnv({ DATAALM_SECRET_KEY: 'copy-test-installation-key' }));
    assert.equal(result.code, 0, result.stderr + result.stdout);
    assert.equal(schemaDump(urlFor(name)), schemaDump(privileged.url));
  } finally {
    await dropDatabase(name);
    await privileged.drop();
    await adminQuery(`DROP ROLE IF EXISTS ${owner}; DROP ROLE IF EXISTS ${reader}`);
  }
});
