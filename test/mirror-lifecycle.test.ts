import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MirrorStatus } from '../src/contract/index.ts';
import { MIRROR_PROFILE, useMirrorProject } from './helpers/mirror-project.ts';
import { startService } from './helpers/service.ts';
import { adminQuery, urlFor } from './helpers/test-database.ts';
import { waitFor } from './helpers/wait.ts';

// A mirror never leaves a replication slot behind on the source (issue 16): disable, removing
// the target or the source environment, a failed enable and the lag watch all take down the
// slot, the publication, the subscription and the mirror database; a command line that is
// wrong creates nothing.
const project = useMirrorProject('mirror_life', ['store-uat', 'store-qa']);

/** Every mirror object this project could have: on the source, and on the sandboxes' server. */
async function leftovers(): Promise<{ slots: string[]; publications: string[]; subscriptions: string[]; databases: string[] }> {
  const { slots, publications } = await project.sourceObjects();
  const databases = [
    ...(await project.databasesLike(`${project.sandbox('store-uat').name}__mirror`)),
    ...(await project.databasesLike(`${project.sandbox('store-qa').name}__mirror`)),
  ];
  // pg_subscription is the server's: those of this project's mirror databases (or of ones dropped with a subscription left).
  const subscriptions = (
    await adminQuery<{ n: string }>(
      'select s.subname as n from pg_subscription s left join pg_database d on d.oid = s.subdbid where d.datname = any($1) or d.oid is null order by 1',
      [databases],
    )
  ).rows.map((r) => r.n);
  return { slots, publications, subscriptions, databases };
}
const NOTHING = { slots: [], publications: [], subscriptions: [], databases: [] };

async function enable(target: string, ...extra: string[]): Promise<MirrorStatus> {
  const enabled = await project.cli(['env', 'mirror', 'enable', target, '--source', 'store-prod', '--json', ...extra]);
  assert.equal(enabled.code, 0, enabled.stdout + enabled.stderr);
  const status = JSON.parse(enabled.stdout) as MirrorStatus;
  const left = await leftovers();
  assert.deepEqual(left.slots, [status.slot]);
  assert.deepEqual(left.publications, [status.publication]);
  assert.equal(left.subscriptions.length, 1);
  assert.deepEqual(left.databases, [status.database]);
  return status;
}

async function noMirror(target: string): Promise<void> {
  const shown = await project.cli(['env', 'mirror', 'status', target]);
  assert.equal(shown.code, 3, shown.stdout + shown.stderr);
  assert.match(shown.stderr, new RegExp(`${target} has no mirror`));
}

