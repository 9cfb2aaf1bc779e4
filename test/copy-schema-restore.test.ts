import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { cliEnv, runCli } from './helpers/cli.ts';
import { schemaDump } from './helpers/compare-databases.ts';
import { type TestDatabase, createTestDatabase, dropDatabase, queryRows, urlFor } from './helpers/test-database.ts';
import { parseScript } from '../src/engine/schema-script.ts';
import { runPreData } from '../src/engine/schema-runner.ts';

// The schema is restored by dataalm from pg_restore's script: thousands of tables at the
// server's default lock settings, server hints kept in errors.
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

test("a script from newer tools runs on an older target: a parameter the server lacks is not set", async () => {
  // pg_restore 17 and later write SET transaction_timeout = 0 whatever server the script is for.
  const script = parseScript(
    [
      'SET statement_timeout = 0;',
      'SET transaction_timeout = 0;',
      'SET no_such_parameter_anywhere = 0;',
      "SELECT pg_catalog.set_config('search_path', '', false);",
      '',
      '--',
      '-- TOC entry 8 (class 1259 OID 16401)',
      '-- Name: kept; Type: TABLE; Schema: public; Owner: someone',
      '--',
      '',
      'CREATE TABLE public.kept (id int);',
      '',
    ].join('\n'),
    'pre-data',
  );
  await runPreData(scratch.url, script);
  assert.deepEqual(await queryRows(scratch.url, `SELECT to_regclass('public.kept')::text AS t`), [{ t: 'kept' }]);
});
