import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cliEnv, runCli } from './helpers/cli.ts';
import { type TestDatabase, createTestDatabase, dropDatabase, queryRows, runSql, urlFor } from './helpers/test-database.ts';

// A masked table costs more per byte than a plain one: the copy plan counts it as bigger, so
// it is split across workers where a plain table of the same size is copied whole.
const env = cliEnv({ DATAALM_SECRET_KEY: 'copy-split-test-installation-key' });
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-copy-split-'));
let source: TestDatabase;
const made: string[] = [];

// Two tables of the same rows, about 160 pages (1.3 MB) each: below 1.5 × a 1 MB part, so a
// plain copy keeps each whole; a hash on every row makes one of them cost more than that.
const ROWS = 11_700;

before(async () => {
  source = await createTestDatabase('copy_split');
  await runSql(
    source.url,
    `CREATE TABLE ledger (id bigint PRIMARY KEY, code text NOT NULL, amount numeric(12,2));
     CREATE TABLE journal (id bigint PRIMARY KEY, code text NOT NULL, amount numeric(12,2));
     CREATE INDEX ledger_code_idx ON ledger (code);
     INSERT INTO ledger SELECT g, repeat(md5(g::text), 2), g * 1.5 FROM generate_series(1, ${ROWS}) g;
     INSERT INTO journal SELECT * FROM ledger;`,
  );
});

after(async () => {
  await source.drop();
  for (const name of made) await dropDatabase(name);
  fs.rmSync(folder, { recursive: true, force: true });
});

interface TableEvent {
  type: 'table';
  table: string;
  rows: number;
  parts: number;
}

test('a table masked on every row is copied in parts by several workers; a plain table of the same size stays whole', async () => {
  const profile = path.join(folder, 'hash-ledger.yaml');
  fs.writeFileSync(profile, 'name: hash-ledger\nversion: 1\nrules:\n  - action: mask\n    table: ledger\n    columns:\n      code: { transformer: hash }\n');
  const pages = await queryRows(source.url, `SELECT pg_relation_size(oid) / 8192 AS pages FROM pg_class WHERE relname IN ('ledger', 'journal')`);
  assert.equal(pages.length, 2);
  assert.equal(Number(pages[0]!.pages), Number(pages[1]!.pages), 'both tables have the same size');
  const name = `${source.name}_copy`;
  made.push(name);
  const result = await runCli(
    ['copy', '--from', source.url, '--to', urlFor(name), '--jobs', '2', '--split-tables-larger-than', '1MB', '--profile', profile, '--json'],
    env,
  );
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const events = result.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string })
    .filter((e): e is TableEvent => e.type === 'table');
  const ledger = events.find((e) => e.table === 'public.ledger')!;
  const journal = events.find((e) => e.table === 'public.journal')!;
  assert.ok(ledger.parts >= 2, `the masked table was copied in ${ledger.parts} part(s)`);
  assert.equal(journal.parts, 1);
  assert.equal(ledger.rows, ROWS);
  assert.equal(journal.rows, ROWS);
  // Every part's rows are in, masked, once each.
  const copied = await queryRows(urlFor(name), `SELECT count(*)::int AS n, count(DISTINCT id)::int AS ids, bool_and(code ~ '^[0-9a-f]{64}$') AS hashed FROM ledger`);
  assert.deepEqual(copied[0], { n: ROWS, ids: ROWS, hashed: true });
});
