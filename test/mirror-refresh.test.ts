import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { contentChecksums } from './helpers/compare-databases.ts';
import { dataCounters, useMirrorProject } from './helpers/mirror-project.ts';
import { adminQuery, dropDatabase, queryRows, urlFor } from './helpers/test-database.ts';

// A sandbox refreshed from its mirror (issue 16): every change the source committed after
// the mirror was enabled is in the target, masked as a plain copy masks it, foreign keys
// intact; a table without a primary key is not published (the source keeps updating it) and
// is copied at refresh time; DDL on the source makes the next refresh copy instead, saying
// why, until the mirror is resynced.
const project = useMirrorProject('mirror_refresh', ['store-uat']);
const prodUrl = () => project.prod().url;
const uatUrl = () => project.sandbox('store-uat').url;

/** Rows of a query on the source and on the target, to be compared. */
async function both(sql: string): Promise<[Record<string, unknown>[], Record<string, unknown>[]]> {
  return Promise.all([queryRows(prodUrl(), sql), queryRows(uatUrl(), sql)]);
}

/** Every foreign key of `url` whose child rows lack their parent (an anti-join per key). */
async function brokenForeignKeys(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const keys = await client.query<{ name: string; child: string; parent: string; columns: string[]; ref: string[] }>(
      `select c.conname as name, c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent,
              (select array_agg(quote_ident(a.attname) order by k.i) from unnest(c.conkey) with ordinality k(n, i)
                 join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.n) as columns,
              (select array_agg(quote_ident(a.attname) order by k.i) from unnest(c.confkey) with ordinality k(n, i)
                 join pg_attribute a on a.attrelid = c.confrelid and a.attnum = k.n) as ref
         from pg_constraint c where c.contype = 'f' and c.conparentid = 0`,
    );
    assert.ok(keys.rows.length >= 15, `the rental store has its foreign keys (${keys.rows.length})`);
    const broken: string[] = [];
    for (const k of keys.rows) {
      const match = k.columns.map((c, i) => `p.${k.ref[i]} = c.${c}`).join(' and ');
      const orphans = await client.query(`select 1 from ${k.child} c where not exists (select 1 from ${k.parent} p where ${match}) limit 1`);
      if (orphans.rowCount !== 0) broken.push(`${k.name} on ${k.child}`);
    }
    return broken;
  } finally {
    await client.end();
  }
}

