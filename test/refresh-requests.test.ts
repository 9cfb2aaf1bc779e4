import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { type Environment } from '../src/domain/environment.ts';
import { compareVersions } from '../src/domain/refresh-rules.ts';
import { type RefreshFacts, packageNeeds, refreshRefusals, refreshWarnings } from '../src/domain/preflight/refresh-preflight.ts';
import { applyRefusals } from '../src/domain/preflight/apply-preflight.ts';
import { derivedName } from '../src/adapters/postgres/database-admin.ts';
import { Redactor } from '../src/domain/redaction.ts';
import { BackgroundRuns } from '../src/app/refresh/background-runs.ts';
import { addUser, createToken } from '../src/app/accounts.ts';
import { SYSTEM_ACTOR } from '../src/domain/actor.ts';
import { REFRESH_STEPS, type Operation } from '../src/domain/operation.ts';
import { buildHttpServer } from '../src/interfaces/http/http-server.ts';
import { BIN, ROOT } from './helpers/cli.ts';
import { type Demo, startDemo } from './helpers/demo.ts';

// Requests that must be refused, each with its reason and remedy, changing nothing; the
// preview; and the rules themselves on made-up facts.

const sandbox = (over: Partial<Environment> = {}): Environment => ({
  name: 'uat', type: 'sandbox', tenant: 'contoso.com', administrator: 'admin@contoso.com', applicationRelease: '10.0.38',
  platformUpdate: 62, financialReportingVersion: '10.0.38.3', retail: false, profile: 'finance-operations', documentStorage: null,
  syncCommand: null, state: 'deployed', components: {}, pendingActions: [], autoReprovision: true, databases: [], createdAt: '', updatedAt: '', ...over,
});

const facts = (over: Partial<RefreshFacts> = {}): RefreshFacts => ({
  sourceName: 'prod', targetName: 'uat', source: sandbox({ name: 'prod', type: 'production' }), target: sandbox(),
  minPlatformUpdate: 21, targetBusy: undefined, sourceBusy: undefined, targetActiveRecurringJobs: [], sourceUnprocessedRecurringJobs: [], ...over,
});

