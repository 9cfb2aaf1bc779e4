import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cliEnv, runCli, startCopyUntilData } from './helpers/cli.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, queryRows, urlFor, runSql } from './helpers/test-database.ts';

// What a copy must never do quietly: lose rows to a TRUNCATE or to row-level security,
// or hand production's integration credentials to a sandbox.
const env = cliEnv({ DATAALM_SECRET_KEY: 'copy-test-installation-key' });
let source: TestDatabase;
const made: string[] = [];
const role = `dataalm_reader_${process.pid}`;

before(async () => {
  source = await createTestDatabase('safety_src');
  await runSql(
    source.url,
    `create table big (id bigint primary key, payload text not null);
     insert into big select g, repeat(md5(g::text), 8) from generate_series(1, 300000) g;
     create table note (id int primary key, owner_name text not null);
     insert into note values (1, 'a'), (2, 'b');
     create extension postgres_fdw;
     create server production foreign data wrapper postgres_fdw options (host '127.0.0.1', dbname 'erp');
     create user mapping for current_user server production options (user 'erp', password 'PRODSECRET');`,
  );
});

after(async () => {
  await source.drop();
  for (const name of made) await dropDatabase(name);
  await adminQuery(`drop role if exists ${role}`);
});

test('a TRUNCATE on the source waits for the copy, which keeps every row of its snapshot', async () => {
  const name = `${source.name}_truncate`;
  made.push(name);
  const { exited } = await startCopyUntilData(['--from', source.url, '--to', urlFor(name), '--jobs', '1'], env);
  await assert.rejects(runSql(source.url, "set lock_timeout = '300ms'; truncate big"), /lock timeout/);
  assert.equal(await exited, 0);
  assert.deepEqual(await queryRows(urlFor(name), 'select count(*)::int as n from big'), [{ n: 300000 }]);
});

test('row-level security never hides rows: a role that cannot bypass it gets an error, and no copy', async () => {
  await adminQuery(`create role ${role} login password 'reader-pw' createdb`);
  await adminQuery(`grant pg_read_all_data to ${role}`);
  // A source of its own: the reader may not create the other source's postgres_fdw.
  const rls = await createTestDatabase('safety_rls');
  made.push(rls.name);
  await runSql(
    rls.url,
    `create table note (id int primary key, owner_name text not null);
     insert into note values (1, 'a'), (2, 'b');
     alter table note enable row level security;
     create policy only_a on note using (owner_name = 'a');`,
  );
  const name = `${rls.name}_copy`;
  made.push(name);
  const url = (db: string) => {
    const u = new URL(urlFor(db));
    u.username = role;
    u.password = 'reader-pw';
    return u.toString();
  };
  const result = await runCli(['copy', '--from', url(rls.name), '--to', url(name)], env);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /row-level security/);
  assert.deepEqual(await queryRows(urlFor('postgres'), `select datname from pg_database where datname = '${name}'`), []);
});

test("production's user mappings (foreign-server credentials) are not copied, and the copy says so", async () => {
  const name = `${source.name}_fdw`;
  made.push(name);
  const result = await runCli(['copy', '--from', source.url, '--to', urlFor(name), '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  const final = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { warnings: string[] };
  assert.deepEqual(final.warnings, ['1 user mappings (credentials of foreign servers) were not copied']);
  assert.deepEqual(await queryRows(urlFor(name), 'select count(*)::int as n from pg_user_mappings'), [{ n: 0 }]);
  assert.deepEqual(await queryRows(urlFor(name), 'select srvname from pg_foreign_server'), [{ srvname: 'production' }]);
  assert.deepEqual(await queryRows(urlFor(name), 'select count(*)::int as n from note'), [{ n: 2 }]);
});
