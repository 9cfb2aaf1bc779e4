import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { MIRROR_PROFILE, dataCounters, useMirrorProject } from './helpers/mirror-project.ts';
import { adminQuery, queryRows, urlFor } from './helpers/test-database.ts';

// A table the profile keeps whole from the target is not replicated: the mirror holds the
// target's rows of its seed, and a refresh takes them with the clone while the target's rows
// are still those (told by row headers, without reading large values), and copies the
// target's rows otherwise: after an update, an insert, a delete, and once a refresh copied
// them (told by contents then).
const project = useMirrorProject('mirror_kept', ['store-uat']);
const uatUrl = () => project.sandbox('store-uat').url;

const SETTINGS = `create table store_setting (key text primary key, value text not null)`;
const settings = () => queryRows(uatUrl(), 'select key, md5(value) as value from store_setting order by key');

/** A refresh from the mirror, which must succeed: its data counters and its runbook log. */
async function refresh(): Promise<{ refreshTime: string[]; log: string }> {
  const { result, operation } = await project.refresh('store-uat');
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const data = dataCounters(operation) as { application: { method: string; refreshTimeTables: string[] } };
  assert.equal(data.application.method, 'mirror', JSON.stringify(data));
  const log = await project.cli(['op', 'logs', String(operation.id)]);
  assert.equal(log.code, 0, log.stderr);
  return { refreshTime: data.application.refreshTimeTables, log: log.stdout };
}

describe('a table kept whole from the target, refreshed from the mirror', () => {
  let original: Record<string, unknown>[] = [];

  before(async () => {
    await adminQuery(`${SETTINGS}; insert into store_setting values ('url', 'https://store.example'), ('banner', repeat('production ', 40000))`, [], project.prod().url);
    await adminQuery(
      `${SETTINGS}; insert into store_setting values ('url', 'https://uat.store.example'), ('banner', repeat('sandbox ', 50000)), ('sandbox_only', 'yes')`,
      [],
      uatUrl(),
    );
    project.writeProfile([...MIRROR_PROFILE, '  - action: keep-target', '    table: store_setting']);
    original = await settings();
    const enabled = await project.cli(['env', 'mirror', 'enable', 'store-uat', '--source', 'store-prod', '--json']);
    assert.equal(enabled.code, 0, enabled.stdout + enabled.stderr);
    // The sandbox's own rows are in the mirror.
    const status = await project.status('store-uat');
    assert.deepEqual(await queryRows(urlFor(status.database), 'select key from store_setting order by key'), [
      { key: 'banner' }, { key: 'sandbox_only' }, { key: 'url' },
    ]);
  });

  test('unchanged since the seed: its rows come with the clone, told by row headers, before and after a first refresh', async () => {
    for (let round = 0; round < 2; round++) {
      const { refreshTime, log } = await refresh();
      assert.ok(!refreshTime.includes('public.store_setting'), `round ${round}: ${refreshTime.join(', ')}`);
      assert.match(log, /kept rows that came with the clone .*public\.store_setting \(told by row headers\)/, `round ${round}`);
      assert.deepEqual(await settings(), original, `round ${round}`);
    }
  });

  test("an update and an insert on the target: the target's rows are copied", async () => {
    await adminQuery("update store_setting set value = 'https://uat2.store.example' where key = 'url'; insert into store_setting values ('theme', 'dark')", [], uatUrl());
    const expected = await settings();
    const { refreshTime, log } = await refresh();
    assert.ok(refreshTime.includes('public.store_setting'), refreshTime.join(', '));
    assert.doesNotMatch(log, /public\.store_setting \(told by/);
    assert.deepEqual(await settings(), expected);
  });

  test("a delete on the target: the target's rows are copied", async () => {
    await adminQuery("delete from store_setting where key = 'sandbox_only'", [], uatUrl());
    const expected = await settings();
    const { refreshTime } = await refresh();
    assert.ok(refreshTime.includes('public.store_setting'), refreshTime.join(', '));
    assert.deepEqual(await settings(), expected);
  });

  test("the target's rows made again as they were at the seed: they come with the clone, told by contents", async () => {
    await adminQuery(
      `delete from store_setting; insert into store_setting values ('url', 'https://uat.store.example'), ('banner', repeat('sandbox ', 50000)), ('sandbox_only', 'yes')`,
      [],
      uatUrl(),
    );
    const { refreshTime, log } = await refresh();
    assert.ok(!refreshTime.includes('public.store_setting'), refreshTime.join(', '));
    assert.match(log, /public\.store_setting \(told by contents\)/);
    assert.deepEqual(await settings(), original);
  });
});
