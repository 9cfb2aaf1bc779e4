import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { copyDatabaseAttributes, dropDatabaseIfExists, swapDatabases } from '../src/adapters/postgres/database-admin.ts';
import { type DataalmError, type RefusedError } from '../src/domain/errors/dataalm-error.ts';
import { findPgTools, libpqEnv, runTool } from '../src/adapters/postgres/pg-tools.ts';
import { readSourceCatalog } from '../src/adapters/postgres/source-catalog.ts';
import { loadProfile } from '../src/adapters/profile/profile-files.ts';
import { planCopy } from '../src/engine/copy-plan.ts';
import { verifyCopy } from '../src/engine/copy-verify.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { contentChecksums, schemaDump } from './helpers/compare-databases.ts';
import { type MajorServer, startMajorServer } from './helpers/major-server.ts';
import { adminQuery, dropDatabase, queryRows, urlFor, runSql } from './helpers/test-database.ts';
import { verifyCatalog } from '../src/engine/catalog-fingerprint.ts';
import { everyObjectSql } from './helpers/every-object.ts';

// PostgreSQL 13 to 18 as sources and targets. The client tools here may be older than some
// servers (pg_dump 15 on this project's machines), which is the case to get right: a copy
// from an older server into any newer one works and is faithful; a source newer than the
// tools, and a target older than the source, are refused before anything is created.
const servers = new Map<number, MajorServer>();
const tools = findPgTools({ source: 15, target: 15 }, process.env.DATAALM_PG_BIN);
const env = cliEnv({ DATAALM_SECRET_KEY: 'majors-test-installation-key', DATAALM_PG_BIN: path.dirname(tools.pgDump) });
/** Databases made on the shared test server (PostgreSQL 15): unique names, dropped after. */
const onTestServer: string[] = [];
const run = randomBytes(4).toString('hex');

function server(major: number): MajorServer {
  const found = servers.get(major);
  assert.ok(found, `PostgreSQL ${major} test server`);
  return found;
}

/** A database URL on the server of `major`; on 15, the shared test server. */
function at(major: number, database: string): string {
  if (major !== 15) return server(major).url(database);
  const name = `t_majors_${database}_${run}`;
  if (!onTestServer.includes(name)) onTestServer.push(name);
  return urlFor(name);
}

/** A new database with `sql` (default: the every-object fixture as PostgreSQL 13 takes it). */
async function createDatabase(url: string, sql = everyObjectSql(13)): Promise<void> {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(databaseName(url))}`, [], maintenance.toString());
  await runSql(url, sql);
}

function databaseName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

async function databaseExists(url: string): Promise<boolean> {
  const maintenance = new URL(url);
  maintenance.pathname = '/postgres';
  return (await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [databaseName(url)], maintenance.toString())).rowCount === 1;
}

async function copy(from: string, to: string): Promise<void> {
  const result = await runCli(['copy', '--from', from, '--to', to, '--verify', 'checksums', '--json'], env);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const final = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { type: string; verified: string };
  assert.deepEqual([final.type, final.verified], ['result', 'checksums']);
}

/**
 * PostgreSQL's own way to move a database to another major: a full plain dump of the source
 * replayed by psql into a new database. What the copy makes must equal it; comparing on the
 * target's own server takes out what differs between majors only in how it is printed, and
 * keeps what an upgrade changes (a view keeps the source's meaning, not a native load's).
 */
async function dumpAndReload(from: string, to: string): Promise<void> {
  await createDatabase(to, 'SELECT 1');
  const dump = spawnSync(tools.pgDump, ['--format=plain'], { env: libpqEnv(from), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  assert.equal(dump.status, 0, dump.stderr);
  const psql = path.join(path.dirname(tools.pgDump), 'psql');
  const replay = spawnSync(psql, ['-X', '-q', '-v', 'ON_ERROR_STOP=1'], { env: libpqEnv(to), input: dump.stdout, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(replay.status, 0, replay.stderr);
}

before(async () => {
  // Started together: most of their start is initdb, which waits on the disk as much as on a core.
  await Promise.all(
    [13, 14, 16, 17, 18].map(async (major) => {
      servers.set(major, await startMajorServer(major));
    }),
  );
  await createDatabase(at(13, 'shop'));
});

after(async () => {
  for (const name of onTestServer) await dropDatabase(name);
  await Promise.all([...servers.values()].map((s) => s.stop()));
});

// 13 → 13 and 14: a target older than the tools (pg_restore 15); 13 → 15: the tools' own
// major; → 16, 17, 18: newer than the tools, which only pg_dump 16+ could dump to compare.
// 14 → 16 reads from the 13 → 14 copy.
for (const [from, to] of [
  [13, 13],
  [13, 14],
  [13, 15],
  [13, 17],
  [13, 18],
  [14, 16],
] as const) {
  test(`${from} → ${to}: what a dump and reload makes, with the source's contents`, async (t) => {
    const source = at(from, from === 13 ? 'shop' : 'from13');
    if (!(await databaseExists(source))) return t.skip(`needs the 13 → ${from} copy`);
    const target = at(to, `from${from}`);
    const reference = at(to, `reload${from}`);
    await Promise.all([copy(source, target), dumpAndReload(source, reference)]);
    assert.deepEqual(await catalog(target), await catalog(reference));
    if (to <= tools.major) assert.equal(schemaDump(target), schemaDump(reference));
    assert.deepEqual(await contentChecksums(target), await contentChecksums(source));
  });
}

