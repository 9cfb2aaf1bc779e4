import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { cliEnv, runCli } from './helpers/cli.ts';
import { contentChecksums } from './helpers/compare-databases.ts';
import { type Demo, addSandbox, startDemo } from './helpers/demo.ts';
import { readSourceObjects } from '../src/adapters/postgres/copy-privileges.ts';
import { type CopyNeedsFacts, copyNeedRefusals, copyRoles, refreshRoleMap, sample } from '../src/domain/preflight/copy-needs.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, queryRows, urlFor, runSql } from './helpers/test-database.ts';

// Copies on a server where nobody is superuser (as on managed services): the copy's needs
// are checked before anything is created, and a copy by roles that have them is faithful.
const SUFFIX = randomBytes(3).toString('hex');
const PASSWORD = 'non-super-password';
/** Owns the source database and its objects. */
const OWNER = `ns_owner_${SUFFIX}`;
/** May create databases and is a member of OWNER: it may give the copy's objects to OWNER. */
const COPIER = `ns_copier_${SUFFIX}`;
/** May create databases, is no member of OWNER. */
const OUTSIDER = `ns_outsider_${SUFFIX}`;
/** May read some of the source, not all. */
const READER = `ns_reader_${SUFFIX}`;
const ROLES = [COPIER, OUTSIDER, READER, OWNER];

const env = cliEnv({ DATAALM_SECRET_KEY: 'non-superuser-installation-key' });
let source: TestDatabase;
let triggered: TestDatabase;
const made: string[] = [];

/** A URL of the test server's database as `role`. */
function as(role: string, database: string): string {
  const url = new URL(urlFor(database));
  url.username = role;
  url.password = PASSWORD;
  return url.toString();
}

async function databaseExists(name: string): Promise<boolean> {
  return (await adminQuery('select 1 from pg_database where datname = $1', [name])).rowCount !== 0;
}

type Refusal = { refused: true; reasons: { code: string; message: string; remedy: string }[] };

before(async () => {
  await adminQuery(`create role ${OWNER} login password '${PASSWORD}'`);
  await adminQuery(`create role ${COPIER} login createdb password '${PASSWORD}' in role ${OWNER}`);
  await adminQuery(`create role ${OUTSIDER} login createdb password '${PASSWORD}'`);
  await adminQuery(`create role ${READER} login createdb password '${PASSWORD}'`);
  source = await createTestDatabase('nonsuper_src');
  await adminQuery(`alter database ${source.name} owner to ${OWNER}`);
  await runSql(
    as(OWNER, source.name),
    `create schema app;
     create table app.customer (id serial primary key, name text not null, region text not null);
     insert into app.customer (name, region) select 'customer ' || i, case when i % 3 = 0 then 'us' else 'eu' end from generate_series(1, 200) i;
     alter table app.customer enable row level security;
     create policy eu_only on app.customer using (region = 'eu');
     create table app.secret (id int primary key, note text);
     insert into app.secret values (1, 'only the owner reads this');
     create sequence app.ticket start 100;
     select nextval('app.ticket'), nextval('app.ticket');
     create function app.greet(who text) returns text language sql immutable as $$ select 'hello ' || who $$;
     create view app.customer_names as select id, app.greet(name) as greeting from app.customer;
     grant usage on schema app to ${READER};
     grant select on app.customer, app.customer_names to ${READER};
     grant select on sequence app.ticket, app.customer_id_seq to ${READER};`,
  );
  // An event trigger only a superuser can make (and re-make in a copy).
  triggered = await createTestDatabase('nonsuper_evt');
  await runSql(
    triggered.url,
    `create function public.note_ddl() returns event_trigger language plpgsql as $$ begin raise notice 'ddl'; end $$;
     create event trigger note_ddl_${SUFFIX} on ddl_command_end execute function public.note_ddl();
     create table public.plain (id int primary key);
     create function public.absolute(int) returns int language internal immutable strict as 'int4abs';
     create function public.same(int) returns int language sql immutable leakproof as 'select $1';
     create type public.tiny;
     create function public.tiny_in(cstring) returns public.tiny language internal immutable strict as 'int4in';
     create function public.tiny_out(public.tiny) returns cstring language internal immutable strict as 'int4out';
     create type public.tiny (input = public.tiny_in, output = public.tiny_out, like = int4);
     create cast (public.tiny as int4) without function;
     create operator family public.tiny_ops using btree;
     create text search template public.simple_copy (init = dsimple_init, lexize = dsimple_lexize);
     create foreign data wrapper bare_${SUFFIX};
     create access method heap_too_${SUFFIX} type table handler heap_tableam_handler;
     create publication everything_${SUFFIX} for all tables;
     create publication schema_wide_${SUFFIX} for tables in schema public;`,
  );
});