describe('preflight rules (DESIGN §2, 1–7)', () => {
  const codes = (f: RefreshFacts) => refreshRefusals(f).map((r) => r.code);
  test('a valid request passes; every rule refuses on its own with a remedy', () => {
    assert.deepEqual(codes(facts()), []);
    assert.deepEqual(codes(facts({ target: sandbox({ type: 'production' }) })), ['TARGET_IS_PRODUCTION']);
    assert.deepEqual(codes(facts({ targetName: 'prod' , target: sandbox({ name: 'prod' }) })), ['SAME_ENVIRONMENT']);
    assert.deepEqual(codes(facts({ source: undefined })), ['SOURCE_NOT_FOUND']);
    assert.deepEqual(codes(facts({ targetBusy: { id: 4, kind: 'refresh', state: 'running' } })), ['TARGET_BUSY']);
    assert.deepEqual(codes(facts({ sourceBusy: { id: 5, kind: 'refresh', state: 'running' } })), ['SOURCE_BUSY']);
    assert.deepEqual(codes(facts({ targetIsCopied: { id: 6, kind: 'refresh', state: 'running' } })), ['TARGET_IS_SOURCE']);
    assert.deepEqual(codes(facts({ target: sandbox({ tenant: 'fabrikam.com' }) })), ['TENANT_MISMATCH']);
    assert.deepEqual(codes(facts({ target: sandbox({ platformUpdate: 20 }) })), ['PLATFORM_UPDATE_TOO_OLD']);
    assert.deepEqual(codes(facts({ target: sandbox({ platformUpdate: 21 }) })), []);
    assert.deepEqual(codes(facts({ source: sandbox({ name: 'prod', platformUpdate: 11 }) })), ['PLATFORM_UPDATE_TOO_OLD']);
    assert.deepEqual(codes(facts({ target: sandbox({ applicationRelease: '10.0.39' }) })), ['RELEASE_MISMATCH']);
    assert.deepEqual(codes(facts({ target: sandbox({ financialReportingVersion: '10.0.38.2' }) })), ['REPORTING_VERSION_OLDER']);
    assert.deepEqual(codes(facts({ target: sandbox({ financialReportingVersion: '10.0.38.10' }) })), [], 'a newer target is fine');
    assert.deepEqual(codes(facts({ targetActiveRecurringJobs: ['Customers import'] })), ['RECURRING_JOBS_ACTIVE']);
    const warned = facts({ sourceUnprocessedRecurringJobs: [{ name: 'Vendors export', pending: 3 }] });
    assert.deepEqual(refreshRefusals(warned), []);
    assert.match(refreshWarnings(warned)[0]!, /Vendors export: 3/);
    const all = refreshRefusals(facts({ target: sandbox({ tenant: 'fabrikam.com', applicationRelease: '10.0.37', financialReportingVersion: '10.0.37.1' }) }));
    assert.deepEqual(all.map((r) => r.code), ['TENANT_MISMATCH', 'RELEASE_MISMATCH', 'REPORTING_VERSION_OLDER'], 'every failing rule, not only the first');
    for (const reason of all) assert.ok(reason.message.length > 10 && reason.remedy.length > 10);
  });

  test('messages say which side is older and how to fix it', () => {
    const release = refreshRefusals(facts({ target: sandbox({ applicationRelease: '10.0.37' }) }))[0]!;
    assert.match(release.message, /prod runs 10\.0\.38, uat runs 10\.0\.37.*data upgrade/);
    assert.match(release.remedy, /upgrade uat to 10\.0\.38 first/);
    const newer = refreshRefusals(facts({ target: sandbox({ applicationRelease: '10.0.39' }) }))[0]!;
    assert.match(newer.remedy, /before upgrading/);
    const reporting = refreshRefusals(facts({ target: sandbox({ financialReportingVersion: '10.0.38.2' }) }))[0]!;
    assert.match(reporting.message, /MRApplicationService 10\.0\.38\.2/);
    assert.match(reporting.remedy, /apply the financial reporting update 10\.0\.38\.3 .* to uat/);
  });

  test('probe results, the profile and package remedies are judged from facts too, in a fixed order', () => {
    const probed = facts({
      databases: {
        profile: { problem: 'rules[0].table: required' },
        sourceRoles: ['application', 'financialReporting'],
        targetRoles: ['application'],
        probes: [
          { role: 'application', sourceUnreachable: 'prod application: cannot connect', targetUser: { name: 'u"x', mayCreateDatabases: false, ownsDatabase: true }, sourceJobsError: 'no such table' },
        ],
      },
    });
    const reasons = refreshRefusals(probed);
    assert.deepEqual(reasons.map((r) => r.code), ['PROFILE_INVALID', 'UNREACHABLE', 'TARGET_PRIVILEGES']);
    assert.equal(reasons[0]!.message, "uat's refresh profile cannot be used: rules[0].table: required");
    assert.equal(reasons[1]!.remedy, "check that prod's database server runs and its credentials are right");
    assert.equal(reasons[2]!.remedy, `ALTER ROLE "u""x" CREATEDB on uat's server`);
    assert.deepEqual(refreshWarnings(probed), [
      "uat has no financial reporting database: prod's is not copied",
      'the recurring jobs of prod could not be checked: no such table',
    ]);
    const missing = facts({ databases: { profile: { name: 'plain' }, sourceRoles: [], targetRoles: ['application'], probes: [] } });
    assert.deepEqual(refreshRefusals(missing).map((r) => [r.code, r.message]), [['DATABASE_MISSING', 'prod has no application database registered']]);
    const jobs = facts({ databases: { profile: { name: 'plain' }, sourceRoles: ['application'], targetRoles: ['application'], probes: [{ role: 'application', targetJobsError: 'boom' }] } });
    assert.match(refreshRefusals(jobs)[0]!.remedy, /recurringJobs queries of profile plain against uat/);
    // The operation asking again does not hold its own target; a package found becomes the remedy.
    assert.deepEqual(refreshRefusals(facts({ self: 4, targetBusy: { id: 4, kind: 'refresh', state: 'running' } })), []);
    const old = facts({ source: sandbox({ name: 'prod', platformUpdate: 11 }), target: sandbox({ platformUpdate: 12, financialReportingVersion: '10.0.38.2' }) });
    assert.deepEqual(packageNeeds(old).map((n) => [n.key, n.environment.name]), [['platform:source', 'prod'], ['platform:target', 'uat'], ['reporting', 'uat']]);
    const named = refreshRefusals({ ...old, packages: { 'platform:target': 'apply package 7 (PU) to uat' } });
    assert.deepEqual(named.map((r) => r.remedy.startsWith('apply package 7')), [false, true, false]);
    assert.equal(named[1]!.remedy, 'apply package 7 (PU) to uat; then refresh');
  });

  test('an apply is judged from facts: busy, copied from, missing database and storage', () => {
    const asset = { id: 9, name: 'fix', kind: 'binary', appliesTo: ['10.0.38'], sets: {}, scripts: { financialReporting: ['a.sql'] }, files: [{ path: 'x', content: '' }] } as unknown as Parameters<typeof applyRefusals>[0]['asset'];
    const busy = { id: 3, kind: 'refresh', state: 'running' };
    assert.deepEqual(
      applyRefusals({ environment: sandbox({ state: 'failed' }), asset, busy, copiedBy: busy }).map((r) => r.code),
      ['ENVIRONMENT_NOT_READY', 'TARGET_BUSY', 'TARGET_IS_SOURCE', 'DATABASE_MISSING', 'NO_DOCUMENT_STORAGE'],
    );
    assert.deepEqual(applyRefusals({ environment: sandbox(), asset: { ...asset, scripts: {}, files: [] }, self: 3, busy, copiedBy: undefined }), []);
  });

  test('versions compare by number; derived database names fit PostgreSQL; secrets are redacted', () => {
    assert.equal(compareVersions('10.0.38.10', '10.0.38.9'), 1);
    assert.equal(compareVersions('10.0.38', '10.0.38'), 0);
    assert.equal(derivedName('contoso_uat_app', '__pre_42'), 'contoso_uat_app__pre_42');
    const long = 'a'.repeat(60);
    const a = derivedName(long, '__stage_123456');
    const b = derivedName(`${'a'.repeat(59)}b`, '__stage_123456');
    assert.ok(Buffer.byteLength(a) <= 63 && a.endsWith('__stage_123456'));
    assert.notEqual(a, b, 'two long names never collide');
    const redactor = new Redactor(['postgresql://u:s%40cret-pass@h/db']);
    assert.equal(redactor.redact('failed: s@cret-pass and postgresql://x:other@h:5/d'), 'failed: *** and postgresql://x:***@h:5/d');
  });
});