// A source newer than the tools cannot be copied here, but with newer tools it would be: the
// engine's own queries on a source (catalog, plan, counts and checksums) must work on every
// major. The fixture is loaded natively on 16 to 18; 13 to 15 hold copies from the tests above.
test('the engine reads and verifies a source on every major from 13 to 18', async () => {
  await Promise.all([16, 17, 18].map((major) => createDatabase(at(major, 'native'))));
  const sources = [
    [13, at(13, 'shop')],
    [14, at(14, 'from13')],
    [15, at(15, 'from13')],
    [16, at(16, 'native')],
    [17, at(17, 'native')],
    [18, at(18, 'native')],
  ] as const;
  const tablesOf13: string[] = [];
  for (const [major, url] of sources) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const catalog = await readSourceCatalog(client);
      assert.equal(catalog.serverMajor, major);
      const tables = catalog.tables.map((t) => `${t.schema}.${t.name}`).sort();
      if (major === 13) tablesOf13.push(...tables);
      assert.deepEqual(tables, tablesOf13, `tables read on ${major}`);
      const plan = planCopy(catalog, loadProfile('plain'), { jobs: 2, keepFrom: false, maskKey: 'majors-test-key', splitBytes: undefined });
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      // The database against itself: every count and checksum query runs on both sides.
      await verifyCopy(plan, client, { snapshot: client, keepFrom: undefined }, true);
      // And the catalog fingerprint's.
      await verifyCatalog(client, client);
      await client.query('COMMIT');
    } finally {
      await client.end();
    }
  }
});