after(async () => {
  for (const name of made) await dropDatabase(name);
  await source?.drop();
  await triggered?.drop();
  for (const role of ROLES) await adminQuery(`drop role if exists ${role}`);
});

test('a copy by a non-superuser member of the owner role is faithful: contents, sequences and the policy', async () => {
  const name = `${source.name}_copy`;
  made.push(name);
  const result = await runCli(['copy', '--from', as(OWNER, source.name), '--to', as(COPIER, name), '--verify', 'checksums', '--json'], env);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.deepEqual(await contentChecksums(urlFor(name)), await contentChecksums(source.url));
  assert.deepEqual(
    await queryRows(urlFor(name), `select count(*)::int as n from pg_policy where polname = 'eu_only'`),
    [{ n: 1 }],
    'the policy is copied',
  );
});

test("the copy's objects belong to the source's roles (owners copied)", async () => {
  // Depends on the schema restore copying owners: until it does, the copier owns everything.
  const name = `${source.name}_copy`;
  const owners = `select c.relkind::text as kind, format('%I.%I', n.nspname, c.relname) as name, c.relowner::regrole::text as owner
                    from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'app'
                  union all select 'f', p.oid::regprocedure::text, p.proowner::regrole::text from pg_proc p where p.pronamespace = 'app'::regnamespace
                  union all select 'n', nspname, nspowner::regrole::text from pg_namespace where nspname = 'app'
                  order by 1, 2`;
  const copied = await queryRows(urlFor(name), owners);
  assert.ok(copied.length > 5);
  assert.deepEqual(copied, await queryRows(source.url, owners));
});

test('a target user that is not a member of the owner role is refused before anything is created, naming the role', async () => {
  const name = `${source.name}_outsider`;
  made.push(name);
  const result = await runCli(['copy', '--from', as(OWNER, source.name), '--to', as(OUTSIDER, name), '--json'], env);
  assert.equal(result.code, 12, result.stderr + result.stdout);
  const refusal = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Refusal;
  assert.equal(refusal.refused, true);
  const reason = refusal.reasons.find((r) => r.code === 'COPY_PRIVILEGES' && r.message.includes(`"${OUTSIDER}" is not a member`));
  assert.ok(reason, JSON.stringify(refusal.reasons));
  assert.match(reason.message, new RegExp(OWNER));
  assert.match(reason.remedy, new RegExp(`GRANT "${OWNER}" TO "${OUTSIDER}"`));
  assert.equal(await databaseExists(name), false, 'nothing was created');
});

test('a source user without SELECT on a table (and under row-level security) is refused, naming the table', async () => {
  const name = `${source.name}_reader`;
  made.push(name);
  const result = await runCli(['copy', '--from', as(READER, source.name), '--to', as(COPIER, name), '--json'], env);
  assert.equal(result.code, 12, result.stderr + result.stdout);
  const refusal = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Refusal;
  const select = refusal.reasons.find((r) => r.code === 'COPY_PRIVILEGES' && r.message.includes('SELECT'));
  assert.ok(select, JSON.stringify(refusal.reasons));
  assert.match(select.message, new RegExp(`"${READER}" may not read \\(SELECT\\) table\\(s\\) the copy reads on .*: app\\.secret$`));
  const rls = refusal.reasons.find((r) => r.message.includes('row-level security'));
  assert.ok(rls, 'the policy on app.customer would hide rows from the reader');
  assert.match(rls.message, /app\.customer/);
  assert.equal(await databaseExists(name), false, 'nothing was created');
});

