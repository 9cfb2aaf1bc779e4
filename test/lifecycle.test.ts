import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Operation } from '../src/domain/operation.ts';
import { type Demo, addSandbox, startDemo } from './helpers/demo.ts';
import { writePackage } from './helpers/packages.ts';
import { startWorker, waitForEnd } from './helpers/workers.ts';

const OWNER_PASSWORD = 'lifecycle-owner-password';

interface AssetJson {
  id: number;
  name: string;
  kind: string;
  version: string;
  shared: string | null;
  scripts: Record<string, string[]>;
  files: { path: string; bytes: number; sha256: string }[];
}
interface EnvironmentJson {
  financialReportingVersion: string;
  applicationRelease: string;
  components: Record<string, string>;
  pendingActions: { code: string; message: string; remedy: string }[];
  autoReprovision: boolean;
  versions: { components: { name: string; version: string }[] };
  installers: string[];
  history: { event: string; details: Record<string, unknown> }[];
}
interface Refusal {
  refused: true;
  reasons: { code: string; message: string; remedy: string }[];
}

/**
 * The lifecycle around a refresh (issue 7): the asset library, Apply updates, detailed
 * versions, a refused refresh made possible by a package, and retail reprovisioning.
 */
describe('asset library, Apply updates and retail', () => {
  let demo: Demo;
  let storage: string;
  const json = <T>(text: string) => JSON.parse(text) as T;
  const show = async (name: string) => {
    const shown = await demo.cli(['env', 'show', name, '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    return json<EnvironmentJson>(shown.stdout);
  };
  const importShared = async (name: string) => {
    const imported = await demo.cli(['asset', 'import', '--shared', name, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    return json<AssetJson>(imported.stdout);
  };
  const apply = async (environment: string, id: number) => demo.cli(['env', 'apply', environment, '--package', String(id), '--json']);
  const logs = async (id: number) => (await demo.cli(['op', 'logs', String(id)])).stdout;
  const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

  before(async () => {
    demo = await startDemo('lifecycle');
    await demo.query('postgres', `create role lifecycle_owner login createdb password '${OWNER_PASSWORD}'`);
    const owner = { role: 'lifecycle_owner', password: OWNER_PASSWORD };
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-store-storage-'));
    // contoso-dev: a sandbox whose financial reporting is older than production's.
    // contoso-store: a retail sandbox with its own document storage.
    await addSandbox(demo, 'contoso-dev', owner, ['--reporting-version', '10.0.38.1']);
    await addSandbox(demo, 'contoso-store', owner, ['--retail', '--storage', storage]);
  });

  after(async () => {
    try {
      await demo?.close();
    } finally {
      if (storage) fs.rmSync(storage, { recursive: true, force: true });
    }
  });

  test('asset import: shared assets and manifest files; asset list; bad input is refused with the reason', async () => {
    const empty = await demo.cli(['asset', 'list']);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /asset library is empty/);
    const shared = json<{ shared: string; kind: string }[]>((await demo.cli(['asset', 'list', '--shared', '--json'])).stdout);
    assert.ok(shared.some((a) => a.shared === 'environment-reprovisioning-tool' && a.kind === 'reprovisioning-tool'), JSON.stringify(shared));

    const tool = await importShared('environment-reprovisioning-tool');
    assert.equal((await importShared('environment-reprovisioning-tool')).id, tool.id, 'importing the same package again gives the one already there');
    assert.equal(tool.kind, 'reprovisioning-tool');
    assert.equal(tool.shared, 'environment-reprovisioning-tool');
    assert.deepEqual(tool.scripts.application, ['point the retail channel profiles at this environment']);

    // A manifest file with a script and a document-storage file beside it.
    const manifest = writePackage(
      ['name: Custom notes', 'kind: binary', 'version: 1.0.0', "appliesTo: ['10.0.*']", 'scripts:', '  application:', '    - file: note.sql', 'files:', '  - path: custom/readme.txt', '    from: readme.txt'],
      { 'note.sql': 'create table if not exists customnote (id int primary key, note text);\n', 'readme.txt': 'custom package readme\n' },
    );
    const folder = path.dirname(manifest);
    const custom = await demo.cli(['asset', 'import', manifest, '--json']);
    assert.equal(custom.code, 0, custom.stderr);
    const customAsset = json<AssetJson>(custom.stdout);
    assert.deepEqual(customAsset.scripts.application, ['note.sql']);
    assert.deepEqual(customAsset.files.map((f) => [f.path, f.bytes]), [['custom/readme.txt', 22]]);

    const shown = await demo.cli(['asset', 'show', String(customAsset.id)]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /script for the application database: note\.sql\n\s+\| create table if not exists customnote/);
    assert.match(shown.stdout, /file custom\/readme\.txt \(22 bytes, sha256 [0-9a-f]{64}\)/);
    const listed = json<AssetJson[]>((await demo.cli(['asset', 'list', '--json'])).stdout);
    assert.deepEqual(listed.map((a) => a.id), [tool.id, customAsset.id]);
    const table = await demo.cli(['asset', 'list']);
    assert.match(table.stdout, /Environment Reprovisioning Tool\s+reprovisioning-tool\s+1\.4\.0/);

    fs.writeFileSync(path.join(folder, 'bad.yaml'), 'name: x\nkind: firmware\nversion: 1\nappliesTo: ["10.0.38"]\n');
    const bad = await demo.cli(['asset', 'import', path.join(folder, 'bad.yaml')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml: kind: must be one of binary, financial-reporting, retail, reprovisioning-tool/);
    fs.writeFileSync(path.join(folder, 'escape.yaml'), 'name: x\nkind: binary\nversion: 1\nappliesTo: ["*"]\nscripts:\n  application:\n    - file: ../../etc/passwd\n');
    const escape = await demo.cli(['asset', 'import', path.join(folder, 'escape.yaml')]);
    assert.equal(escape.code, 2);
    assert.match(escape.stderr, /outside the manifest's folder/);
    const unknown = await demo.cli(['asset', 'import', '--shared', 'no-such-asset']);
    assert.equal(unknown.code, 3);
    assert.match(unknown.stderr, /shared asset "no-such-asset" does not exist/);
    const neither = await demo.cli(['asset', 'import']);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /either a manifest FILE or --shared NAME/);
  });

  test('a refresh refused for an older reporting version names the package; applied, the refresh succeeds', async () => {
    const refusedBefore = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-dev', '--yes', '--json']);
    assert.equal(refusedBefore.code, 12, refusedBefore.stdout + refusedBefore.stderr);
    const reason = json<Refusal>(refusedBefore.stdout).reasons.find((r) => r.code === 'REPORTING_VERSION_OLDER');
    assert.ok(reason, refusedBefore.stdout);
    assert.match(reason.message, /contoso-dev has MRApplicationService 10\.0\.38\.1, contoso-prod has 10\.0\.38\.3/);
    assert.match(reason.remedy, /dataalm asset import --shared financial-reporting-10\.0\.38\.5/);

    const update = await importShared('financial-reporting-10.0.38.5');
    const named = json<Refusal>((await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-dev', '--yes', '--json'])).stdout);
    assert.match(named.reasons.find((r) => r.code === 'REPORTING_VERSION_OLDER')!.remedy, new RegExp(`dataalm env apply contoso-dev --package ${update.id}\\b`));

    const applied = await apply('contoso-dev', update.id);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    const operation = json<Operation>(applied.stdout);
    assert.equal(operation.kind, 'apply');
    assert.equal(operation.state, 'succeeded');
    assert.deepEqual(
      operation.steps.map((s) => [s.name, s.status]),
      [['validate', 'succeeded'], ['scripts', 'succeeded'], ['files', 'skipped'], ['versions', 'succeeded'], ['post', 'succeeded']],
    );
    const log = await logs(operation.id);
    assert.match(log, /financialReporting: running script "record the reporting schema version"/);
    assert.match(log, /MRApplicationService: 10\.0\.38\.1 → 10\.0\.38\.5/);
    assert.deepEqual(await demo.query('contoso_dev_reporting', 'select version from mrschemaversion'), [{ version: '10.0.38.5' }]);

    const dev = await show('contoso-dev');
    assert.equal(dev.financialReportingVersion, '10.0.38.5');
    assert.deepEqual(dev.versions.components.find((c) => c.name === 'MRApplicationService'), { name: 'MRApplicationService', version: '10.0.38.5' });
    assert.ok(dev.history.some((h) => /apply of package \d+ \(Financial reporting update 10\.0\.38\.5, Financial reporting update\): succeeded/.test(h.event)), JSON.stringify(dev.history));
    const text = await demo.cli(['env', 'show', 'contoso-dev']);
    assert.match(text.stdout, /MRApplicationService\s+10\.0\.38\.5/);

    const refreshed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-dev', '--yes', '--json']);
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    assert.equal(json<Operation>(refreshed.stdout).state, 'succeeded');
  });

  test('Apply updates refuses a package for another release, a downgrade and a retail package on a non-retail environment; nothing changes', async () => {
    const binary = await importShared('application-10.0.38-pu62');
    const otherRelease = await apply('contoso-dev', binary.id);
    assert.equal(otherRelease.code, 12);
    const releaseReasons = json<Refusal>(otherRelease.stdout).reasons;
    // It is for 10.0.37, and would also lower the reporting version contoso-dev now has.
    assert.deepEqual(releaseReasons.map((r) => r.code), ['PACKAGE_NOT_FOR_RELEASE', 'PACKAGE_DOWNGRADE']);
    assert.match(releaseReasons[0]!.message, /applies to release 10\.0\.37; contoso-dev runs 10\.0\.38/);

    const oldManifest = writePackage([
      'name: Old reporting', 'kind: financial-reporting', 'version: 10.0.38.2', 'appliesTo: ["10.0.38"]', 'sets:', '  financialReportingVersion: 10.0.38.2',
      'scripts:', '  financialReporting:', '    - name: never runs', '      sql: create table downgrade_ran (x int);',
    ]);
    const old = json<AssetJson>((await demo.cli(['asset', 'import', oldManifest, '--json'])).stdout);
    const downgrade = await apply('contoso-dev', old.id);
    assert.equal(downgrade.code, 12);
    const reason = json<Refusal>(downgrade.stdout).reasons[0]!;
    assert.equal(reason.code, 'PACKAGE_DOWNGRADE');
    assert.match(reason.message, /would downgrade contoso-dev's MRApplicationService from 10\.0\.38\.5 to 10\.0\.38\.2/);
    const text = await demo.cli(['env', 'apply', 'contoso-dev', '--package', String(old.id)]);
    assert.equal(text.code, 12);
    assert.match(text.stderr, /refused: .*would downgrade/);
    assert.match(text.stderr, /remedy: /);

    const retail = await importShared('retail-10.0.38');
    const notRetail = await apply('contoso-dev', retail.id);
    assert.equal(notRetail.code, 12);
    assert.equal(json<Refusal>(notRetail.stdout).reasons[0]!.code, 'NOT_RETAIL');

    assert.equal((await show('contoso-dev')).financialReportingVersion, '10.0.38.5');
    assert.deepEqual(await demo.query('contoso_dev_reporting', "select to_regclass('downgrade_ran') as t"), [{ t: null }]);
    const ops = json<Operation[]>((await demo.cli(['op', 'list', '--env', 'contoso-dev', '--json'])).stdout);
    assert.deepEqual(ops.filter((o) => o.kind === 'apply').map((o) => o.state), ['succeeded'], 'a refused apply leaves no operation');

    const missing = await demo.cli(['env', 'apply', 'contoso-dev', '--package', '999']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /package 999 is not in the asset library/);
    const notAnId = await demo.cli(['env', 'apply', 'contoso-dev', '--package', 'latest']);
    assert.equal(notAnId.code, 2);
  });

  test('a failing script fails the apply: its database is unchanged, the versions too, and the log names the script', async () => {
    const brokenManifest = writePackage([
      'name: Broken update', 'kind: binary', 'version: 1.0.0', 'appliesTo: ["10.0.38"]', 'sets:', '  platformUpdate: 63',
      'scripts:', '  application:', '    - name: first', '      sql: create table broken_first (x int);', '    - name: second', '      sql: select * from no_such_table;',
    ]);
    const broken = json<AssetJson>((await demo.cli(['asset', 'import', brokenManifest, '--json'])).stdout);
    const failed = await demo.cli(['env', 'apply', 'contoso-dev', '--package', String(broken.id)]);
    assert.equal(failed.code, 13, failed.stderr);
    assert.match(failed.stderr, /application: script "second" failed: relation "no_such_table" does not exist/);
    assert.deepEqual(await demo.query('contoso_dev_app', "select to_regclass('broken_first') as t"), [{ t: null }]);
    const dev = await show('contoso-dev');
    assert.equal(dev.versions.components.find((c) => c.name === 'ApplicationPlatform')!.version, 'PU62');
    const id = Number(/operation (\d+) failed/.exec(failed.stderr)![1]);
    const rollback = await demo.cli(['op', 'rollback', String(id)]);
    assert.equal(rollback.code, 12);
    assert.match(rollback.stderr, /a package is not rolled back/);

    // A database that does not answer fails the apply at its scripts, saying which.
    await demo.query('postgres', 'alter role lifecycle_owner nologin');
    try {
      const unreachable = await demo.cli(['env', 'apply', 'contoso-dev', '--package', String(broken.id)]);
      assert.equal(unreachable.code, 13, unreachable.stderr);
      assert.match(unreachable.stderr, /contoso-dev's application database does not answer/);
      assert.doesNotMatch(unreachable.stderr, new RegExp(OWNER_PASSWORD));
    } finally {
      await demo.query('postgres', 'alter role lifecycle_owner login');
    }
  });

  test('a retail refresh keeps the target’s channel database records and installers and runs the reprovisioning tool as its post step', async () => {
    const retail = json<AssetJson[]>((await demo.cli(['asset', 'list', '--json'])).stdout).find((a) => a.kind === 'retail')!;
    const installed = await apply('contoso-store', retail.id);
    assert.equal(installed.code, 0, installed.stderr + installed.stdout);
    const installers = path.join(storage, 'retail', 'self-service');
    const before = Object.fromEntries(fs.readdirSync(installers).map((f) => [f, sha(path.join(installers, f))]));
    assert.deepEqual(Object.keys(before).sort(), ['HardwareStation-10.0.38.1.installer', 'StoreCommerce-10.0.38.1.installer']);
    const channelsBefore = await demo.query('contoso_store_app', 'select * from retailchanneldatabase order by recid');
    const prodChannels = await demo.query('contoso_prod_app', 'select * from retailchanneldatabase order by recid');
    assert.notDeepEqual(channelsBefore, prodChannels);

    const preview = json<{ warnings: string[] }>((await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-store', '--dry-run', '--json'])).stdout);
    assert.ok(preview.warnings.some((w) => /the Environment Reprovisioning Tool runs as the refresh's last step/.test(w)), preview.warnings.join('\n'));
    const refreshed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-store', '--yes', '--json']);
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    const operation = json<Operation>(refreshed.stdout);
    const post = operation.steps.find((s) => s.name === 'post')!;
    assert.equal(post.status, 'succeeded');
    assert.deepEqual(post.counters.reprovisioning, { tool: 'Environment Reprovisioning Tool', version: '1.4.0', scripts: { application: 1 } });
    const log = await logs(operation.id);
    assert.match(log, /post.*running the Environment Reprovisioning Tool 1\.4\.0 \(package \d+ of the asset library\) on contoso-store/);
    assert.match(log, /post.*application: retail channel profiles: 3 Commerce URL\(s\) now point at contoso-store/);
    assert.match(log, /post.*self-service installers kept in contoso-store's document storage/);

    assert.deepEqual(await demo.query('contoso_store_app', 'select * from retailchanneldatabase order by recid'), channelsBefore, "the target's channel database records are kept");
    const urls = await demo.query<{ value: string }>('contoso_store_app', 'select value from retailchannelprofileproperty order by recid');
    assert.equal(urls.length, 3);
    for (const { value } of urls) assert.match(value, /^https:\/\/contoso-store\.retail\./, 'the reprovisioning tool pointed the channel profiles at the target');
    assert.deepEqual(Object.fromEntries(fs.readdirSync(installers).map((f) => [f, sha(path.join(installers, f))])), before, 'installers stay');
    const store = await show('contoso-store');
    assert.equal(store.components.EnvironmentReprovisioningTool, '1.4.0');
    assert.deepEqual(store.pendingActions, []);
  });

  test('with automatic reprovisioning off, a retail refresh leaves a pending action naming the package; applying the tool does it', async () => {
    const set = await demo.cli(['env', 'set', 'contoso-store', '--auto-reprovision', 'off']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal((await demo.cli(['env', 'set', 'contoso-store', '--auto-reprovision', 'maybe'])).code, 2);
    // The first refresh copied production's active recurring jobs; stop them, as a person would.
    await demo.query('contoso_store_app', 'update dmfrecurringjob set enabled = 0');
    const refreshed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-store', '--yes', '--json']);
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    const operation = json<Operation>(refreshed.stdout);
    assert.equal(operation.steps.find((s) => s.name === 'post')!.counters.reprovisioning, 'pending');
    const tool = json<AssetJson[]>((await demo.cli(['asset', 'list', '--json'])).stdout).find((a) => a.kind === 'reprovisioning-tool')!;
    assert.match(await logs(operation.id), new RegExp(`pending action: dataalm env apply contoso-store --package ${tool.id}\\b`));
    // Copied from production and not yet reprovisioned: the profiles name the source.
    for (const { value } of await demo.query<{ value: string }>('contoso_store_app', 'select value from retailchannelprofileproperty')) {
      assert.match(value, /^https:\/\/contoso-prod\.retail\./);
    }
    const pending = await show('contoso-store');
    assert.deepEqual(pending.pendingActions.map((a) => a.code), ['RUN_REPROVISIONING_TOOL']);
    assert.match(pending.pendingActions[0]!.remedy, new RegExp(`--package ${tool.id}\\b`));
    assert.match((await demo.cli(['env', 'show', 'contoso-store'])).stdout, /pending actions\n\s+RUN_REPROVISIONING_TOOL/);

    const applied = await apply('contoso-store', tool.id);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    assert.deepEqual((await show('contoso-store')).pendingActions, []);
    for (const { value } of await demo.query<{ value: string }>('contoso_store_app', 'select value from retailchannelprofileproperty')) {
      assert.match(value, /^https:\/\/contoso-store\.retail\./);
    }
    assert.equal((await demo.cli(['env', 'set', 'contoso-store', '--auto-reprovision', 'on'])).code, 0);
  });

  test('redeploying the scale unit regenerates its channel database record; re-applying the retail package brings installers back', async () => {
    await demo.query('contoso_store_app', "delete from retailchanneldatabase where scaleunit = 'cloud-contoso-store'");
    for (let i = 0; i < 2; i++) {
      const redeployed = await demo.cli(['env', 'redeploy-scale-unit', 'contoso-store', '--json']);
      assert.equal(redeployed.code, 0, redeployed.stderr);
      const result = json<{ scaleUnit: string; record: { scaleunit: string; connectioninfo: string } }>(redeployed.stdout);
      assert.equal(result.scaleUnit, 'cloud-contoso-store');
      assert.equal(result.record.connectioninfo, 'https://contoso-store-csu1.commerce.dynamics.com');
    }
    const rows = await demo.query('contoso_store_app', "select name, connectioninfo from retailchanneldatabase where scaleunit = 'cloud-contoso-store'");
    assert.deepEqual(rows, [{ name: 'Default', connectioninfo: 'https://contoso-store-csu1.commerce.dynamics.com' }]);
    const refused = await demo.cli(['env', 'redeploy-scale-unit', 'contoso-dev']);
    assert.equal(refused.code, 12);
    assert.match(refused.stderr, /contoso-dev does not use retail/);
    assert.ok((await show('contoso-store')).history.some((h) => /scale unit cloud-contoso-store redeployed/.test(h.event)));

    const installers = path.join(storage, 'retail', 'self-service');
    const expected = Object.fromEntries(fs.readdirSync(installers).map((f) => [f, sha(path.join(installers, f))]));
    fs.rmSync(installers, { recursive: true });
    assert.deepEqual((await show('contoso-store')).installers, []);
    const retail = json<AssetJson[]>((await demo.cli(['asset', 'list', '--json'])).stdout).find((a) => a.kind === 'retail')!;
    const again = await apply('contoso-store', retail.id);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.deepEqual(Object.fromEntries(fs.readdirSync(installers).map((f) => [f, sha(path.join(installers, f))])), expected);
    assert.deepEqual((await show('contoso-store')).installers, Object.keys(expected).sort());
  });

  test('an apply queued with --detach runs on a worker, like a refresh', async () => {
    const tool = json<AssetJson[]>((await demo.cli(['asset', 'list', '--json'])).stdout).find((a) => a.kind === 'reprovisioning-tool')!;
    const queued = await demo.cli(['env', 'apply', 'contoso-store', '--package', String(tool.id), '--detach', '--json']);
    assert.equal(queued.code, 0, queued.stderr);
    const id = json<Operation>(queued.stdout).id;
    assert.equal(json<Operation>(queued.stdout).state, 'queued');
    const busy = await apply('contoso-store', tool.id);
    assert.equal(busy.code, 12, 'one operation per environment at a time');
    assert.equal(json<Refusal>(busy.stdout).reasons[0]!.code, 'TARGET_BUSY');
    const worker = await startWorker(demo.env());
    try {
      const ended = await waitForEnd(demo, id);
      assert.equal(ended.state, 'succeeded');
      const audited = await demo.query('dataalm', "select actor from dataalm.audit_log where action = 'operation.apply' and (details->>'operation')::bigint = $1", [id]);
      assert.equal(audited.length, 1, 'the apply is audited once');
      assert.match(ended.worker ?? '', /:\d+$/);
    } finally {
      await worker.stop();
    }
    const table = await demo.cli(['op', 'list', '--env', 'contoso-store']);
    assert.match(table.stdout, new RegExp(`${id}\\s+apply\\s+contoso-store\\s+package ${tool.id}\\s+succeeded`));
    const shown = await demo.cli(['op', 'show', String(id)]);
    assert.match(shown.stdout, new RegExp(`apply package ${tool.id} \\(Environment Reprovisioning Tool\\) → contoso-store`));
    assert.match(shown.stdout, /package\s+\d+: Environment Reprovisioning Tool 1\.4\.0 \(reprovisioning-tool\)\n\s+version\s+EnvironmentReprovisioningTool: 1\.4\.0 → 1\.4\.0/);
    assert.doesNotMatch(shown.stdout, /offline|rollback/);
  });

  test('a reprovisioning tool that fails does not undo the refresh: it is logged and left as a pending action', async () => {
    const toolManifest = writePackage(['name: Broken reprovisioning', 'kind: reprovisioning-tool', 'version: 1.5.0', 'appliesTo: ["*"]', 'scripts:', '  application:', '    - name: fails', '      sql: select 1 / 0;']);
    const imported = json<AssetJson>((await demo.cli(['asset', 'import', toolManifest, '--json'])).stdout);
    await demo.query('contoso_store_app', 'update dmfrecurringjob set enabled = 0');
    const refreshed = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-store', '--yes', '--json']);
    assert.equal(refreshed.code, 0, refreshed.stdout + refreshed.stderr);
    const operation = json<Operation>(refreshed.stdout);
    assert.equal(operation.steps.find((s) => s.name === 'post')!.counters.reprovisioning, 'failed');
    const log = await logs(operation.id);
    assert.match(log, /the Environment Reprovisioning Tool failed: application: script "fails" failed: division by zero/);
    const store = await show('contoso-store');
    assert.deepEqual(store.pendingActions.map((a) => a.code), ['RUN_REPROVISIONING_TOOL']);
    assert.match(store.pendingActions[0]!.remedy, new RegExp(`--package ${imported.id}\\b`));
  });
});
