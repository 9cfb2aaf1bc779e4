import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { DataalmError } from '../src/domain/errors/dataalm-error.ts';
import { profileSchema } from '../src/domain/profile/profile-schema.ts';
import {
  type CatalogFingerprint,
  type ExpectRole,
  compareFingerprints,
  describeDifferences,
  readCatalogFingerprint,
} from '../src/engine/catalog-fingerprint.ts';
import { copyDatabase } from '../src/engine/copy-database.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, urlFor } from './helpers/test-database.ts';
import { everyObjectSql } from './helpers/every-object.ts';

// The catalog fingerprint: equal for a faithful copy of the every-object fixture, and each
// kind of drift (a missing index, a changed comment, owner, grant or function body) is found
// and named. A copy whose schema drifts before its verification fails with VERIFY_FAILED.
let source: TestDatabase;
let copyWarnings: string[] = [];
const databases: string[] = [];
const roles: string[] = [];

async function fingerprint(url: string): Promise<CatalogFingerprint> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await readCatalogFingerprint(client);
  } finally {
    await client.end();
  }
}

/** The copy's name; the copy is made once, by the real command. */
const copyName = () => `${source.name}_copy`;

/** A database cloned from the copy, to be changed by hand. */
async function cloneOfCopy(label: string): Promise<string> {
  const name = `${source.name}_${label}`;
  databases.push(name);
  await adminQuery(`CREATE DATABASE ${pg.escapeIdentifier(name)} TEMPLATE ${pg.escapeIdentifier(copyName())}`);
  return name;
}

async function run(url: string, sql: string): Promise<void> {
  await adminQuery(sql, [], url);
}

/** Kinds the copy reported (as warnings) it did not carry, as the engine's verification skips them. */
function withoutDeclaredLosses(f: CatalogFingerprint): CatalogFingerprint {
  const skipLargeObjects = copyWarnings.some((w) => /large objects/.test(w));
  return { ...f, rows: f.rows.filter((row) => !(skipLargeObjects && row.kind === 'large objects')) };
}

before(async () => {
  source = await createTestDatabase('fingerprint_src');
  await run(source.url, everyObjectSql());
  databases.push(copyName());
  const result = await runCli(['copy', '--from', source.url, '--to', urlFor(copyName()), '--json'], cliEnv({ DATAALM_SECRET_KEY: 'fingerprint-test-key' }));
  assert.equal(result.code, 0, result.stderr + result.stdout);
  copyWarnings = (JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { warnings: string[] }).warnings;
});

after(async () => {
  for (const name of databases) await dropDatabase(name);
  await source.drop();
  for (const role of roles) await adminQuery(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(role)}`);
});

test('a faithful copy of every kind of object has the same fingerprint, and the fingerprint covers every kind', async () => {
  const [want, got] = await Promise.all([fingerprint(source.url), fingerprint(urlFor(copyName()))]);
  assert.deepEqual(compareFingerprints(withoutDeclaredLosses(want), withoutDeclaredLosses(got)), []);
  const kinds = new Set(want.rows.map((r) => r.kind));
  for (const kind of [
    'schema', 'extension', 'table', 'partitioned table', 'view', 'materialized view', 'sequence', 'foreign table', 'column', 'attribute',
    'index', 'constraint', 'domain constraint', 'trigger', 'rule', 'policy', 'statistics', 'function', 'procedure', 'aggregate',
    'window function', 'enum', 'domain', 'range', 'composite type', 'collation', 'conversion', 'operator', 'operator class',
    'operator family', 'text search configuration', 'text search dictionary', 'server', 'cast', 'access method', 'event trigger',
    'publication', 'large objects',
  ]) {
    assert.ok(kinds.has(kind), `the fixture's fingerprint has no ${kind}`);
  }
  // Neither user mappings nor anything of an extension's own (citext's functions) is in it.
  assert.ok(!want.rows.some((r) => /citext/.test(r.identity) && r.kind === 'function'));
  assert.ok(!want.rows.some((r) => /mapping/i.test(r.kind)));
});

