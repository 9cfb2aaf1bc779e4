import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { cliEnv, runCli } from './helpers/cli.ts';
import { schemaDump } from './helpers/compare-databases.ts';
import { type TestDatabase, createTestDatabase, dropDatabase, queryRows, urlFor } from './helpers/test-database.ts';
import { lockCapacityReason } from '../src/domain/preflight/lock-capacity.ts';
import { parseScript } from '../src/engine/schema-script.ts';
import { runPreData } from '../src/engine/schema-runner.ts';

// The schema is restored by dataalm from pg_restore's script: thousands of tables at the
// server's default lock settings, server hints kept in errors, the script read strictly.
const TABLES = 3000;
let many: TestDatabase;
let scratch: TestDatabase;
const copies: string[] = [];
const env = cliEnv({ DATAALM_SECRET_KEY: 'copy-test-installation-key' });

before(async () => {
  many = await createTestDatabase('many_tables');
  scratch = await createTestDatabase('script_runner');
  const client = new pg.Client({ connectionString: many.url });
  await client.connect();
  try {
    await client.query(`DO $$ BEGIN
      FOR i IN 1..${TABLES} LOOP
        EXECUTE format('CREATE TABLE %I (id int PRIMARY KEY, note text)', 't' || i);
        IF i % 500 = 0 THEN EXECUTE format('INSERT INTO %I VALUES (1, %L)', 't' || i, 'row'); END IF;
      END LOOP;
    END $$`);
  } finally {
    await client.end();
  }
});

after(async () => {
  await many.drop();
  await scratch.drop();
  for (const name of copies) await dropDatabase(name);
});

test(`a source with ${TABLES} tables copies at the default max_locks_per_transaction`, async () => {
  const name = `${many.name}_copy`;
  copies.push(name);
  const settings = await queryRows(many.url, `SELECT current_setting('max_locks_per_transaction') AS locks`);
  assert.equal(settings[0]!.locks, '64');
  const result = await runCli(['copy', '--from', many.url, '--to', urlFor(name), '--jobs', '2', '--json'], env, 300_000);
  assert.equal(result.code, 0, result.stderr.slice(-2000) + result.stdout.slice(-2000));
  const counts = await queryRows(urlFor(name), `SELECT count(*)::int AS n FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`);
  assert.equal(counts[0]!.n, TABLES);
  assert.equal(schemaDump(urlFor(name)), schemaDump(many.url));
});

test('a failing statement names its entry and keeps the server HINT and DETAIL', async () => {
  const script = parseScript(
    [
      "SET client_encoding = 'UTF8';",
      "SELECT pg_catalog.set_config('search_path', '', false);",
      '',
      '--',
      '-- TOC entry 7 (class 1259 OID 16400)',
      '-- Name: broken; Type: VIEW; Schema: public; Owner: someone',
      '-- Data Pos: 0',
      '--',
      '',
      'CREATE VIEW public.broken AS SELECT public.no_such_function(1) AS x;',
      '',
    ].join('\n'),
    'pre-data',
  );
  assert.equal(script.entries.length, 1);
  await assert.rejects(runPreData(scratch.url, script), (error: Error) => {
    assert.match(error.message, /^VIEW broken: function public\.no_such_function\(integer\) does not exist HINT: No function matches/);
    return true;
  });
});

test('the script: \\restrict lines dropped, other meta-commands refused, context SETs given to the entry after them', () => {
  const text = [
    '\\restrict abc123',
    'SET statement_timeout = 0;',
    "SET default_tablespace = '';",
    '',
    '--',
    '-- TOC entry 5 (class 1259 OID 1)',
    '-- Dependencies: 3 4',
    '-- Name: a; Type: TABLE; Schema: public; Owner: x',
    '--',
    '',
    'CREATE TABLE public.a (i int);',
    '',
    '',
    'ALTER TABLE public.a OWNER TO x;',
    '',
    'SET default_table_access_method = heap;',
    '',
    '--',
    '-- TOC entry 6 (class 1259 OID 2)',
    '-- Name: b; Type: TABLE; Schema: public; Owner: x',
    '--',
    '',
    'CREATE TABLE public.b (i int);',
    '',
    '--',
    '-- PostgreSQL database dump complete',
    '--',
    '',
    '\\unrestrict abc123',
  ].join('\n');
  const script = parseScript(text, 'pre-data');
  assert.deepEqual(script.preamble, ['SET statement_timeout = 0;']);
  assert.deepEqual(
    script.entries.map((e) => [e.dumpId, e.deps, e.type, e.name, e.owner, e.prelude, e.sql.trim()]),
    [
      [5, [3, 4], 'TABLE', 'a', 'x', ["SET default_tablespace = '';"], 'CREATE TABLE public.a (i int);\n\n\nALTER TABLE public.a OWNER TO x;'],
      [6, [], 'TABLE', 'b', 'x', ["SET default_tablespace = '';", 'SET default_table_access_method = heap;'], 'CREATE TABLE public.b (i int);'],
    ],
  );
  assert.throws(() => parseScript(`SET a = 1;\n\\connect other\n`, 'pre-data'), /meta-command/);
});

test('lock capacity: refused with the setting that fits, naming the server', () => {
  const facts = { server: 'db:5432', maxLocksPerTransaction: 64, maxConnections: 100, maxPreparedTransactions: 0, lockedRelations: 3000 };
  assert.equal(lockCapacityReason(facts), undefined);
  const reason = lockCapacityReason({ ...facts, lockedRelations: 5000 });
  assert.equal(reason?.code, 'LOCK_TABLE_TOO_SMALL');
  assert.match(reason!.message, /db:5432.*6400 locks.*5000 tables takes 10000/);
  assert.match(reason!.remedy, /max_locks_per_transaction = 128 on db:5432/);
});
