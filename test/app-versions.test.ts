import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type Environment } from '../src/domain/environment.ts';
import { parseNewEnvironment } from '../src/domain/environment-input.ts';
import { judgeApply } from '../src/domain/asset.ts';
import { type RefreshFacts, refreshRefusals } from '../src/domain/preflight/refresh-preflight.ts';
import { majorDowngradeReason, schemaVersionRefusals, serverVersionRefusals } from '../src/domain/preflight/app-versions.ts';
import { findPgTools } from '../src/adapters/postgres/pg-tools.ts';
import { readServerVersions } from '../src/adapters/postgres/server-versions.ts';
import { RefusedError } from '../src/domain/errors/dataalm-error.ts';
import { addUser, createToken } from '../src/app/accounts.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { BackgroundRuns } from '../src/app/refresh/background-runs.ts';
import { buildHttpServer } from '../src/interfaces/http/http-server.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { type MajorServer, startMajorServer } from './helpers/major-server.ts';

// Versions for any application: the seed's release, platform update and financial reporting
// version belong to finance-operations; another application is registered without them, and
// its refresh checks its own schema version, the PostgreSQL majors and its extensions.

const environment = (over: Partial<Environment> = {}): Environment => ({
  name: 'uat', type: 'sandbox', tenant: 'shop.example', administrator: 'admin@shop.example', applicationRelease: null,
  platformUpdate: null, financialReportingVersion: null, retail: false, profile: '/profiles/shop.yaml', documentStorage: null,
  syncCommand: null, state: 'deployed', components: {}, pendingActions: [], autoReprovision: true, databases: [], createdAt: '', updatedAt: '', ...over,
});
const seeded = { applicationRelease: '10.0.38', platformUpdate: 62, financialReportingVersion: '10.0.38.3' };

const facts = (over: Partial<RefreshFacts> = {}): RefreshFacts => ({
  sourceName: 'prod', targetName: 'uat', source: environment({ name: 'prod', type: 'production' }), target: environment(),
  minPlatformUpdate: 21, targetBusy: undefined, sourceBusy: undefined, targetActiveRecurringJobs: [], sourceUnprocessedRecurringJobs: [], ...over,
});

