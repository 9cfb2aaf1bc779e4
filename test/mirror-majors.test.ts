import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import type { MirrorStatus, Operation } from '../src/contract/index.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { type MajorServer, startMajorServer } from './helpers/major-server.ts';

// A mirror between two servers of different majors, neither of them dataalm's own: the
// source on PostgreSQL 13 (the oldest supported), the target on 18 (the newest). Logical
// replication, the seed, the masking triggers, the clone and the teardown all work across.
let demo: Demo;
let source: MajorServer;
let target: MajorServer;

const SCHEMA = `
  create table customer (id int primary key, email text not null, name text not null);
  create table orders (id int primary key, customer_id int not null references customer (id), total numeric(10, 2) not null);
  create table audit_note (at timestamptz not null default now(), note text not null);
  insert into customer select g, 'person' || g || '@shop.example', 'Person ' || g from generate_series(1, 200) g;
  insert into orders select g, 1 + g % 200, g * 1.5 from generate_series(1, 500) g;
  insert into audit_note (note) select 'note ' || g from generate_series(1, 20) g;`;

async function query<R extends pg.QueryResultRow>(url: string, sql: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

before(async () => {
  demo = await startDemo('mirror-majors');
  // The target's administrator chose to have files cloned (PostgreSQL 18; a plain copy on this file system).
  [source, target] = await Promise.all([startMajorServer(13), startMajorServer(18, ['file_copy_method=clone'])]);
  for (const [server, database] of [[source, 'shop_prod'], [target, 'shop_uat']] as const) {
    await query(server.url(), `create database ${database}`);
    for (const statement of SCHEMA.split(';').filter((s) => s.trim())) await query(server.url(database), statement);
  }
  const profile = path.join(demo.home, 'shop.yaml');
  fs.writeFileSync(profile, ['name: shop', 'version: 1', 'rules:', '  - action: mask', '    table: customer', '    columns:', '      email: { transformer: email }', ''].join('\n'));
  const add = (name: string, type: string, url: string) =>
    demo.cli(['env', 'add', name, '--type', type, '--tenant', 'shop.example', '--admin', 'admin@shop.example', '--app-db', url, '--profile', profile]);
  for (const result of [await add('shop-prod', 'production', source.url('shop_prod')), await add('shop-uat', 'sandbox', target.url('shop_uat'))]) {
    assert.equal(result.code, 0, result.stderr);
  }
});

after(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  await demo?.close();
});

test('PostgreSQL 13 → 18: the mirror replicates masked changes, a refresh clones it, another takes its spare, disabling leaves nothing on the source', async () => {
  const enabled = await demo.cli(['env', 'mirror', 'enable', 'shop-uat', '--source', 'shop-prod', '--json']);
  assert.equal(enabled.code, 0, enabled.stderr);
  const status = JSON.parse(enabled.stdout) as MirrorStatus;
  assert.equal(status.health, 'healthy');
  assert.deepEqual(status.tables.published, ['public.customer', 'public.orders']);
  assert.deepEqual(status.tables.refreshTime.map((t) => t.table), ['public.audit_note'], 'no primary key: copied at refresh time');

  // Changes after the seed, one transaction across both tables.
  await query(
    source.url('shop_prod'),
    `begin;
     insert into customer values (201, 'new.person@shop.example', 'New Person');
     insert into orders values (501, 201, 99.5);
     update customer set email = 'changed@shop.example' where id = 1;
     delete from orders where id = 2;
     update audit_note set note = 'edited' where note = 'note 1';
     delete from audit_note where note = 'note 2';
     commit`,
  );
  const refresh = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-uat', '--yes', '--json']);
  assert.equal(refresh.code, 0, refresh.stderr + refresh.stdout);
  const operation = JSON.parse(refresh.stdout) as Operation;
  assert.equal(operation.state, 'succeeded');
  assert.equal(operation.steps.find((s) => s.name === 'data')?.counters.method, 'mirror');
  const logs = await demo.cli(['op', 'logs', String(operation.id)]);
  assert.match(logs.stdout, /files copied by the file system's clone call/, logs.stdout);
  const uat = target.url('shop_uat');
  const [changed] = await query<{ email: string }>(uat, 'select email from customer where id = 1');
  assert.match(changed!.email, /@example\.invalid$/, 'the new e-mail arrived masked');
  const [added] = await query<{ email: string; name: string }>(uat, 'select email, name from customer where id = 201');
  assert.equal(added!.name, 'New Person');
  assert.notEqual(added!.email, 'new.person@shop.example');
  assert.deepEqual(await query(uat, 'select id from orders where id in (2, 501) order by id'), [{ id: 501 }]);
  assert.deepEqual(
    await query(uat, 'select count(*)::int as n from orders o where not exists (select 1 from customer c where c.id = o.customer_id)'),
    [{ n: 0 }],
    'every order has its customer',
  );
  const notes = (rows: { note: string }[]) => rows.map((r) => r.note).sort();
  assert.deepEqual(notes(await query(uat, 'select note from audit_note')), notes(await query(source.url('shop_prod'), 'select note from audit_note')));
  const leaked = await query(uat, "select count(*)::int as n from customer where email like '%@shop.example'");
  assert.deepEqual(leaked, [{ n: 0 }], 'no source e-mail in the sandbox');
  const machinery = await query(uat, "select (select count(*)::int from pg_namespace where nspname = 'dataalm_mirror') + (select count(*)::int from pg_trigger where tgname like 'dataalm%') as n");
  assert.deepEqual(machinery, [{ n: 0 }], "the sandbox carries none of the mirror's machinery");

  // A spare (PostgreSQL 13's slot copied, 18's replication origin advanced): the next refresh takes it.
  const spared = await demo.cli(['env', 'mirror', 'spare', 'shop-uat', '--json']);
  assert.equal(spared.code, 0, spared.stderr);
  assert.equal((JSON.parse(spared.stdout) as MirrorStatus).spare?.state, 'ready', spared.stdout);
  await query(source.url('shop_prod'), `begin; insert into customer values (202, 'second@shop.example', 'Second Person'); delete from orders where id = 3; commit`);
  const again = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-uat', '--yes', '--json']);
  assert.equal(again.code, 0, again.stderr + again.stdout);
  assert.equal((JSON.parse(again.stdout) as Operation).steps.find((s) => s.name === 'data')?.counters.fileCopy, 'spare');
  const [second] = await query<{ email: string }>(uat, 'select email from customer where id = 202');
  assert.match(second!.email, /@example\.invalid$/);
  assert.deepEqual(await query(uat, 'select id from orders where id in (2, 3, 501) order by id'), [{ id: 501 }]);
  // The next spare is made in the background: awaited before the mirror is disabled.
  for (const deadline = Date.now() + 120_000; ; ) {
    const shown = JSON.parse((await demo.cli(['env', 'mirror', 'status', 'shop-uat', '--json'])).stdout) as MirrorStatus;
    if (shown.spare?.state === 'ready') break;
    assert.ok(shown.spare?.state !== 'failed' && Date.now() < deadline, JSON.stringify(shown.spare));
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  const disabled = await demo.cli(['env', 'mirror', 'disable', 'shop-uat', '--json']);
  assert.equal(disabled.code, 0, disabled.stderr);
  assert.deepEqual(await query(source.url('shop_prod'), 'select slot_name from pg_replication_slots'), []);
  assert.deepEqual(await query(source.url('shop_prod'), 'select pubname from pg_publication'), []);
  assert.deepEqual(await query(target.url(), "select datname from pg_database where datname like '%mirror%'"), []);
});
