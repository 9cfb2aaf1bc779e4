import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { readSourceCatalog } from '../src/adapters/postgres/source-catalog.ts';
import { planCopy } from '../src/engine/copy-plan.ts';
import { verifyCopy } from '../src/engine/copy-verify.ts';
import { profileSchema } from '../src/domain/profile/profile-schema.ts';
import { type TestDatabase, createTestDatabase } from './helpers/test-database.ts';

// Verification must fail when the copy differs from the snapshot: a missing row, or a
// changed value with equal counts.
let source: TestDatabase;
let copy: TestDatabase;

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

before(async () => {
  [source, copy] = await Promise.all([createTestDatabase('verify_src'), createTestDatabase('verify_dst')]);
  for (const db of [source, copy]) {
    const client = await connect(db.url);
    await client.query("create table t (id int primary key, v text); insert into t select g, 'v' || g from generate_series(1, 100) g");
    await client.end();
  }
});

after(async () => {
  await Promise.all([source.drop(), copy.drop()]);
});

test('counts and checksums: equal passes, a changed value or a missing row fails', async () => {
  const [src, dst] = [await connect(source.url), await connect(copy.url)];
  try {
    const plan = planCopy(await readSourceCatalog(src), profileSchema.parse({ name: 'plain', version: 1 }), { jobs: 1, keepFrom: false, splitBytes: undefined, maskKey: 'a-test-mask-key-0123456789' });
    await verifyCopy(plan, dst, { snapshot: src, keepFrom: undefined }, true);

    await dst.query("update t set v = 'changed' where id = 7");
    await verifyCopy(plan, dst, { snapshot: src, keepFrom: undefined }, false);
    await assert.rejects(verifyCopy(plan, dst, { snapshot: src, keepFrom: undefined }, true), /public\.t: content checksum differs/);

    await dst.query('delete from t where id = 8');
    await assert.rejects(verifyCopy(plan, dst, { snapshot: src, keepFrom: undefined }, false), /public\.t: 99 rows, the snapshot had 100/);

    // The source's count is taken in the snapshot: a row the source gained is a mismatch too.
    await dst.query("insert into t values (8, 'v8')");
    await src.query("insert into t values (101, 'new')");
    await assert.rejects(verifyCopy(plan, dst, { snapshot: src, keepFrom: undefined }, false), /public\.t: 100 rows, the snapshot had 101/);
  } finally {
    await Promise.all([src.end(), dst.end()]);
  }
});
