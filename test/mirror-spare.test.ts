import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import type { MirrorStatus } from '../src/contract/index.ts';
import { contentChecksums } from './helpers/compare-databases.ts';
import { dataCounters, useMirrorProject } from './helpers/mirror-project.ts';
import { dropDatabase, queryRows, urlFor } from './helpers/test-database.ts';

// A mirror with a spare (issue 16: a refresh whose cost does not grow with the data): the
// spare, a file copy of the mirror kept current by its own copy of the mirror's slot, is
// taken by the refresh as its new database by a rename. Every change the source commits,
// also while the spare is being made, is in the target exactly once, masked; the next spare
// is made in the background; no slot is left behind.
const project = useMirrorProject('mirror_spare', ['store-uat']);
const prodUrl = () => project.prod().url;
const uatUrl = () => project.sandbox('store-uat').url;

/** Until the spare is ready (made in the background after a refresh), at most 3 minutes. */
async function spareReady(): Promise<MirrorStatus> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    const status = await project.status('store-uat');
    if (status.spare?.state === 'ready') return status;
    assert.notEqual(status.spare?.state, 'failed', `the spare could not be made: ${status.spare?.error}`);
    assert.ok(Date.now() < deadline, `the spare was not made within 3 minutes: ${JSON.stringify(status.spare)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Writes on the source until stopped: inserts, updates and deletes, several tables per transaction. */
let writers = 0;

function startWriter(): { stop: () => Promise<number> } {
  let stopping = false;
  const tag = ++writers;
  const done = (async () => {
    const client = new pg.Client({ connectionString: prodUrl() });
    await client.connect();
    let n = 0;
    try {
      while (!stopping) {
        n++;
        await client.query('begin');
        const customer = (
          await client.query<{ id: number }>(
            "insert into customer (store_id, first_name, last_name, email, address_id) values (1, 'Writer', $1, $2, 10) returning customer_id as id",
            [`Number${n}`, `writer${tag}.${n}@mail.example`],
          )
        ).rows[0]!.id;
        await client.query("insert into rental (rental_date, inventory_id, customer_id, staff_id) values (now(), 5, $1, 1)", [customer]);
        await client.query('update film set rental_rate = rental_rate + 0.01 where film_id = $1', [1 + (n % 20)]);
        if (n % 3 === 0) await client.query('delete from film_actor where ctid = (select ctid from film_actor where film_id = $1 limit 1)', [1 + (n % 40)]);
        await client.query('commit');
      }
    } finally {
      await client.end();
    }
    return n;
  })();
  return {
    stop: async () => {
      stopping = true;
      return done;
    },
  };
}

/** The target against a plain copy of the source with the same profile and key: tables and sequences that differ. */
async function differencesFromCopy(): Promise<string[]> {
  const plain = `${project.sandbox('store-uat').name}_plain`;
  try {
    const copied = await project.cli(['copy', '--from', prodUrl(), '--to', urlFor(plain), '--profile', project.profilePath(), '--jobs', '2', '--json']);
    assert.equal(copied.code, 0, copied.stdout + copied.stderr);
    const [target, copy] = await Promise.all([contentChecksums(uatUrl()), contentChecksums(urlFor(plain))]);
    return Object.keys({ ...copy, ...target }).filter((k) => copy[k] !== target[k]);
  } finally {
    await dropDatabase(plain);
  }
}

describe('a mirror with a spare', () => {
  let mirrorSlot = '';

  test('enable --spare seeds the mirror and makes its spare: a second database and a second slot, masked like the mirror', async () => {
    const enabled = await project.cli(['env', 'mirror', 'enable', 'store-uat', '--source', 'store-prod', '--spare', '--json']);
    assert.equal(enabled.code, 0, enabled.stdout + enabled.stderr);
    const status = JSON.parse(enabled.stdout) as MirrorStatus;
    assert.equal(status.health, 'healthy', JSON.stringify(status));
    assert.equal(status.spare?.state, 'ready', JSON.stringify(status.spare));
    mirrorSlot = status.slot;
    assert.deepEqual((await project.sourceObjects()).slots.sort(), [status.slot, `${status.slot}_spare`].sort());
    const sourceEmails = new Set((await queryRows(prodUrl(), 'select email from customer')).map((r) => r.email));
    const spareEmails = (await queryRows(urlFor(status.spare!.database), 'select email from customer')).map((r) => r.email);
    assert.equal(spareEmails.length, sourceEmails.size);
    assert.deepEqual(spareEmails.filter((e) => sourceEmails.has(e)), [], 'the spare never holds a source value of a masked column');
    const shown = await project.cli(['env', 'mirror', 'status', 'store-uat']);
    assert.match(shown.stdout, /spare .*_spare: ready, the next refresh takes it by a rename/);
  });

  test('a refresh takes the spare (nothing copied): every change is in the target once, masked, and the target equals a plain copy', async () => {
    // Changes while the mirror runs, then while a spare is made again from it.
    const [{ last }] = (await queryRows(prodUrl(), 'select max(customer_id)::int as last from customer')) as [{ last: number }];
    const writer = startWriter();
    const again = await project.cli(['env', 'mirror', 'spare', 'store-uat', '--off']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((await project.sourceObjects()).slots, [mirrorSlot], '--off takes the spare down, its slot too');
    const made = await project.cli(['env', 'mirror', 'spare', 'store-uat', '--json']);
    assert.equal(made.code, 0, made.stdout + made.stderr);
    assert.equal((JSON.parse(made.stdout) as MirrorStatus).spare?.state, 'ready');
    const written = await writer.stop();
    assert.ok(written > 0);

    const { result, operation } = await project.refresh('store-uat');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(operation.state, 'succeeded');
    const counters = dataCounters(operation);
    assert.equal(counters.method, 'mirror');
    assert.equal(counters.fileCopy, 'spare', JSON.stringify(counters));
    const logs = await project.cli(['op', 'logs', String(operation.id)]);
    assert.match(logs.stdout, /taking the mirror's spare .*_spare: it becomes the new database by a rename, nothing is copied/);
    const shown = await project.cli(['op', 'show', String(operation.id)]);
    assert.match(shown.stdout, /method +taken from the mirror's spare, nothing copied/);

    // Each transaction of the writer, once: no customer twice, none missing.
    const newRows = `select count(distinct c.customer_id)::int as customers, count(r.rental_id)::int as rentals
                       from customer c join rental r using (customer_id) where c.customer_id > ${last}`;
    const [[src], [got]] = await Promise.all([queryRows(prodUrl(), newRows), queryRows(uatUrl(), newRows)]);
    assert.deepEqual(src, { customers: written, rentals: written });
    assert.deepEqual(got, src, 'each written customer and its rental is in the target, once');
    assert.deepEqual(await queryRows(uatUrl(), "select count(*)::int as n from customer where first_name = 'Writer' or email like 'writer%@mail.example'"), [{ n: 0 }], 'masked');
    assert.deepEqual(await differencesFromCopy(), [], 'tables and sequences the spare refresh and a copy disagree on');
    // None of the replication machinery came with it.
    assert.deepEqual(await queryRows(uatUrl(), "select nspname from pg_namespace where nspname = 'dataalm_mirror'"), []);
    assert.deepEqual(await queryRows(uatUrl(), 'select subname from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())'), []);
  });

  test('a refresh while a spare is being made: the two never pause the mirror at once, and the refresh is exact', async () => {
    await spareReady();
    const off = await project.cli(['env', 'mirror', 'spare', 'store-uat', '--off']);
    assert.equal(off.code, 0, off.stderr);
    const [made, { result, operation }] = await Promise.all([project.cli(['env', 'mirror', 'spare', 'store-uat', '--json']), project.refresh('store-uat')]);
    assert.equal(made.code, 0, made.stdout + made.stderr);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(dataCounters(operation).method, 'mirror', 'the mirror was used (its spare or a copy of its files)');
    assert.deepEqual(await differencesFromCopy(), []);
    const status = await spareReady();
    assert.equal(status.health, 'healthy', JSON.stringify(status));
  });

  test('the next spare is made in the background; the next refresh takes it; disable leaves no slot, publication or database', async () => {
    const ready = await spareReady();
    assert.deepEqual((await project.sourceObjects()).slots.sort(), [mirrorSlot, `${mirrorSlot}_spare`].sort());
    const writer = startWriter();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const written = await writer.stop();
    const { result, operation } = await project.refresh('store-uat');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(dataCounters(operation).fileCopy, 'spare');
    assert.ok(written > 0);
    assert.deepEqual(await differencesFromCopy(), []);
    await spareReady();

    const disabled = await project.cli(['env', 'mirror', 'disable', 'store-uat', '--json']);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.deepEqual(await project.sourceObjects(), { slots: [], publications: [] });
    assert.deepEqual(await project.databasesLike(ready.database), []);
  });
});
