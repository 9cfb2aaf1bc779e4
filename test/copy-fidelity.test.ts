import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { ROOT, cliEnv, runCli } from './helpers/cli.ts';
import { contentChecksums, schemaDump } from './helpers/compare-databases.ts';
import { type TestDatabase, createTestDatabase, dropDatabase, urlFor } from './helpers/test-database.ts';

// A source with every kind of object is copied; the copy's schema dump and per-table
// contents must equal the source's.
let source: TestDatabase;
const copies: string[] = [];

before(async () => {
  source = await createTestDatabase('fidelity_src');
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  await client.query(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'every-object.sql'), 'utf8'));
  await client.end();
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
      cliEnv({}),
    );
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    const final = lines.at(-1) as { type: string; tables: number; verified: string };
    assert.equal(final.type, 'result');
    assert.equal(final.verified, 'checksums');
    assert.ok(lines.some((l) => l.type === 'progress'));
    assert.equal(schemaDump(urlFor(name)), schemaDump(source.url));
    assert.deepEqual(await contentChecksums(urlFor(name)), await contentChecksums(source.url));
  });
}
