import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { cliEnv, runCli } from './helpers/cli.ts';
import { type TestDatabase, adminQuery, createTestDatabase, testServerUrl } from './helpers/test-database.ts';

// The CLI against a control database on a separately started server (DATAALM_DATABASE_URL
// mode), registering environments whose databases live on that server too.
const PASSWORD = 'S3cret-env-Pa55word';
let control: TestDatabase;
let appDb: TestDatabase;
let prodDb: TestDatabase;
let home: string;
let env: NodeJS.ProcessEnv;
let role: string;

function urlWithPassword(database: string): string {
  const url = new URL(testServerUrl());
  url.username = role;
  url.password = PASSWORD;
  url.pathname = `/${database}`;
  return url.toString();
}

function addArgs(name: string, overrides: Record<string, string | null> = {}): string[] {
  const flags: Record<string, string | null> = {
    '--type': 'sandbox',
    '--tenant': 'contoso.com',
    '--admin': 'admin@contoso.com',
    '--app-db': urlWithPassword(appDb.name),
    '--release': '10.0.38',
    '--platform-update': '62',
    '--reporting-version': '10.0.38.3',
    ...overrides,
  };
  return ['env', 'add', name, ...Object.entries(flags).flatMap(([k, v]) => (v === null ? [] : [k, v]))];
}

async function listNames(): Promise<string[]> {
  const result = await runCli(['env', 'list', '--json'], env);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { name: string }[]).map((e) => e.name);
}

before(async () => {
  control = await createTestDatabase('cli_control');
  appDb = await createTestDatabase('cli_app');
  prodDb = await createTestDatabase('cli_prod');
  role = `dataalm_test_${path.basename(control.name).slice(-8)}`;
  await adminQuery(`create role ${pg.escapeIdentifier(role)} login password ${pg.escapeLiteral(PASSWORD)}`);
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-cli-'));
  env = cliEnv({ DATAALM_HOME: home, DATAALM_DATABASE_URL: control.url });
});

after(async () => {
  await Promise.all([control.drop(), appDb.drop(), prodDb.drop()]);
  await adminQuery(`drop role if exists ${pg.escapeIdentifier(role)}`);
  fs.rmSync(home, { recursive: true, force: true });
});

