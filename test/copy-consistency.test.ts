import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { BIN, ROOT, cliEnv, startCopyUntilData } from './helpers/cli.ts';
import { type TestDatabase, createTestDatabase, dropDatabase, urlFor } from './helpers/test-database.ts';
import { waitFor } from './helpers/wait.ts';

// A writer changes the source while it is copied. Each writer transaction n moves money
// between accounts by a rule of n, appends event n, deletes event n-50 and sets tick to n,
// in tables that different workers copy at different times. The copy must be exactly the
// state after some transaction k: anything else means the tables came from different moments.
const ACCOUNTS = 20;
let source: TestDatabase;
let copyName: string;

const transfer = (n: number) => ({ from: n % ACCOUNTS, to: (n * 7 + 3) % ACCOUNTS, amount: (n % 97) + 1 });

before(async () => {
  source = await createTestDatabase('consistency_src');
  copyName = `${source.name}_copy`;
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  await client.query(`
    create table account (id int primary key, balance bigint not null);
    create table event (n bigint primary key, note text not null);
    create table tick (id int primary key, n bigint not null);
    create table ballast (id bigint primary key, payload text not null);
    insert into account select g, 10000 from generate_series(0, ${ACCOUNTS - 1}) g;
    insert into tick values (1, 0);
    -- Enough data that the copy takes a while, so the writer commits during it.
    insert into ballast select g, repeat(md5(g::text), 8) from generate_series(1, 400000) g;
  `);
  await client.end();
});

after(async () => {
  await source.drop();
  await dropDatabase(copyName);
});

test('a copy taken while a writer inserts, updates and deletes equals the source as of one moment', async () => {
  const writer = new pg.Client({ connectionString: source.url });
  await writer.connect();
  let n = 0;
  let writing = true;
  const writes = (async () => {
    while (writing) {
      n += 1;
      const t = transfer(n);
      await writer.query('begin');
      await writer.query('update account set balance = balance - $2 where id = $1', [t.from, t.amount]);
      await writer.query('update account set balance = balance + $2 where id = $1', [t.to, t.amount]);
      await writer.query('insert into event values ($1, $2)', [n, `transfer ${n}`]);
      await writer.query('delete from event where n = $1', [n - 50]);
      await writer.query('update tick set n = $1', [n]);
      await writer.query('commit');
    }
  })();
  await waitFor('20 transfers written before the copy starts', () => n >= 20, { intervalMs: 10 });
  const startedAt = n;
  const copy = spawn(process.execPath, [BIN, 'copy', '--from', source.url, '--to', urlFor(copyName), '--jobs', '3', '--split-tables-larger-than', '4MB'], {
    cwd: ROOT,
    env: cliEnv({ DATAALM_SECRET_KEY: 'copy-test-installation-key' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  copy.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => copy.once('exit', resolve));
  writing = false;
  await writes;
  await writer.end();
  assert.equal(code, 0, stderr);

  const client = new pg.Client({ connectionString: urlFor(copyName) });
  await client.connect();
  const k = Number((await client.query<{ n: string }>('select n from tick')).rows[0]!.n);
  const events = (await client.query<{ n: string }>('select n from event order by n')).rows.map((r) => Number(r.n));
  const balances = (await client.query<{ id: number; balance: string }>('select id, balance from account order by id')).rows.map((r) => Number(r.balance));
  const ballast = Number((await client.query<{ c: string }>('select count(*) as c from ballast')).rows[0]!.c);
  await client.end();

  assert.ok(k >= startedAt, 'the snapshot is taken after the writer started');
  assert.ok(n > k + 5, `the writer kept committing during the copy (copy at ${k}, writer reached ${n})`);
  const expectedEvents = Array.from({ length: Math.min(k, 50) }, (_, i) => k - Math.min(k, 50) + 1 + i);
  assert.deepEqual(events, expectedEvents, 'events are those of transactions up to k only');
  const expected = Array.from({ length: ACCOUNTS }, () => 10000);
  for (let i = 1; i <= k; i++) {
    const t = transfer(i);
    expected[t.from]! -= t.amount;
    expected[t.to]! += t.amount;
  }
  assert.deepEqual(balances, expected, 'balances are those after transaction k exactly');
  assert.equal(ballast, 400000);
});

test('an interrupted copy removes the half-made database and its temporary files', async () => {
  const name = `${source.name}_interrupted`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-interrupt-'));
  const { child: copy, exited } = await startCopyUntilData(
    ['--from', source.url, '--to', urlFor(name), '--jobs', '2'],
    cliEnv({ DATAALM_SECRET_KEY: 'copy-test-installation-key', TMPDIR: tmp }),
  );
  copy.kill('SIGINT');
  assert.equal(await exited, 130);
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  const left = await client.query('select 1 from pg_database where datname = $1', [name]);
  await client.end();
  assert.equal(left.rowCount, 0, 'the half-made copy is still there');
  assert.deepEqual(fs.readdirSync(tmp), [], 'the schema archive was left behind');
  fs.rmSync(tmp, { recursive: true, force: true });
});