describe('a mirror leaves nothing on the source', () => {
  test('a wrong command line is refused with a clear error and exit code, and creates nothing', async () => {
    const cases: [args: string[], code: number, error: RegExp][] = [
      [['store-uat', '--source', 'store-prod', '--sauce', 'x'], 2, /unknown option '--sauce'/],
      [['store-uat'], 2, /required option '--source <name>' not specified/],
      [['store-uat', '--source', 'nowhere'], 3, /source \(--source\): environment "nowhere" does not exist/],
      [['store-prod', '--source', 'store-uat'], 2, /store-prod is a production environment/],
      [['store-uat', '--source', 'store-prod', '--max-lag', 'nonsense'], 2, /max-lag \(--max-lag\): "nonsense" is no size/],
    ];
    for (const [args, code, error] of cases) {
      const result = await project.cli(['env', 'mirror', 'enable', ...args]);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, error, args.join(' '));
    }
    const json = await project.cli(['env', 'mirror', 'enable', 'store-uat', '--source', 'store-prod', '--max-lag', 'lots', '--json']);
    assert.equal(json.code, 2);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string; field: string } }).error.field, 'maxLag');
    await noMirror('store-uat');
    assert.deepEqual(await leftovers(), NOTHING);
  });

  test('disable removes the subscription, the mirror database, and on the source the slot and the publication', async () => {
    await enable('store-uat');
    const disabled = await project.cli(['env', 'mirror', 'disable', 'store-uat', '--json']);
    assert.equal(disabled.code, 0, disabled.stdout + disabled.stderr);
    assert.deepEqual(JSON.parse(disabled.stdout), { environment: 'store-uat', removed: { subscription: true, slot: true, publication: true, database: true } });
    assert.deepEqual(await leftovers(), NOTHING);
    await noMirror('store-uat');
    const again = await project.cli(['env', 'mirror', 'disable', 'store-uat']);
    assert.equal(again.code, 3, again.stderr);
  });

  test('removing the target environment takes its mirror down', async () => {
    await enable('store-qa');
    const removed = await project.cli(['env', 'remove', 'store-qa']);
    assert.equal(removed.code, 0, removed.stdout + removed.stderr);
    assert.deepEqual(await leftovers(), NOTHING);
    await project.addEnvironment('store-qa', 'sandbox', project.sandbox('store-qa'));
    await noMirror('store-qa');
  });

  test('removing the source environment takes down the mirrors of it', async () => {
    await enable('store-uat');
    const removed = await project.cli(['env', 'remove', 'store-prod']);
    assert.equal(removed.code, 0, removed.stdout + removed.stderr);
    assert.deepEqual(await leftovers(), NOTHING);
    await noMirror('store-uat');
    await project.addEnvironment('store-prod', 'production', project.prod());
  });

  test('an enable whose seed fails removes what it had made, and forgets the mirror', async () => {
    // Every address gets a one-letter district, which the source's check constraint forbids.
    await adminQuery('alter table address add constraint district_named check (length(district) > 1)', [], project.prod().url);
    const phone = MIRROR_PROFILE.indexOf('      phone: { transformer: phone }');
    project.writeProfile([...MIRROR_PROFILE.slice(0, phone + 1), '      district: { transformer: constant, value: X }', ...MIRROR_PROFILE.slice(phone + 1)]);
    try {
      const failed = await project.cli(['env', 'mirror', 'enable', 'store-uat', '--source', 'store-prod']);
      assert.notEqual(failed.code, 0, failed.stdout);
      assert.match(failed.stderr, /what the mirror had made \(publication, slot, database\) was removed/);
      assert.deepEqual(await leftovers(), NOTHING);
      await noMirror('store-uat');
    } finally {
      project.writeProfile(MIRROR_PROFILE);
      await adminQuery('alter table address drop constraint district_named', [], project.prod().url);
    }
  });

  test('the service drops a mirror whose slot holds more WAL than its limit, slot and all', async () => {
    const status = await enable('store-uat', '--max-lag', '1KiB');
    assert.equal(status.maxLagBytes, 1024);
    // The mirror stops applying (as a slow or stuck one would) while the source keeps writing.
    const [subscription] = (
      await adminQuery<{ n: string }>('select subname as n from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())', [], urlFor(status.database))
    ).rows;
    await adminQuery(`alter subscription ${subscription!.n} disable`, [], urlFor(status.database));
    await adminQuery('update rental set last_update = now()', [], project.prod().url);
    const env = project.env();
    const service = await startService('mirror-lag', {
      DATAALM_HOME: env.DATAALM_HOME!,
      DATAALM_DATABASE_URL: env.DATAALM_DATABASE_URL!,
      DATAALM_SECRET_KEY: env.DATAALM_SECRET_KEY!,
      DATAALM_MIRROR_CHECK_SECONDS: '1',
    });
    try {
      await waitFor('the service to drop the mirror', () => /its replication slot held .* more than its limit of 1\.0 KiB: dropped/.test(service.output()), { timeoutMs: 60_000 });
    } finally {
      assert.equal(await service.stop(), 0);
    }
    const dropped = await project.status('store-uat');
    assert.equal(dropped.state, 'dropped');
    assert.equal(dropped.health, 'dropped');
    assert.equal(dropped.usable, false);
    assert.match(dropped.reason ?? '', /more than its limit/);
    assert.deepEqual(await leftovers(), NOTHING);

    const resynced = await project.cli(['env', 'mirror', 'resync', 'store-uat', '--json']);
    assert.equal(resynced.code, 0, resynced.stdout + resynced.stderr);
    const again = JSON.parse(resynced.stdout) as MirrorStatus;
    assert.equal(again.state, 'streaming');
    assert.equal(again.maxLagBytes, 1024, 'resync keeps the limit');
    const disabled = await project.cli(['env', 'mirror', 'disable', 'store-uat']);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.deepEqual(await leftovers(), NOTHING);
  });
});