describe('dataalm env on DATAALM_DATABASE_URL', () => {
  test('add, list, show: every listed field, no password anywhere in the output', async () => {
    const added = await runCli([...addArgs('uat-one', { '--storage': home, '--sync-command': 'true' }), '--json'], env);
    assert.equal(added.code, 0, added.stderr);
    const prod = await runCli(addArgs('prod-one', { '--type': 'production', '--app-db': urlWithPassword(prodDb.name), '--retail': '' }).filter(Boolean), env);
    assert.equal(prod.code, 0, prod.stderr);

    const list = await runCli(['env', 'list', '--json'], env);
    assert.equal(list.code, 0, list.stderr);
    const environments = JSON.parse(list.stdout) as Record<string, unknown>[];
    const uat = environments.find((e) => e.name === 'uat-one')!;
    assert.deepEqual(
      {
        type: uat.type,
        tenant: uat.tenant,
        administrator: uat.administrator,
        applicationRelease: uat.applicationRelease,
        platformUpdate: uat.platformUpdate,
        financialReportingVersion: uat.financialReportingVersion,
        retail: uat.retail,
        state: uat.state,
      },
      {
        type: 'sandbox',
        tenant: 'contoso.com',
        administrator: 'admin@contoso.com',
        applicationRelease: '10.0.38',
        platformUpdate: 62,
        financialReportingVersion: '10.0.38.3',
        retail: false,
        state: 'deployed',
      },
    );
    assert.deepEqual((uat.databases as { role: string; database: string }[]).map((d) => [d.role, d.database]), [['application', appDb.name]]);
    assert.equal(environments.find((e) => e.name === 'prod-one')!.retail, true);

    const human = await runCli(['env', 'list'], env);
    assert.match(human.stdout, /uat-one\s+sandbox\s+contoso\.com\s+10\.0\.38\s+62\s+10\.0\.38\.3\s+deployed/);

    for (const args of [['env', 'show', 'uat-one'], ['env', 'show', 'uat-one', '--json'], ['env', 'list'], ['env', 'list', '--json']]) {
      const result = await runCli(args, env);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(!`${result.stdout}${result.stderr}${added.stdout}${added.stderr}`.includes(PASSWORD), `password printed by ${args.join(' ')}`);
    }
    const shown = JSON.parse((await runCli(['env', 'show', 'uat-one', '--json'], env)).stdout) as { history: { event: string }[] };
    assert.deepEqual(shown.history.map((h) => h.event), ['registered']);
  });

  test('no password in plain text in the control database; the secret is sealed', async () => {
    const client = new pg.Client({ connectionString: control.url });
    await client.connect();
    try {
      const tables = await client.query<{ t: string }>(`select format('%I.%I', schemaname, tablename) as t from pg_tables where schemaname = 'dataalm'`);
      for (const { t } of tables.rows) {
        const rows = await client.query<{ row: string }>(`select row_to_json(x)::text as row from ${t} x`);
        for (const { row } of rows.rows) assert.ok(!row.includes(PASSWORD), `password in ${t}`);
      }
      const secrets = await client.query<{ secret: Buffer }>('select secret from dataalm.environment_databases');
      assert.ok(secrets.rows.length >= 2);
      for (const { secret } of secrets.rows) assert.ok(!secret.toString('latin1').includes(PASSWORD));
    } finally {
      await client.end();
    }
  });

  test('credentials: shown for a sandbox, refused for production', async () => {
    const sandbox = await runCli(['env', 'credentials', 'uat-one', '--json'], env);
    assert.equal(sandbox.code, 0, sandbox.stderr);
    assert.equal((JSON.parse(sandbox.stdout) as { databases: { application: string } }).databases.application, urlWithPassword(appDb.name));

    const production = await runCli(['env', 'credentials', 'prod-one'], env);
    assert.notEqual(production.code, 0);
    assert.match(production.stderr, /production environment "prod-one" are never shown/);
    assert.ok(!production.stdout.includes(PASSWORD) && !production.stderr.includes(PASSWORD));
  });

  // Built lazily: the databases exist only once `before` has run.
  const badInputs: [string, () => string[], RegExp][] = [
    ['invalid URL', () => addArgs('bad-url', { '--app-db': 'not a url' }), /--app-db.*not a valid URL/],
    ['wrong URL scheme', () => addArgs('bad-scheme', { '--app-db': 'mysql://u:p@h/db' }), /--app-db.*postgresql:\/\//],
    ['unknown type', () => addArgs('bad-type', { '--type': 'staging' }), /type \(--type\): must be "production" or "sandbox"/],
    ['malformed release', () => addArgs('bad-release', { '--release': '10.0' }), /applicationRelease \(--release\): must look like X\.Y\.Z/],
    ['malformed reporting version', () => addArgs('bad-rv', { '--reporting-version': '10.0.38' }), /--reporting-version.*X\.Y\.Z\.W/],
    ['platform update not a number', () => addArgs('bad-pu', { '--platform-update': 'sixty' }), /platformUpdate \(--platform-update\)/],
    ['admin outside the tenant', () => addArgs('bad-admin', { '--admin': 'admin@fabrikam.com' }), /administrator \(--admin\): must belong to the tenant contoso\.com/],
    ['bad name', () => addArgs('Bad_Name'), /name: must be 1-63 lower-case/],
    ['missing required flag', () => addArgs('no-tenant', { '--tenant': null }), /required option '--tenant <domain>' not specified/],
    ['unknown flag', () => [...addArgs('unknown-flag'), '--colour', 'red'], /unknown option '--colour'/],
    ['duplicate name', () => addArgs('uat-one'), /name: environment "uat-one" already exists/],
    ['unreachable database', () => addArgs('unreachable', { '--app-db': 'postgresql://u:pw@127.0.0.1:1/db' }), /--app-db.*cannot connect.*127\.0\.0\.1:1.*connection refused/],
    ['wrong password', () => addArgs('wrong-pw', { '--app-db': urlWithPassword(appDb.name).replace(PASSWORD, 'nope') }), /--app-db.*password authentication failed/],
    ['missing database', () => addArgs('missing-db', { '--app-db': urlWithPassword('no_such_database_x') }), /--app-db.*database does not exist/],
    ['unknown profile', () => addArgs('bad-profile', { '--profile': 'no-such-profile' }), /profile \(--profile\): "no-such-profile" is neither a built-in profile/],
    ['storage not a folder', () => addArgs('bad-storage', { '--storage': '/nonexistent/folder' }), /documentStorage \(--storage\): .* is not a folder/],
  ];
  for (const [label, args, expected] of badInputs) {
    test(`bad input: ${label} → non-zero exit, one line naming the field, nothing written`, async () => {
      const before = await listNames();
      const result = await runCli(args(), env);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, expected);
      const errorLines = result.stderr.split('\n').filter((l) => /error/i.test(l));
      assert.equal(errorLines.length, 1, result.stderr);
      assert.ok(!result.stderr.includes(PASSWORD));
      assert.deepEqual(await listNames(), before);
    });
  }

  test('--json errors are one JSON object with a stable code', async () => {
    const result = await runCli([...addArgs('bad-type-json', { '--type': 'staging' }), '--json'], env);
    assert.equal(result.code, 2);
    assert.deepEqual(JSON.parse(result.stdout).error.code, 'INVALID_INPUT');
    const missing = await runCli(['env', 'show', 'nope', '--json'], env);
    assert.equal(missing.code, 3);
    assert.equal(JSON.parse(missing.stdout).error.code, 'NOT_FOUND');
  });

  test('remove forgets the environment and leaves its database alone', async () => {
    const removed = await runCli(['env', 'remove', 'prod-one'], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!(await listNames()).includes('prod-one'));
    const exists = await adminQuery('select 1 from pg_database where datname = $1', [prodDb.name]);
    assert.equal(exists.rowCount, 1);
    const again = await runCli(['env', 'remove', 'prod-one'], env);
    assert.equal(again.code, 3);
  });

  test('a different secret key is refused at once', async () => {
    const result = await runCli(['env', 'list'], { ...env, DATAALM_SECRET_KEY: 'another-key-of-enough-length' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /secret key differs/);
  });

  test('an unreachable control database gives one clear line', async () => {
    const result = await runCli(['env', 'list'], { ...env, DATAALM_DATABASE_URL: 'postgresql://u:hidden-pw@127.0.0.1:1/x' });
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /DATAALM_DATABASE_URL: cannot connect .*connection refused/);
    assert.ok(!result.stderr.includes('hidden-pw'));
  });

  test('demo on a server where the login may not create roles: refused up front, nothing created', async () => {
    const own = `t_demo_${role.slice(-8)}`;
    await adminQuery(`create database ${pg.escapeIdentifier(own)} owner ${pg.escapeIdentifier(role)}`);
    try {
      const result = await runCli(['demo', '--scale', '0.001'], { ...env, DATAALM_DATABASE_URL: urlWithPassword(own), DATAALM_SECRET_KEY: 'a-key-for-this-control-db' });
      assert.equal(result.code, 5, result.stderr);
      assert.match(result.stderr, new RegExp(`"${role}" may not \\(it needs CREATEROLE and CREATEDB\\)`));
      const created = await adminQuery("select datname from pg_database where datname like 'contoso%' or datname like 'fabrikam%'");
      assert.deepEqual(created.rows, []);
    } finally {
      await adminQuery(`drop database if exists ${pg.escapeIdentifier(own)} with (force)`);
    }
  });

  test('an unknown setting is refused by name', async () => {
    const result = await runCli(['env', 'list'], { ...env, DATAALM_PROT: '1' });
    assert.equal(result.code, 8);
    assert.match(result.stderr, /unknown setting DATAALM_PROT/);
  });
});