test('an event trigger in the source and a non-superuser target: COPY_UNSUPPORTED naming it, nothing created', async () => {
  const name = `${triggered.name}_copy`;
  made.push(name);
  const result = await runCli(['copy', '--from', triggered.url, '--to', as(COPIER, name), '--json'], env);
  assert.equal(result.code, 12, result.stderr + result.stdout);
  const refusal = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Refusal;
  const unsupported = refusal.reasons.find((r) => r.code === 'COPY_UNSUPPORTED');
  assert.ok(unsupported, JSON.stringify(refusal.reasons));
  assert.match(unsupported.message, /and \d+ more \(\d+ in all\)/, 'a long list is cut short');
  // Every kind only a superuser creates is found (the message shows the first few).
  const client = new pg.Client({ connectionString: triggered.url });
  await client.connect();
  const objects = await readSourceObjects(client).finally(() => client.end());
  for (const object of [
    `event trigger note_ddl_${SUFFIX}`,
    'function absolute(integer) in language internal',
    'function tiny_in(cstring) in language internal',
    'leakproof function same(integer)',
    'base type tiny',
    'binary-coercible cast (tiny AS integer)',
    'operator family public.tiny_ops',
    'text search template public.simple_copy',
    `foreign-data wrapper bare_${SUFFIX}`,
    `access method heap_too_${SUFFIX}`,
    `publication everything_${SUFFIX} (FOR ALL TABLES)`,
    `publication schema_wide_${SUFFIX} (FOR TABLES IN SCHEMA)`,
  ]) {
    assert.ok(objects.superuserOnly.includes(object), `${object} is not in ${JSON.stringify(objects.superuserOnly)}`);
  }
  assert.match(unsupported.message, new RegExp(`event trigger note_ddl_${SUFFIX}`));
  assert.equal(await databaseExists(name), false, 'nothing was created');
  // The superuser copies it.
  made.push(`${name}_super`);
  const allowed = await runCli(['copy', '--from', triggered.url, '--to', urlFor(`${name}_super`)], env);
  assert.equal(allowed.code, 0, allowed.stderr);
});