test('a missing index, a changed comment, owner or function body and a missing grant are each found and named', async () => {
  const role = `fp_owner_${source.name.slice(-8)}`;
  roles.push(role);
  await adminQuery(`CREATE ROLE ${pg.escapeIdentifier(role)} NOLOGIN`);
  const drifted = await cloneOfCopy('drifted');
  await run(
    urlFor(drifted),
    `DROP INDEX invoice_open_idx;
     COMMENT ON COLUMN "Sales Ops"."Customer"."Größe" IS 'size in inches';
     ALTER TABLE city OWNER TO ${pg.escapeIdentifier(role)};
     REVOKE EXECUTE ON FUNCTION whoami() FROM PUBLIC;
     CREATE OR REPLACE FUNCTION customer_total(c integer) RETURNS numeric LANGUAGE sql STABLE AS $$ SELECT 0::numeric $$;
     CREATE TABLE intruder (id int);`,
  );
  const want = withoutDeclaredLosses(await fingerprint(source.url));
  const got = withoutDeclaredLosses(await fingerprint(urlFor(drifted)));
  const differences = compareFingerprints(want, got);
  const said = differences.map((d) => `${d.kind} ${d.identity}: ${d.change}${d.property ? ` (${d.property})` : ''}`);
  for (const expected of [
    'index public.invoice_open_idx: missing in the copy',
    'column "Sales Ops"."Customer"."Größe": differs (comment)',
    'table public.city: differs (owner)',
    'function public.whoami(): differs (privileges)',
    'function public.customer_total(c integer): differs (body)',
    'table public.intruder: only in the copy',
    'column public.intruder.id: only in the copy',
  ]) {
    assert.ok(said.includes(expected), `${expected} not among:\n${said.join('\n')}`);
  }
  const message = describeDifferences(differences, 3);
  assert.match(message, /^schema differs: .+; .+; .+ \(\+\d+ more\)$/);
  assert.match(describeDifferences(differences), /index public\.invoice_open_idx missing in the copy/);
  assert.match(describeDifferences(differences), /comment differs \(source "size in cm", copy "size in inches"\)/);
});

test('roles pass through the expected mapping: an owner renamed, a grantee replaced by the connecting user is not expected', async () => {
  const suffix = source.name.slice(-8);
  const [prodOwner, sandboxOwner, auditor] = [`fp_prod_${suffix}`, `fp_sandbox_${suffix}`, `fp_auditor_${suffix}`];
  roles.push(prodOwner, sandboxOwner, auditor);
  for (const role of [prodOwner, sandboxOwner, auditor]) await adminQuery(`CREATE ROLE ${pg.escapeIdentifier(role)} NOLOGIN`);
  const [prod, sandbox] = await Promise.all([createTestDatabase('fp_roles_src'), createTestDatabase('fp_roles_dst')]);
  databases.push(prod.name, sandbox.name);
  const make = (owner: string, grantee: string | undefined) => `
    CREATE TABLE ledger (id int PRIMARY KEY, amount numeric);
    ALTER TABLE ledger OWNER TO ${pg.escapeIdentifier(owner)};
    GRANT SELECT ON ledger TO PUBLIC;
    ${grantee ? `GRANT SELECT, UPDATE ON ledger TO ${pg.escapeIdentifier(grantee)};` : ''}
    ALTER TABLE ledger ENABLE ROW LEVEL SECURITY;
    CREATE POLICY readers ON ledger FOR SELECT TO ${grantee ? `${pg.escapeIdentifier(grantee)}, ` : ''}pg_monitor USING (amount > 0);`;
  await run(prod.url, make(prodOwner, auditor));
  // The sandbox: the owner is renamed; the auditor does not exist there, so its grant and
  // its mention in the policy are gone.
  await run(sandbox.url, make(sandboxOwner, undefined));
  const [want, got] = await Promise.all([fingerprint(prod.url), fingerprint(sandbox.url)]);
  const expectRole: ExpectRole = (role) => (role === prodOwner ? sandboxOwner : role === auditor ? undefined : role);
  assert.deepEqual(compareFingerprints(want, got, expectRole), []);
  // Expected as itself, the auditor's grant and policy role are missing in the sandbox.
  const strict = compareFingerprints(want, got, (role) => (role === prodOwner ? sandboxOwner : role));
  assert.deepEqual(
    strict.map((d) => `${d.kind} ${d.identity} ${d.property ?? ''}`),
    ['policy public.ledger.readers roles', 'table public.ledger privileges'],
  );
});

test('a copy whose schema drifts before its verification fails with VERIFY_FAILED and is removed', async () => {
  const target = `${source.name}_drift`;
  databases.push(target);
  const targetUrl = urlFor(target);
  const copying = copyDatabase({
    sourceUrl: source.url,
    targetUrl,
    keepFromUrl: undefined,
    profile: profileSchema.parse({ name: 'plain', version: 1 }),
    maskKey: 'fingerprint-test-mask-key',
    jobs: 2,
    verify: 'counts',
    pgBin: undefined,
    // Events are delivered synchronously: the index is gone before verification reads the copy.
    onEvent: (event) => {
      if (event.type === 'phase' && event.phase === 'verify' && event.status === 'started') {
        execFileSync('psql', ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--command=DROP INDEX public.invoice_lines_idx', targetUrl], { stdio: 'pipe' });
      }
    },
  });
  await assert.rejects(copying, (error: DataalmError) => {
    assert.equal(error.code, 'VERIFY_FAILED', error.message);
    assert.match(error.message, /schema differs: index public\.invoice_lines_idx missing in the copy/);
    assert.match(error.message, /the new database was removed/);
    return true;
  });
  const left = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [target]);
  assert.equal(left.rowCount, 0);
});
