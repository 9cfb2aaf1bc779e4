import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runTool, runToolOutput } from '../src/adapters/postgres/pg-tools.ts';
import { lockCapacityReason } from '../src/domain/preflight/lock-capacity.ts';
import { involvedRoles, rewriteEntry } from '../src/engine/role-rewrite.ts';
import { parseScript } from '../src/engine/schema-script.ts';

// The schema script read strictly, role names found and rewritten only where pg_dump writes
// them, and the lock-capacity rule: no database needed.

test('the script: \\restrict lines dropped, other meta-commands refused, context SETs given to the entry after them, owners read before a tablespace', () => {
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
    '-- Name: b; Type: TABLE; Schema: public; Owner: x; Tablespace: fast',
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
  // PostgreSQL's defaults: 100 connections, 3 autovacuum workers and their launcher, 8 worker processes, 10 WAL senders.
  const facts = { server: 'db:5432', maxLocksPerTransaction: 64, maxConnections: 100, otherBackends: 22, maxPreparedTransactions: 0, lockedRelations: 5000 };
  assert.equal(lockCapacityReason(facts), undefined, '5,000 tables fit at the defaults');
  assert.equal(lockCapacityReason({ ...facts, lockedRelations: 6808 }), undefined);
  const reason = lockCapacityReason({ ...facts, lockedRelations: 9000 });
  assert.equal(reason?.code, 'LOCK_TABLE_TOO_SMALL');
  assert.match(reason!.message, /db:5432.*7808 locks.*22 other backends.*9000 tables takes 10000/);
  assert.match(reason!.remedy, /max_locks_per_transaction = 128 on db:5432/);
});

test('roles are read and renamed only where pg_dump writes them, never in names or bodies', () => {
  const entry = (id: number, type: string, name: string, owner: string, sql: string) =>
    `--\n-- TOC entry ${id} (class 0 OID ${id})\n-- Name: ${name}; Type: ${type}; Schema: public; Owner: ${owner}\n--\n\n${sql}\n\n`;
  const script = parseScript(
    entry(1, 'FUNCTION', 'f()', 'a', "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$ SELECT 'ALTER TABLE t OWNER TO a;' $$;\n\n\nALTER FUNCTION public.f() OWNER TO a;") +
      entry(2, 'TABLE', 'x TO a', 'a', 'CREATE TABLE public."x TO a" (i int);\n\n\nALTER TABLE public."x TO a" OWNER TO a;') +
      entry(3, 'ACL', 'TABLE "x TO a"', 'a', 'REVOKE ALL ON TABLE public."x TO a" FROM PUBLIC;\nGRANT SELECT(i) ON TABLE public."x TO a" TO "B b" WITH GRANT OPTION;') +
      entry(4, 'POLICY', 'x TO a p', 'a', 'CREATE POLICY p ON public."x TO a" AS RESTRICTIVE FOR SELECT TO a, PUBLIC USING ((current_user = \'a\'::name));') +
      entry(5, 'DEFAULT ACL', 'DEFAULT PRIVILEGES FOR TABLES', 'a', 'ALTER DEFAULT PRIVILEGES FOR ROLE a IN SCHEMA public GRANT SELECT ON TABLES  TO "B b";'),
    'pre-data',
  );
  assert.deepEqual(involvedRoles([script], { a: 'c' }, new Set(['c'])), [
    { source: 'B b', target: 'B b', exists: false },
    { source: 'a', target: 'c', exists: true },
  ]);
  const report = { ownersReplaced: 0, grantsDropped: 0, defaultsDropped: 0, policiesChanged: 0 };
  const mapped = script.entries.map((e) => rewriteEntry(e, { roleMap: { a: 'c' }, missing: new Set(), policy: 'refuse', targetUser: 'me' }, report)?.sql.trim());
  assert.deepEqual(mapped, [
    "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$ SELECT 'ALTER TABLE t OWNER TO a;' $$;\n\n\nALTER FUNCTION public.f() OWNER TO \"c\";",
    'CREATE TABLE public."x TO a" (i int);\n\n\nALTER TABLE public."x TO a" OWNER TO "c";',
    'REVOKE ALL ON TABLE public."x TO a" FROM PUBLIC;\nGRANT SELECT(i) ON TABLE public."x TO a" TO "B b" WITH GRANT OPTION;',
    'CREATE POLICY p ON public."x TO a" AS RESTRICTIVE FOR SELECT TO "c", PUBLIC USING ((current_user = \'a\'::name));',
    'ALTER DEFAULT PRIVILEGES FOR ROLE "c" IN SCHEMA public GRANT SELECT ON TABLES  TO "B b";',
  ]);
  // No map, nothing missing: the very same entries.
  for (const e of script.entries) assert.equal(rewriteEntry(e, { roleMap: {}, missing: new Set(), policy: 'refuse', targetUser: 'me' }, report), e);
  // target-user: grants to the missing role go, default privileges for it go, its objects are the connecting user's.
  const left = script.entries.map((e) => rewriteEntry(e, { roleMap: {}, missing: new Set(['a', 'B b']), policy: 'target-user', targetUser: 'me' }, report)?.sql.trim());
  assert.deepEqual(left, [
    "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql AS $$ SELECT 'ALTER TABLE t OWNER TO a;' $$;\n\n\nALTER FUNCTION public.f() OWNER TO \"me\";",
    'CREATE TABLE public."x TO a" (i int);\n\n\nALTER TABLE public."x TO a" OWNER TO "me";',
    'REVOKE ALL ON TABLE public."x TO a" FROM PUBLIC;',
    'CREATE POLICY p ON public."x TO a" AS RESTRICTIVE FOR SELECT TO PUBLIC USING ((current_user = \'a\'::name));',
    undefined,
  ]);
  assert.deepEqual(report, { ownersReplaced: 2, grantsDropped: 1, defaultsDropped: 1, policiesChanged: 1 });
});

test("a failing tool's error keeps the server's DETAIL and HINT lines", async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-tool-'));
  try {
    const tool = path.join(folder, 'pg_restore');
    const lines = ['pg_restore: reading things', 'pg_restore: error: query failed: ERROR:  out of shared memory', 'HINT:  You might need to increase max_locks_per_transaction.', 'DETAIL:  more'];
    fs.writeFileSync(tool, `#!/bin/sh\n${lines.map((l) => `echo '${l}' >&2`).join('\n')}\nexit 1\n`, { mode: 0o755 });
    await assert.rejects(runTool(tool, [], process.env, 'pg_restore of x'), /out of shared memory HINT: You might need to increase max_locks_per_transaction\. DETAIL: more/);
    await assert.rejects(runToolOutput(tool, [], 'pg_restore --section=pre-data'), /HINT: You might need to increase max_locks_per_transaction/);
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