describe('a refresh where both environments connect as non-superusers', () => {
  let demo: Demo;
  const SOURCE_ROLE = 'ns_refresh_source';
  const TARGET_ROLE = 'ns_refresh_target';

  before(async () => {
    demo = await startDemo('nonsuper');
    // The demo server is this file's own: fixed role names do not collide with other files.
    await demo.query('postgres', `create role ${SOURCE_ROLE} login createdb password '${PASSWORD}'`);
    await demo.query('postgres', `create role ${TARGET_ROLE} login createdb password '${PASSWORD}'`);
    await addSandbox(demo, 'ns-source', { role: SOURCE_ROLE, password: PASSWORD });
    await addSandbox(demo, 'ns-target', { role: TARGET_ROLE, password: PASSWORD });
  });
  after(async () => {
    await demo?.close();
  });

  test("the preview lists the roles (the source's user becomes the target's), and the refresh succeeds", async () => {
    const owners = `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace
                     where n.nspname = 'public' and c.relowner <> (select oid from pg_roles where rolname = $1)`;
    assert.deepEqual(await demo.query('ns_source_app', owners, [SOURCE_ROLE]), [{ n: 0 }], "the source's user owns its objects");
    const preview = await demo.cli(['refresh', '--source', 'ns-source', '--target', 'ns-target', '--dry-run', '--json']);
    assert.equal(preview.code, 0, preview.stderr + preview.stdout);
    const body = JSON.parse(preview.stdout) as { refused: boolean; roles: { source: string; target: string; exists: boolean }[] };
    assert.equal(body.refused, false);
    assert.ok(body.roles.some((r) => r.source === SOURCE_ROLE && r.target === TARGET_ROLE && r.exists), JSON.stringify(body.roles));
    const text = await demo.cli(['refresh', '--source', 'ns-source', '--target', 'ns-target', '--dry-run']);
    assert.match(text.stdout, new RegExp(`${SOURCE_ROLE} → ${TARGET_ROLE}`));

    const result = await demo.cli(['refresh', '--source', 'ns-source', '--target', 'ns-target', '--yes', '--json']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const operation = JSON.parse(result.stdout) as { state: string; error?: unknown };
    assert.equal(operation.state, 'succeeded', JSON.stringify(operation.error));
    // The sandbox's own user owns the refreshed copy and what is in it.
    assert.deepEqual(await demo.query('ns_target_app', owners, [TARGET_ROLE]), [{ n: 0 }]);
    const databaseOwner = `select pg_get_userbyid(datdba) as owner from pg_database where datname = current_database()`;
    assert.deepEqual(await demo.query('ns_target_app', databaseOwner), [{ owner: TARGET_ROLE }]);
  });

  test('a target user that may not act as a role the source names is refused at preview, naming the role', async () => {
    await demo.query('ns_source_app', `create role ns_refresh_other nologin`);
    try {
      await demo.query('ns_source_app', `grant ns_refresh_other to ${SOURCE_ROLE}`);
      const client = new pg.Client({ connectionString: demo.url('ns_source_app').replace(/\/\/[^@]*@/, `//${SOURCE_ROLE}:${PASSWORD}@`) });
      await client.connect();
      try {
        // The new owner must have CREATE on the table's schema: a schema of its own.
        await client.query('create schema other_owned authorization ns_refresh_other; create table other_owned.t (id int primary key)');
      } finally {
        await client.end();
      }
      const preview = await demo.cli(['refresh', '--source', 'ns-source', '--target', 'ns-target', '--dry-run', '--json']);
      assert.equal(preview.code, 12, preview.stderr + preview.stdout);
      const body = JSON.parse(preview.stdout) as { reasons: { code: string; message: string }[]; roles: { source: string; target: string }[] };
      assert.ok(body.reasons.some((r) => r.code === 'COPY_PRIVILEGES' && r.message.includes('ns_refresh_other')), JSON.stringify(body.reasons));
      assert.ok(body.roles.some((r) => r.source === 'ns_refresh_other' && r.target === 'ns_refresh_other'));
    } finally {
      await demo.query('ns_source_app', 'drop schema if exists other_owned cascade');
      await demo.query('ns_source_app', 'drop role ns_refresh_other');
    }
  });
});

describe('the judgement of a copy\'s needs, from facts', () => {
  const facts = (change: Partial<CopyNeedsFacts> = {}): CopyNeedsFacts => ({
    source: {
      user: 'reader', superuser: false, unreadableTables: [], unreadableSequences: [], schemasWithoutUsage: [], rowSecurityTables: [], unreadableLargeObjects: [],
    },
    objects: { roles: [{ role: 'app', uses: ['owner'] }, { role: 'viewer', uses: ['grantee'] }], extensions: [{ name: 'citext', version: '1.6' }], superuserOnly: [], forcedRowSecurityTables: [] },
    target: {
      user: 'copier', superuser: false, createDatabases: true, createRoles: false, bypassRls: false, serviceAdministrator: false,
      roles: [{ role: 'app', exists: true, member: true, inherits: true }, { role: 'viewer', exists: true, member: false, inherits: false }],
      extensions: [{ name: 'citext', available: true, trusted: true }],
    },
    roleMap: {},
    missingRoles: 'refuse',
    sourceName: 'prod:5432/app',
    targetName: 'sandbox:5432',
    ...change,
  });

  test('users who have what the copy needs: no reason; a grantee needs no membership', () => {
    assert.deepEqual(copyNeedRefusals(facts()), []);
  });

  test('each missing need is its own reason with its code, in the order a person fixes them', () => {
    const f = facts();
    const reasons = copyNeedRefusals({
      ...f,
      source: { ...f.source, unreadableTables: ['a.t1', 'a.t2', 'a.t3', 'a.t4', 'a.t5', 'a.t6', 'a.t7'], rowSecurityTables: ['a.p'] },
      objects: { ...f.objects, superuserOnly: ['event trigger e'], forcedRowSecurityTables: ['a.f'], extensions: [{ name: 'citext', version: '1.6' }, { name: 'postgis', version: '3.4.0' }] },
      target: { ...f.target, createDatabases: false, roles: [{ role: 'app', exists: true, member: true, inherits: false }], extensions: [{ name: 'citext', available: true, trusted: false }] },
    });
    assert.deepEqual(reasons.map((r) => r.code), [
      'COPY_PRIVILEGES', 'COPY_PRIVILEGES', 'COPY_PRIVILEGES', 'ROLES_MISSING', 'COPY_PRIVILEGES', 'COPY_PRIVILEGES', 'COPY_UNSUPPORTED', 'COPY_PRIVILEGES', 'COPY_UNSUPPORTED',
    ]);
    assert.match(reasons[0]!.message, /a\.t1, a\.t2, a\.t3, a\.t4, a\.t5 and 2 more \(7 in all\)$/);
    assert.match(reasons[1]!.message, /row-level security .*a\.p/);
    assert.match(reasons[2]!.message, /CREATEDB/);
    assert.match(reasons[3]!.message, /viewer/, 'the grantee does not exist on the target');
    assert.match(reasons[4]!.message, /with SET and INHERIT.*: app$/, 'an owner whose privileges the copier does not inherit');
    assert.match(reasons[5]!.message, /FORCE ROW LEVEL SECURITY.*a\.f/);
    assert.match(reasons[6]!.message, /postgis 3\.4\.0/);
    assert.match(reasons[7]!.message, /not trusted.*citext/);
    assert.match(reasons[8]!.message, /event trigger e/);
  });

  test('superusers need nothing of this; missing roles follow the profile\'s policy', () => {
    const f = facts();
    assert.deepEqual(copyNeedRefusals({ ...f, source: { ...f.source, superuser: true, unreadableTables: ['x'] }, target: { ...f.target, superuser: true, createDatabases: false, roles: [{ role: 'app', exists: true, member: false, inherits: false }, { role: 'viewer', exists: true, member: false, inherits: false }] } }), []);
    const gone = { ...f.target, roles: [{ role: 'app', exists: false, member: false, inherits: false }, { role: 'viewer', exists: true, member: false, inherits: false }] };
    assert.deepEqual(copyNeedRefusals({ ...f, target: gone }).map((r) => r.code), ['ROLES_MISSING']);
    assert.deepEqual(copyNeedRefusals({ ...f, target: gone, missingRoles: 'target-user' }), []);
    assert.match(copyNeedRefusals({ ...f, target: gone, missingRoles: 'create' })[0]!.message, /CREATEROLE.*: app$/);
    assert.deepEqual(copyNeedRefusals({ ...f, target: { ...gone, createRoles: true }, missingRoles: 'create' }), []);
  });

  test('the role map names the target roles; a refresh maps the source environment\'s user unless the profile does', () => {
    const f = facts({ roleMap: { app: 'sandbox_app' } });
    const target = { ...f.target, roles: [{ role: 'sandbox_app', exists: true, member: true, inherits: true }, { role: 'viewer', exists: false, member: false, inherits: false }] };
    assert.deepEqual(copyRoles({ ...f, target }), [
      { source: 'app', target: 'sandbox_app', exists: true },
      { source: 'viewer', target: 'viewer', exists: false },
    ]);
    assert.deepEqual(refreshRoleMap({}, 'prod_user', 'uat_user'), { prod_user: 'uat_user' });
    assert.deepEqual(refreshRoleMap({ prod_user: 'x' }, 'prod_user', 'uat_user'), { prod_user: 'x' });
    assert.equal(sample(['a', 'b']), 'a, b');
  });
});