describe('a refresh from the mirror', () => {
  let slot = '';

  test('enabling seeds a masked mirror; the table without a primary key is copied at refresh time, and the source keeps updating and deleting its rows', async () => {
    const enabled = await project.cli(['env', 'mirror', 'enable', 'store-uat', '--source', 'store-prod', '--json']);
    assert.equal(enabled.code, 0, enabled.stdout + enabled.stderr);
    const status = JSON.parse(enabled.stdout) as Awaited<ReturnType<typeof project.status>>;
    assert.equal(status.state, 'streaming');
    assert.equal(status.health, 'healthy', JSON.stringify(status));
    assert.equal(status.usable, true);
    slot = status.slot;
    const refreshTime = Object.fromEntries(status.tables.refreshTime.map((t) => [t.table, t.reason]));
    assert.match(refreshTime['public.rental_note'] ?? '', /no primary key or replica identity/);
    assert.match(refreshTime['public.schema_migrations'] ?? '', /replica identity \(version\) is masked/);
    assert.deepEqual(status.tables.notMirrored.map((t) => t.table), ['public.staff_login_history']);
    for (const table of ['public.customer', 'public.rental', 'public.payment_p2026_01', 'public.address']) assert.ok(status.tables.published.includes(table), table);
    assert.ok(!status.tables.published.includes('public.rental_note'));
    assert.deepEqual(await project.sourceObjects(), { slots: [status.slot], publications: [status.publication] });

    // The mirror never holds a source value of a masked column.
    const mirrorUrl = urlFor(status.database);
    const sourceEmails = new Set((await queryRows(prodUrl(), 'select email from customer')).map((r) => r.email));
    const mirrorEmails = (await queryRows(mirrorUrl, 'select email from customer')).map((r) => r.email);
    assert.equal(mirrorEmails.length, sourceEmails.size);
    assert.deepEqual(mirrorEmails.filter((e) => sourceEmails.has(e)), []);
    assert.deepEqual(await queryRows(mirrorUrl, 'select count(*)::int as n from staff_login_history'), [{ n: 0 }]);

    // Not published: UPDATE and DELETE on the source work as before.
    await adminQuery("update rental_note set note = note || ' (seen)' where rental_id <= 110", [], prodUrl());
    await adminQuery('delete from rental_note where rental_id between 121 and 125', [], prodUrl());
    await adminQuery("insert into rental_note (rental_id, note) values (1999, 'late')", [], prodUrl());
    const shown = await project.status('store-uat');
    assert.ok(shown.tables.refreshTime.some((t) => t.table === 'public.rental_note'));
    assert.equal(shown.usable, true, JSON.stringify(shown));
  });

  test('inserts, updates, deletes and a transaction over several tables are all in the target, masked as a copy masks them, foreign keys intact', async () => {
    const source = new pg.Client({ connectionString: prodUrl() });
    await source.connect();
    let customer = 0;
    let rental = 0;
    try {
      await source.query("insert into film (title, description, release_year, language_id, rental_rate, rating) values ('Film New', 'A story', 2026, 1, 0.99, 'G')");
      await source.query("update film set title = 'Film One, restored' where film_id = 1");
      await source.query("update customer set email = 'patricia.changed@mail.example', first_name = 'Pat' where customer_id = 2");
      await source.query('delete from film_actor where film_id = 3');
      await source.query('delete from payment where rental_id = 7');
      await source.query('delete from rental where rental_id = 7');
      // One transaction: a new customer (masked columns), its rental and payment (parent and
      // children), a masked phone changed, an old rental with its payment gone.
      await source.query('begin');
      customer = (
        await source.query<{ id: number }>(
          "insert into customer (store_id, first_name, last_name, email, address_id) values (1, 'Zelda', 'Quist', 'zelda.quist@mail.example', 10) returning customer_id as id",
        )
      ).rows[0]!.id;
      rental = (
        await source.query<{ id: number }>(
          "insert into rental (rental_date, inventory_id, customer_id, staff_id) values ('2026-03-20 10:00+00', 5, $1, 1) returning rental_id as id",
          [customer],
        )
      ).rows[0]!.id;
      await source.query("insert into payment (customer_id, staff_id, rental_id, amount, payment_date) values ($1, 1, $2, 7.50, '2026-03-20 11:00+00')", [customer, rental]);
      await source.query("update address set phone = '+1 999-555-0000' where address_id = 10");
      await source.query('delete from payment where rental_id = 8');
      await source.query('delete from rental where rental_id = 8');
      await source.query('commit');
    } finally {
      await source.end();
    }

    const { result, operation } = await project.refresh('store-uat');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(operation.state, 'succeeded');
    const counters = dataCounters(operation);
    assert.equal(counters.method, 'mirror', JSON.stringify(counters));
    assert.equal(typeof counters.lagBytes, 'number');
    assert.ok(typeof counters.dataFrom === 'string' && !Number.isNaN(Date.parse(counters.dataFrom)), JSON.stringify(counters));

    // Each change, and what is masked differs from the source in the transformer's form.
    const [[src], [got]] = await both(`select c.first_name, c.email, r.rental_id, p.amount::text as amount
                                          from customer c join rental r using (customer_id) join payment p using (rental_id) where c.customer_id = ${customer}`);
    assert.ok(got, 'the new customer, its rental and payment are in the target');
    assert.equal(got.rental_id, rental);
    assert.equal(got.amount, '7.50');
    assert.notEqual(got.email, src!.email);
    assert.match(String(got.email), /^[^@\s]+@[^@\s]+$/);
    assert.notEqual(got.first_name, 'Zelda');
    const [changed] = await queryRows(uatUrl(), 'select email, first_name from customer where customer_id = 2');
    assert.notEqual(changed!.email, 'patricia.changed@mail.example');
    assert.notEqual(changed!.first_name, 'Pat');
    assert.deepEqual(await queryRows(uatUrl(), 'select title from film where film_id = 1 or title = $$Film New$$ order by film_id'), [{ title: 'Film One, restored' }, { title: 'Film New' }]);
    assert.deepEqual(await queryRows(uatUrl(), 'select count(*)::int as n from film_actor where film_id = 3'), [{ n: 0 }]);
    assert.deepEqual(await queryRows(uatUrl(), 'select count(*)::int as n from rental where rental_id in (7, 8)'), [{ n: 0 }]);
    const [phone] = await queryRows(uatUrl(), 'select phone from address where address_id = 10');
    assert.notEqual(phone!.phone, '+1 999-555-0000');
    assert.deepEqual(await brokenForeignKeys(uatUrl()), []);

    // The table without a primary key holds the source's rows, as of the refresh.
    const [sourceNotes, targetNotes] = await both('select rental_id, note, noted_at from rental_note order by rental_id, note');
    assert.equal(sourceNotes.length, 26);
    assert.deepEqual(targetNotes, sourceNotes);

    // None of the mirror's machinery in the target.
    assert.deepEqual(await queryRows(uatUrl(), "select nspname from pg_namespace where nspname = 'dataalm_mirror'"), []);
    assert.deepEqual(await queryRows(uatUrl(), "select tgname from pg_trigger where tgname = 'dataalm_mirror_mask'"), []);

    // The whole target equals a plain copy of the source with the same profile and key.
    const plain = `${project.sandbox('store-uat').name}_plain`;
    try {
      const copied = await project.cli(['copy', '--from', prodUrl(), '--to', urlFor(plain), '--profile', project.profilePath(), '--jobs', '2', '--json']);
      assert.equal(copied.code, 0, copied.stdout + copied.stderr);
      const [mirrored, copy] = await Promise.all([contentChecksums(uatUrl()), contentChecksums(urlFor(plain))]);
      const differ = Object.keys({ ...copy, ...mirrored }).filter((k) => copy[k] !== mirrored[k]);
      assert.deepEqual(differ, [], 'tables and sequences the mirror refresh and the copy disagree on');
    } finally {
      await dropDatabase(plain);
    }
    assert.deepEqual((await project.sourceObjects()).slots, [slot], 'the mirror keeps its slot after a refresh');
  });

  test('DDL on the source: the status says schema-changed, the next refresh copies and says why, resync makes the mirror usable again', async () => {
    await adminQuery('alter table film add column tagline text', [], prodUrl());
    const changed = await project.status('store-uat');
    assert.equal(changed.health, 'schema-changed');
    assert.equal(changed.usable, false);
    assert.match(changed.reason ?? '', /schema changed/);

    const { result, operation } = await project.refresh('store-uat');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(operation.state, 'succeeded');
    assert.equal(dataCounters(operation).method, 'copy');
    const logs = await project.cli(['op', 'logs', String(operation.id)]);
    assert.match(logs.stdout, /the mirror is not used: the source's schema changed since the mirror was seeded \(DDL is not replicated\)/);
    assert.deepEqual(await queryRows(uatUrl(), "select column_name from information_schema.columns where table_name = 'film' and column_name = 'tagline'"), [{ column_name: 'tagline' }]);

    const resynced = await project.cli(['env', 'mirror', 'resync', 'store-uat', '--json']);
    assert.equal(resynced.code, 0, resynced.stdout + resynced.stderr);
    const status = await project.status('store-uat');
    assert.equal(status.health, 'healthy', JSON.stringify(status));
    assert.equal(status.usable, true);
    assert.notEqual(status.slot, slot, 'a new slot');
    assert.deepEqual(await project.sourceObjects(), { slots: [status.slot], publications: [status.publication] }, 'the old slot and publication are gone');

    await adminQuery("update film set tagline = 'Now with a tagline' where film_id = 2", [], prodUrl());
    const again = await project.refresh('store-uat');
    assert.equal(again.result.code, 0, again.result.stdout + again.result.stderr);
    assert.equal(dataCounters(again.operation).method, 'mirror');
    assert.deepEqual(await queryRows(uatUrl(), 'select tagline from film where film_id = 2'), [{ tagline: 'Now with a tagline' }]);
  });
});