describe('versions judged from facts', () => {
  const input = {
    name: 'shop-uat', type: 'sandbox', tenant: 'shop.example', administrator: 'admin@shop.example', retail: false, profile: 'plain',
    documentStorage: null, syncCommand: null, databaseUrls: { application: 'postgresql://u:p@h/db' },
  };

  test('a profile without the seed\'s versions registers none; finance-operations still demands each with a missing field\'s message', () => {
    const plain = parseNewEnvironment(input);
    assert.deepEqual([plain.applicationRelease, plain.platformUpdate, plain.financialReportingVersion], [null, null, null]);
    assert.throws(
      () => parseNewEnvironment({ ...input, profile: 'finance-operations' }),
      (error: Error) => error.message === 'applicationRelease (--release): Invalid input: expected string, received undefined',
    );
    assert.throws(() => parseNewEnvironment({ ...input, profile: 'finance-operations', applicationRelease: '10.0.38' }), /platformUpdate \(--platform-update\): Invalid input$/);
    assert.throws(() => parseNewEnvironment({ ...input, applicationRelease: '10.0.38' }), /platformUpdate \(--platform-update\): must be given with applicationRelease/);
    assert.equal(parseNewEnvironment({ ...input, ...seeded }).platformUpdate, 62, 'all three may be given for any profile');
    // A profile file that carries them (only the caller can read it) demands them too.
    assert.throws(() => parseNewEnvironment(input, { versions: true }), /applicationRelease \(--release\): .*profile plain carries/);
  });

  test('rules 4–6 run only when the target\'s profile carries the versions; then both environments must have them', () => {
    const codes = (f: RefreshFacts) => refreshRefusals(f).map((r) => r.code);
    assert.deepEqual(codes(facts()), [], 'two environments without versions');
    assert.deepEqual(codes(facts({ environmentVersions: false, target: environment(seeded) })), [], 'the target\'s versions are not judged when its profile does not carry them');
    const missing = refreshRefusals(facts({ environmentVersions: true, target: environment(seeded) }));
    assert.deepEqual(missing.map((r) => r.code), ['VERSIONS_MISSING']);
    assert.match(missing[0]!.message, /^prod has no application release, platform update and financial reporting version, and uat's profile checks them/);
    assert.deepEqual(codes(facts({ environmentVersions: true })), ['VERSIONS_MISSING', 'VERSIONS_MISSING']);
    const both = facts({ source: environment({ name: 'prod', ...seeded }), target: environment({ ...seeded, applicationRelease: '10.0.37' }) });
    assert.deepEqual(codes(both), ['RELEASE_MISMATCH'], 'without the profile known, a target with versions is judged by them');
  });

  test('schema versions: equal passes, different values are named, a failing query is said with its error', () => {
    const names = { source: 'shop-prod', target: 'shop-uat', profile: 'shop' };
    assert.deepEqual(schemaVersionRefusals({ source: '20240101', target: '20240101' }, names), []);
    const differ = schemaVersionRefusals({ source: '20240301', target: '20240101' }, names);
    assert.deepEqual(differ.map((r) => r.code), ['SCHEMA_VERSION_MISMATCH']);
    assert.match(differ[0]!.message, /shop-prod has schema version 20240301, shop-uat has schema version 20240101/);
    assert.match(schemaVersionRefusals({ source: '3', target: null }, names)[0]!.message, /shop-uat has no schema version/);
    const failed = schemaVersionRefusals({ source: '3', targetError: 'relation "schema_migrations" does not exist' }, names);
    assert.deepEqual(failed.map((r) => [r.code, r.message]), [
      ['SCHEMA_VERSION_UNKNOWN', 'the application schema version of shop-uat could not be read: relation "schema_migrations" does not exist'],
    ]);
    assert.match(failed[0]!.remedy, /schemaVersion query of profile shop against shop-uat/);
  });

  test('servers: an older target major is the copy engine\'s own reason; an extension the target has only in other versions is named', () => {
    const downgrade = majorDowngradeReason({ source: 16, target: 15 })!;
    assert.throws(() => findPgTools({ source: 16, target: 15 }, undefined), (error: RefusedError) => error.reasons[0]!.message === downgrade.message);
    assert.equal(majorDowngradeReason({ source: 15, target: 17 }), undefined);
    const reasons = serverVersionRefusals({
      sourceMajor: 15,
      targetMajor: 15,
      targetName: 'sandbox:5432',
      extensions: [
        { name: 'plpgsql', version: '1.0', targetVersions: ['1.0'] },
        { name: 'hstore', version: '1.8', targetVersions: ['1.4', '1.5', '1.6', '1.7'] },
        { name: 'postgis', version: '3.4.0', targetVersions: [] },
      ],
    });
    assert.deepEqual(reasons.map((r) => r.code), ['COPY_UNSUPPORTED'], 'an extension missing altogether is copy-needs\' reason, not repeated');
    assert.match(reasons[0]!.message, /on the target server sandbox:5432 only in other versions: hstore 1\.8 \(the target has 1\.4, 1\.5, 1\.6, 1\.7\)$/);
    assert.match(reasons[0]!.remedy, /install the extensions' packages/);
  });

  test('packages: an environment without versions takes only packages for every release that set none', () => {
    const asset = { id: 3, name: 'fix', kind: 'binary' as const, appliesTo: ['*'], sets: {} };
    assert.deepEqual(judgeApply(environment(), asset), []);
    assert.deepEqual(judgeApply(environment(), { ...asset, appliesTo: ['10.0.38'] }).map((r) => r.code), ['PACKAGE_NOT_FOR_RELEASE']);
    assert.match(judgeApply(environment(), { ...asset, sets: { platformUpdate: 63 } })[0]!.message, /^package 3 \(fix\) sets an application release, platform update or financial reporting version, and uat has none/);
    assert.deepEqual(judgeApply(environment(seeded), { ...asset, appliesTo: ['10.0.38'], sets: { platformUpdate: 63 } }), [], 'finance-operations environments as before');
  });
});

let demo: Demo;
let older: MajorServer | undefined;
let profileFile: string;

const SHOP_SCHEMA = `
  create table schema_migrations (version text primary key);
  create table items (id int primary key, name text not null);
  insert into items select g, 'item ' || g from generate_series(1, 50) g;`;

describe('a refresh of an application without the seed\'s versions, on real servers', () => {
  before(async () => {
    demo = await startDemo('app-versions');
    profileFile = path.join(demo.home, 'shop-profile.yaml');
    fs.writeFileSync(profileFile, ['name: shop', 'version: 1', 'schemaVersion:', '  query: select max(version) from schema_migrations', ''].join('\n'));
    for (const db of ['shop_prod', 'shop_uat']) {
      await demo.query('postgres', `create database ${db}`);
      for (const statement of SHOP_SCHEMA.split(';').filter((s) => s.trim())) await demo.query(db, statement);
    }
    await demo.query('shop_prod', 'create extension hstore');
  });
  after(async () => {
    await older?.stop();
    await demo?.close();
  });

  const addArgs = (name: string, type: string, url: string, extra: string[] = []) => [
    'env', 'add', name, '--type', type, '--tenant', 'shop.example', '--admin', 'admin@shop.example', '--app-db', url, ...extra,
  ];
  const names = async () => (JSON.parse((await demo.cli(['env', 'list', '--json'])).stdout) as Environment[]).map((e) => e.name);

  test('CLI: registered without version flags; finance-operations still demands them with the usual message', async () => {
    const added = await demo.cli([...addArgs('shop-prod', 'production', demo.url('shop_prod'), ['--profile', profileFile]), '--json']);
    assert.equal(added.code, 0, added.stderr);
    const shop = JSON.parse(added.stdout) as Environment;
    assert.deepEqual([shop.applicationRelease, shop.platformUpdate, shop.financialReportingVersion], [null, null, null]);
    assert.match((await demo.cli(['env', 'list'])).stdout, /shop-prod\s+production\s+shop\.example\s+-\s+-\s+-\s+deployed/);
    const shown = await demo.cli(['env', 'show', 'shop-prod']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.doesNotMatch(shown.stdout, /application release|platform update|financial reporting version|ApplicationSuite/);
    assert.match(shown.stdout, /Application schema\s+none\n/, 'the profile\'s schemaVersion query on an empty migrations table');

    const before = await names();
    const refused = await demo.cli(addArgs('shop-finance', 'sandbox', demo.url('shop_uat'), ['--platform-update', '62', '--reporting-version', '10.0.38.3']));
    assert.equal(refused.code, 2);
    assert.equal(refused.stderr.split('\n')[0], "dataalm: error: required option '--release <X.Y.Z>' not specified");
    const partial = await demo.cli(addArgs('shop-partial', 'sandbox', demo.url('shop_uat'), ['--profile', profileFile, '--release', '1.2.3']));
    assert.equal(partial.code, 2);
    assert.match(partial.stderr, /platformUpdate \(--platform-update\): must be given with applicationRelease/);
    assert.deepEqual(await names(), before, 'nothing registered');
  });

  test('HTTP: registered without versions; finance-operations without them is refused naming the field', async () => {
    const runtime = await demo.runtime();
    const app = await buildHttpServer(runtime, { runs: new BackgroundRuns(), version: 'test', trustProxy: false, onError: () => {} });
    try {
      await addUser(runtime, { name: 'shop-owner', role: 'owner', password: 'registering-shops-1' }, SYSTEM_ACTOR);
      const { token } = await createToken(runtime, 'shop-owner', 'shops', SYSTEM_ACTOR);
      const body = {
        name: 'shop-uat', type: 'sandbox', tenant: 'shop.example', administrator: 'admin@shop.example', retail: false, profile: profileFile,
        documentStorage: null, syncCommand: null, databaseUrls: { application: demo.url('shop_uat') },
      };
      const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/environments', headers: { authorization: `Bearer ${token}` }, payload: payload as object });
      const finance = await post({ ...body, name: 'shop-finance', profile: 'finance-operations' });
      assert.equal(finance.statusCode, 400, finance.body);
      assert.equal(finance.json<{ error: { message: string } }>().error.message, 'applicationRelease: Invalid input: expected string, received undefined');
      const created = await post(body);
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(
        (({ applicationRelease, platformUpdate, financialReportingVersion }) => [applicationRelease, platformUpdate, financialReportingVersion])(created.json<Environment>()),
        [null, null, null],
      );
    } finally {
      await app.close();
    }
  });

  test('different schema versions are refused at preview and request; equal ones refresh', async () => {
    await demo.query('shop_prod', "insert into schema_migrations values ('20240101'), ('20240301')");
    await demo.query('shop_uat', "insert into schema_migrations values ('20240101')");
    const operations = async () => (JSON.parse((await demo.cli(['op', 'list', '--json'])).stdout) as unknown[]).length;
    const before = await operations();
    const dry = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-uat', '--dry-run', '--json']);
    assert.equal(dry.code, 12, dry.stderr + dry.stdout);
    const preview = JSON.parse(dry.stdout) as { reasons: { code: string; message: string }[]; schemaVersion: unknown; source: Record<string, unknown> };
    assert.deepEqual(preview.reasons.map((r) => r.code), ['SCHEMA_VERSION_MISMATCH']);
    assert.match(preview.reasons[0]!.message, /shop-prod has schema version 20240301, shop-uat has schema version 20240101/);
    assert.deepEqual(preview.schemaVersion, { source: '20240301', target: '20240101' });
    assert.ok(!('applicationRelease' in preview.source) && !('platformUpdate' in preview.source), 'no versions it does not have');
    const human = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-uat', '--dry-run']);
    assert.match(human.stdout, /schema version {2}20240301 \(source\), 20240101 \(target\)/);
    assert.match(human.stdout, /source {10}shop-prod \(production, tenant shop\.example\)\n/);
    const request = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-uat', '--yes', '--json']);
    assert.equal(request.code, 12, request.stdout);
    assert.deepEqual((JSON.parse(request.stdout) as { reasons: { code: string }[] }).reasons.map((r) => r.code), ['SCHEMA_VERSION_MISMATCH']);
    assert.equal(await operations(), before, 'a refused request creates no operation');

    await demo.query('shop_uat', 'drop table schema_migrations');
    const unknown = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-uat', '--dry-run', '--json']);
    assert.deepEqual((JSON.parse(unknown.stdout) as { reasons: { code: string; message: string }[] }).reasons.map((r) => [r.code, r.message]), [
      ['SCHEMA_VERSION_UNKNOWN', 'the application schema version of shop-uat could not be read: relation "schema_migrations" does not exist'],
    ]);

    await demo.query('shop_uat', 'create table schema_migrations (version text primary key)');
    await demo.query('shop_uat', "insert into schema_migrations values ('20240101'), ('20240301')");
    const same = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-uat', '--dry-run', '--json']);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.deepEqual((JSON.parse(same.stdout) as { schemaVersion: unknown }).schemaVersion, { source: '20240301', target: '20240301' });
    await demo.query('shop_prod', "insert into items values (51, 'only in production')");
    const refreshed = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-uat', '--yes', '--json']);
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    assert.deepEqual(await demo.query('shop_uat', 'select count(*)::int as n from items'), [{ n: 51 }]);
  });

  test('reading the servers: the majors and the versions the target can install of each source extension', async () => {
    const [source, target] = [new pg.Client({ connectionString: demo.url('shop_prod') }), new pg.Client({ connectionString: demo.url('shop_uat') })];
    await Promise.all([source.connect(), target.connect()]);
    try {
      const read = await readServerVersions(source, target, 'demo');
      assert.equal(read.sourceMajor, read.targetMajor);
      const hstore = read.extensions.find((e) => e.name === 'hstore')!;
      assert.ok(hstore.targetVersions.includes(hstore.version) && hstore.targetVersions.length > 1, JSON.stringify(hstore));
      assert.deepEqual(serverVersionRefusals(read), []);
    } finally {
      await Promise.all([source.end(), target.end()]);
    }
  });

  test('a target server of an older major, without the source\'s extension version, is refused before anything is created', async () => {
    older = await startMajorServer(13);
    await new pg.Client({ connectionString: older.url() }).connect().then(async (c) => {
      await c.query('create database shop_old');
      await c.end();
    });
    const added = await demo.cli(addArgs('shop-old', 'sandbox', older.url('shop_old'), ['--profile', profileFile]));
    assert.equal(added.code, 0, added.stderr);
    const databases = async () => {
      const c = new pg.Client({ connectionString: older!.url() });
      await c.connect();
      try {
        return (await c.query<{ datname: string }>('select datname from pg_database order by 1')).rows.map((r) => r.datname);
      } finally {
        await c.end();
      }
    };
    const before = await databases();
    const result = await demo.cli(['refresh', '--source', 'shop-prod', '--target', 'shop-old', '--yes', '--json']);
    assert.equal(result.code, 12, result.stdout + result.stderr);
    const reasons = (JSON.parse(result.stdout) as { reasons: { code: string; message: string }[] }).reasons;
    const messages = reasons.filter((r) => r.code === 'COPY_UNSUPPORTED').map((r) => r.message);
    assert.ok(messages.includes(majorDowngradeReason({ source: 15, target: 13 })!.message), JSON.stringify(reasons));
    assert.ok(messages.some((m) => /only in other versions: hstore 1\.8 \(the target has 1\.4, .*1\.7/.test(m)), JSON.stringify(reasons));
    assert.ok(reasons.some((r) => r.code === 'SCHEMA_VERSION_UNKNOWN'), 'the empty database has no migrations table');
    assert.deepEqual(await databases(), before, 'nothing created on the target server');
  });
});