let demo: Demo;

describe('refresh requests on the demo project', () => {
  before(async () => {
    demo = await startDemo('refresh-requests');
  });
  after(async () => {
    await demo?.close();
  });

  async function state() {
    const ops = JSON.parse((await demo.cli(['op', 'list', '--json'])).stdout) as unknown[];
    const dbs = (await demo.query<{ datname: string }>('postgres', 'SELECT datname FROM pg_database ORDER BY 1')).map((r) => r.datname);
    const uat = await demo.query('contoso_uat_app', 'SELECT count(*) AS n, sum(enable) AS enabled FROM userinfo');
    return { ops: ops.length, dbs, uat };
  }

  async function refused(source: string, target: string, expected: string[]) {
    const before = await state();
    const result = await demo.cli(['refresh', '--source', source, '--target', target, '--yes', '--json']);
    assert.equal(result.code, 12, `${source} → ${target}: ${result.stdout}${result.stderr}`);
    const body = JSON.parse(result.stdout) as { refused: boolean; reasons: { code: string; message: string; remedy: string }[] };
    assert.equal(body.refused, true);
    assert.deepEqual(body.reasons.map((r) => r.code), expected);
    for (const reason of body.reasons) assert.ok(reason.message && reason.remedy, JSON.stringify(reason));
    assert.deepEqual(await state(), before, 'a refused request changes nothing');
    const human = await demo.cli(['refresh', '--source', source, '--target', target, '--yes']);
    assert.equal(human.code, 12);
    assert.match(human.stderr, new RegExp(`dataalm: refused: .*\\[${expected[0]}\\]\\n  remedy: `));
    return body.reasons;
  }

  test('refused: older release (contoso-test), other tenant (fabrikam-uat), a production target', async () => {
    const test = await refused('contoso-prod', 'contoso-test', ['RELEASE_MISMATCH', 'REPORTING_VERSION_OLDER']);
    assert.match(test[0]!.message, /contoso-prod runs 10\.0\.38, contoso-test runs 10\.0\.37/);
    const tenant = await refused('contoso-prod', 'fabrikam-uat', ['TENANT_MISMATCH']);
    assert.match(tenant[0]!.message, /can't be refreshed from one tenant to another/);
    // Production also has active recurring jobs: every failing rule is reported.
    await refused('contoso-uat', 'contoso-prod', ['TARGET_IS_PRODUCTION', 'RECURRING_JOBS_ACTIVE']);
    await refused('contoso-uat', 'contoso-uat', ['SAME_ENVIRONMENT']);
    await refused('contoso-prod', 'nowhere', ['TARGET_NOT_FOUND']);
  });

  test('refused: platform update 20 or lower, an older reporting version in the target, an active recurring job', async () => {
    const urls = JSON.parse((await demo.cli(['env', 'credentials', 'contoso-uat', '--json'])).stdout) as { databases: { application: string; financialReporting: string } };
    const register = async (name: string, platform: string, reporting: string) => {
      const added = await demo.cli([
        'env', 'add', name, '--type', 'sandbox', '--tenant', 'contoso.com', '--admin', 'admin@contoso.com', '--app-db', urls.databases.application,
        '--reporting-db', urls.databases.financialReporting, '--release', '10.0.38', '--platform-update', platform, '--reporting-version', reporting,
      ]);
      assert.equal(added.code, 0, added.stderr);
    };
    await register('old-platform', '20', '10.0.38.3');
    await register('old-reporting', '62', '10.0.38.2');
    const platform = await refused('contoso-prod', 'old-platform', ['PLATFORM_UPDATE_TOO_OLD']);
    assert.match(platform[0]!.message, /platform update 20.*update 20 and earlier are refused/);
    const reporting = await refused('contoso-prod', 'old-reporting', ['REPORTING_VERSION_OLDER']);
    // The remedy names the package that fixes it: here the shared financial reporting update.
    assert.match(reporting[0]!.remedy, /dataalm asset import --shared financial-reporting-10\.0\.38\.5; then apply it to old-reporting/);
    await demo.query('contoso_uat_app', "UPDATE dmfrecurringjob SET enabled = 1 WHERE recid = (SELECT min(recid) FROM dmfrecurringjob)");
    try {
      const jobs = await refused('contoso-prod', 'contoso-uat', ['RECURRING_JOBS_ACTIVE']);
      assert.match(jobs[0]!.message, /1 active recurring data-management job/);
    } finally {
      await demo.query('contoso_uat_app', 'UPDATE dmfrecurringjob SET enabled = 0');
    }
  });

  test('--dry-run shows the preview and changes nothing; without --yes and off a terminal it refuses to start', async () => {
    const before = await state();
    const dry = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    const preview = JSON.parse(dry.stdout) as {
      administrator: string; refused: boolean; notCopied: { element: string }[]; afterwards: string[]; warnings: string[]; notice: string;
      estimate: { bytes: number; seconds: number }; source: { tenant: string; applicationRelease: string }; target: { financialReportingVersion: string };
    };
    assert.equal(preview.refused, false);
    assert.equal(preview.administrator, 'sandbox.admin@contoso.com');
    assert.equal(preview.notCopied.length, 17);
    assert.ok(preview.notCopied.some((n) => /LogisticsElectronicAddress/.test(n.element)));
    assert.equal(preview.afterwards.length, 5);
    assert.match(preview.notice, /production reporting is not supported/);
    assert.ok(preview.warnings.some((w) => /unprocessed recurring/.test(w)), 'the source still has unprocessed recurring messages');
    assert.ok(preview.estimate.bytes > 1_000_000 && preview.estimate.seconds > 0);
    assert.equal(preview.source.tenant, 'contoso.com');
    assert.equal(preview.target.financialReportingVersion, '10.0.38.3');
    const human = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--dry-run']);
    assert.match(human.stdout, /becomes Admin\s+sandbox\.admin@contoso\.com/);
    assert.match(human.stdout, /Data elements that are not copied:/);
    assert.match(human.stdout, /Dry run: nothing was changed/);

    const unconfirmed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat']);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /confirm it on a terminal, or pass --yes/);
    const jobs = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--jobs', '0']);
    assert.equal(jobs.code, 2);
    assert.match(jobs.stderr, /jobs \(--jobs\): must be a whole number from 1 to 64/);
    const missing = await demo.cli(['refresh', '--target', 'contoso-uat']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /required option '--source <env>'/);
    const badId = await demo.cli(['op', 'show', 'abc']);
    assert.equal(badId.code, 2);
    const noOp = await demo.cli(['op', 'show', '999']);
    assert.equal(noOp.code, 3);
    assert.deepEqual(await state(), before);
  });

  test('on a terminal the refresh asks for the target name before it starts', { skip: spawnSync('script', ['--version']).status !== 0 && 'no script(1)' }, async () => {
    const before = await state();
    // script(1) gives the command a pseudo-terminal; the answer is not the target's name.
    const command = `${process.execPath} ${BIN} refresh --source contoso-prod --target contoso-uat`;
    const run = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: demo.env(), encoding: 'utf8', timeout: 60_000, input: 'wrong-name\n' });
    assert.match(run.stdout, /Type the target's name \(contoso-uat\) to start the refresh/);
    assert.match(run.stdout, /Not confirmed: nothing was changed/);
    assert.deepEqual(await state(), before);
  });

  test('reading an abandoned operation changes nothing: op show, op list and GET /api/operations show it as it was left', async () => {
    const runtime = await demo.runtime();
    const id = await runtime.operations.create({
      kind: 'refresh', environment: 'contoso-uat', source: 'contoso-prod', options: { jobs: 2 }, steps: REFRESH_STEPS, actor: SYSTEM_ACTOR,
    });
    // Its process died long ago (no heartbeat for an hour), and no worker is alive.
    await demo.query('dataalm', `update dataalm.operations set state = 'running', worker = 'gone', started_at = now() - interval '1 hour', heartbeat_at = now() - interval '1 hour' where id = $1`, [id]);
    await demo.query('dataalm', `update dataalm.operation_steps set status = 'running', started_at = now() - interval '1 hour' where operation_id = $1 and name = 'data'`, [id]);
    assert.ok((await runtime.operations.abandoned(runtime.config.leaseSeconds)).some((a) => a.id === id), 'the operation is abandoned');
    const control = async () => ({
      operation: await demo.query('dataalm', 'select to_jsonb(o) as row from dataalm.operations o where id = $1', [id]),
      steps: await demo.query('dataalm', 'select to_jsonb(s) as row from dataalm.operation_steps s where operation_id = $1 order by position', [id]),
      log: await demo.query('dataalm', 'select count(*)::int as n from dataalm.operation_log where operation_id = $1', [id]),
      environments: await demo.query('dataalm', 'select to_jsonb(e) as row from dataalm.environments e order by id'),
      history: await demo.query('dataalm', 'select count(*)::int as n from dataalm.environment_history'),
    });
    const before = await control();
    const app = await buildHttpServer(runtime, { runs: new BackgroundRuns(), version: 'test', trustProxy: false, onError: () => {} });
    try {
      const shown = await demo.cli(['op', 'show', String(id), '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.deepEqual([(JSON.parse(shown.stdout) as Operation).state, (JSON.parse(shown.stdout) as Operation).error], ['running', null]);
      const listed = await demo.cli(['op', 'list', '--json']);
      assert.equal((JSON.parse(listed.stdout) as Operation[]).find((o) => o.id === id)?.state, 'running');
      assert.match((await demo.cli(['op', 'show', String(id)])).stdout, /running/);

      await addUser(runtime, { name: 'reader', role: 'member', password: 'reading-changes-nothing' }, SYSTEM_ACTOR);
      const { token } = await createToken(runtime, 'reader', 'reads', SYSTEM_ACTOR);
      const headers = { authorization: `Bearer ${token}` };
      const one = await app.inject({ method: 'GET', url: `/api/operations/${id}`, headers });
      assert.equal(one.statusCode, 200, one.body);
      assert.equal(one.json<Operation>().state, 'running');
      const all = await app.inject({ method: 'GET', url: '/api/operations', headers });
      assert.equal(all.json<Operation[]>().find((o) => o.id === id)?.state, 'running');
      const preview = await app.inject({ method: 'GET', url: '/api/environments/contoso-uat/refresh-preview?source=contoso-prod', headers });
      assert.deepEqual(preview.json<{ reasons: { code: string }[] }>().reasons.map((r) => r.code), ['TARGET_BUSY']);
      assert.equal((await app.inject({ method: 'GET', url: '/api/environments/contoso-uat/refresh-sources', headers })).statusCode, 200);

      assert.deepEqual(await control(), before, 'reading changed the control data');
    } finally {
      await app.close();
      await demo.query('dataalm', `update dataalm.operations set state = 'canceled', finished_at = now() where id = $1`, [id]);
    }
  });
});