test("a refresh's cutover on every major: attributes carried over, sessions ended, databases swapped and dropped", async () => {
  for (const major of [13, 14, 16, 17, 18]) {
    const admin = new pg.Client({ connectionString: at(major, 'postgres') });
    await admin.connect();
    const user = new pg.Client({ connectionString: at(major, 'live') });
    user.on('error', () => {});
    try {
      for (const name of ['live', 'staging']) await admin.query(`CREATE DATABASE ${name}`);
      await admin.query(`REVOKE ALL ON DATABASE live FROM PUBLIC; CREATE ROLE app; GRANT CONNECT ON DATABASE live TO PUBLIC; GRANT CONNECT, TEMPORARY ON DATABASE live TO app WITH GRANT OPTION; COMMENT ON DATABASE live IS 'the live one'`);
      await copyDatabaseAttributes(admin, 'live', 'staging');
      const attributes = `SELECT datacl::text AS acl, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1`;
      assert.deepEqual((await admin.query(attributes, ['staging'])).rows, (await admin.query(attributes, ['live'])).rows, `attributes on ${major}`);
      await user.connect();
      const result = await swapDatabases(admin, [{ live: 'live', parkAs: 'parked', replacement: 'staging' }]);
      assert.equal(result.terminatedSessions, 1, `sessions ended on ${major}`);
      const names = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname IN ('live', 'parked', 'staging') ORDER BY 1`);
      assert.deepEqual(names.rows.map((r) => r.datname), ['live', 'parked']);
      assert.equal(await dropDatabaseIfExists(admin, 'parked'), true);
      assert.equal(await dropDatabaseIfExists(admin, 'live'), true);
    } finally {
      await user.end().catch(() => {});
      await admin.end();
    }
  }
});

/**
 * PostgreSQL 15 made the public schema owned by pg_database_owner, with CREATE no longer
 * granted to PUBLIC; pg_dump keeps an older source's owner and grants on it, and so does
 * the copy (compared whole by the tests above, and on its own here).
 */
test('13 → 15+: the public schema keeps the source\'s owner and grants (CREATE for PUBLIC)', async () => {
  const rows = async (url: string) => (await catalog(url)).filter((row) => row.object === 'schema public');
  assert.deepEqual(await rows(at(17, 'from13')), await rows(at(17, 'reload13')));
});

// A server newer than the tools found here (pg_dump 15 on this project's machines).
const NEWER = [16, 17, 18].find((major) => major > tools.major);

test('a source newer than pg_dump is refused before anything is created, naming the tools to install', { skip: NEWER === undefined && `pg_dump ${tools.major} is newer than every test server` }, async () => {
  const newer = NEWER!;
  const source = at(newer, 'small');
  await createDatabase(source, 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)');
  const target = at(18, `from${newer}`);
  const result = await runCli(['copy', '--from', source, '--to', target], env);
  assert.equal(result.code, 9, result.stderr);
  assert.match(result.stderr, new RegExp(`pg_dump ${tools.major} \\(.*\\) cannot dump the source's PostgreSQL ${newer} server: pg_dump ${newer} or newer is needed`));
  assert.match(
    result.stderr,
    new RegExp(`install the PostgreSQL ${newer} client tools \\(pg_dump and pg_restore ${newer} or newer; on Debian/Ubuntu the postgresql-client-${newer} package .*\\) and set DATAALM_PG_BIN`),
  );
  assert.equal(await databaseExists(target), false);
});

test('a target older than the source (a downgrade) is refused before anything is created', async () => {
  const target = at(13, 'from14');
  const result = await runCli(['copy', '--from', at(14, 'from13'), '--to', target, '--json'], env);
  assert.equal(result.code, 12, result.stderr + result.stdout);
  const answer = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { refused: boolean; reasons: { code: string; message: string }[] };
  assert.equal(answer.refused, true);
  assert.deepEqual(
    answer.reasons.map((r) => r.code),
    ['COPY_UNSUPPORTED'],
  );
  assert.match(answer.reasons[0]!.message, /PostgreSQL 14 .* PostgreSQL 13/);
  assert.equal(await databaseExists(target), false);
});

test('the tools: the newest major on PATH and in the install folders, a mismatched pair passed over, DATAALM_PG_BIN alone when set', () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-fake-tools-'));
  const fake = (name: string, dump: string, restore = dump) => {
    const bin = path.join(folder, name);
    fs.mkdirSync(bin);
    for (const [tool, version] of [['pg_dump', dump], ['pg_restore', restore]] as const) {
      fs.writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) ${version}"\n`, { mode: 0o755 });
    }
    return bin;
  };
  const [v14, v16, mixed] = [fake('v14', '14.11'), fake('v16', '16.2'), fake('mixed', '18.1', '17.3')];
  const saved = process.env.PATH;
  process.env.PATH = [v14, mixed, v16, saved ?? ''].join(path.delimiter);
  try {
    const found = findPgTools({ source: 13, target: 18 }, undefined);
    // Tools newer than 16 installed on this machine would rightly win.
    if (tools.major <= 16) assert.deepEqual(found, { pgDump: path.join(v16, 'pg_dump'), pgRestore: path.join(v16, 'pg_restore'), major: 16 });
    else assert.equal(found.major, tools.major);
    assert.throws(() => findPgTools({ source: 17, target: 17 }, v16), (error: DataalmError) => {
      assert.equal(error.code, 'TOOLS_MISSING');
      assert.match(error.message, /^pg_dump 16 \(.*v16\/pg_dump\) cannot dump the source's PostgreSQL 17 server/);
      assert.match(error.remedy!, /postgresql-client-17 .* postgresql17/);
      return true;
    });
    assert.equal(findPgTools({ source: 14, target: 14 }, v14).major, 14, 'DATAALM_PG_BIN is used even when PATH has newer tools');
    assert.throws(() => findPgTools({ source: 15, target: 13 }, v16), (error: RefusedError) => error.reasons[0]?.code === 'COPY_UNSUPPORTED');
  } finally {
    process.env.PATH = saved;
    fs.rmSync(folder, { recursive: true, force: true });
  }
});

test("a failing tool's error keeps the server's DETAIL and HINT", async () => {
  const psql = path.join(path.dirname(tools.pgDump), 'psql');
  const sql = `DO $$ BEGIN RAISE EXCEPTION 'no such thing' USING DETAIL = 'the detail', HINT = 'the hint'; END $$`;
  await assert.rejects(
    runTool(psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-c', sql], libpqEnv(server(13).url()), 'psql'),
    (error: Error) => {
      assert.match(error.message, /^psql failed: .*ERROR: +no such thing DETAIL: the detail HINT: the hint$/);
      return true;
    },
  );
});

/**
 * Every object of the database, by its description, with its owner, privileges, comment and
 * definition as the server itself prints them. Compared between two databases of one server
 * (definitions print differently across majors).
 */
async function catalog(url: string): Promise<Record<string, unknown>[]> {
  return queryRows(
    url,
    `WITH objects AS (
       SELECT 'pg_class'::regclass AS catalog, c.oid, c.relowner AS owner, c.relacl::text AS acl,
              concat_ws(' | ', c.relkind, c.relpersistence, c.relreplident, c.relrowsecurity, c.relforcerowsecurity, c.relispartition,
                        c.reloptions::text, pg_get_partkeydef(c.oid), pg_get_expr(c.relpartbound, c.oid),
                        CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
                        CASE WHEN c.relkind = 'i' THEN pg_get_indexdef(c.oid) END,
                        (SELECT string_agg(i.inhparent::regclass::text, ',' ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = c.oid),
                        (SELECT string_agg(concat_ws(' ', a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                                                     a.attgenerated, a.attstattarget, a.attislocal, a.attinhcount, a.attcollation::regcollation,
                                                     a.attoptions::text, pg_get_expr(d.adbin, d.adrelid), col_description(c.oid, a.attnum)),
                                           ', ' ORDER BY a.attnum)
                           FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
                          WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
                        (SELECT concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
                           FROM pg_sequence s WHERE s.seqrelid = c.oid),
                        (SELECT string_agg(x.indexrelid::regclass::text, ',') FROM pg_index x WHERE x.indrelid = c.oid AND x.indisclustered)) AS definition
         FROM pg_class c WHERE c.relnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       UNION ALL
       SELECT 'pg_proc'::regclass, p.oid, p.proowner, p.proacl::text,
              CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE pg_get_function_arguments(p.oid) END
         FROM pg_proc p WHERE p.pronamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')
       UNION ALL
       SELECT 'pg_type'::regclass, t.oid, t.typowner, t.typacl::text,
              concat_ws(' | ', t.typtype, t.typnotnull, format_type(t.typbasetype, t.typtypmod), t.typdefault,
                        (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                        (SELECT concat_ws(' ', r.rngsubtype::regtype, r.rngsubopc, r.rngcanonical, r.rngsubdiff) FROM pg_range r WHERE r.rngtypid = t.oid))
         FROM pg_type t WHERE t.typnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       UNION ALL
       SELECT 'pg_constraint'::regclass, k.oid, NULL, NULL, concat_ws(' | ', k.contype, k.condeferrable, k.condeferred, k.convalidated, pg_get_constraintdef(k.oid))
         FROM pg_constraint k WHERE k.connamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')
       UNION ALL
       SELECT 'pg_trigger'::regclass, g.oid, NULL, NULL, concat_ws(' | ', g.tgenabled, pg_get_triggerdef(g.oid))
         FROM pg_trigger g WHERE NOT g.tgisinternal
       UNION ALL
       SELECT 'pg_policy'::regclass, o.oid, NULL, NULL,
              concat_ws(' | ', o.polcmd, o.polpermissive, o.polroles::regrole[]::text, pg_get_expr(o.polqual, o.polrelid), pg_get_expr(o.polwithcheck, o.polrelid))
         FROM pg_policy o
       UNION ALL
       SELECT 'pg_namespace'::regclass, n.oid, n.nspowner, n.nspacl::text, NULL
         FROM pg_namespace n WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname !~ '^pg_(toast_)?temp'
       UNION ALL
       SELECT 'pg_extension'::regclass, e.oid, e.extowner, NULL, concat_ws(' | ', e.extversion, e.extnamespace::regnamespace)
         FROM pg_extension e
     )
     SELECT pg_describe_object(catalog, oid, 0) AS object, pg_get_userbyid(owner) AS owner, acl, definition,
            obj_description(oid, catalog::text) AS comment
       FROM objects ORDER BY 1, 4`,
  );
}
