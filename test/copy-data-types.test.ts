import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { checksum } from '../src/engine/copy-verify.ts';
import { databasePropertyRoles, readDatabaseProperties, setClause, splitGucList } from '../src/adapters/postgres/database-properties.ts';
import { largeObjectRoles } from '../src/engine/large-objects.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { contentChecksums } from './helpers/compare-databases.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, queryRows, urlFor } from './helpers/test-database.ts';

// Table data and database-level properties arrive exactly: reg* columns name the same
// objects (not the source's OIDs), aclitem columns, tables without columns, large objects
// with owner, comment and grants, and the database's settings, role settings, comment,
// ACL and owner.
const suffix = randomBytes(3).toString('hex');
const owner = `dt_owner_${suffix}`;
const reader = `dt_reader_${suffix}`;
let source: TestDatabase;
let keepFrom: TestDatabase;
const copies: string[] = [];
const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-data-types-'));
const env = cliEnv({ DATAALM_SECRET_KEY: 'data-types-test-installation-key' });

const SOURCE_SQL = `
  CREATE SCHEMA app;
  -- Objects made and dropped first, so the source's OIDs are not what the copy's would be by chance.
  CREATE TABLE app.scratch (x int); DROP TABLE app.scratch;
  CREATE TABLE app.target_t (id int PRIMARY KEY);
  CREATE FUNCTION app.f(int) RETURNS int LANGUAGE sql AS 'SELECT $1';
  CREATE TYPE app.mood AS ENUM ('calm');
  CREATE DOMAIN app.regdom AS regclass;
  CREATE TEXT SEARCH CONFIGURATION app.cfg (COPY = pg_catalog.english);
  CREATE TABLE app.refs (
    id int PRIMARY KEY, c regclass, t regtype, p regprocedure, n regnamespace, r regrole, cfg regconfig,
    cs regclass[], d app.regdom, a aclitem, aa aclitem[], plain_oid oid, note text
  );
  INSERT INTO app.refs VALUES
    (1, 'app.target_t', 'app.mood', 'app.f(integer)', 'app', '${reader}', 'app.cfg',
     ARRAY['app.target_t', 'pg_class']::regclass[], 'app.target_t', '${reader}=r/${owner}', ARRAY['${reader}=rw/${owner}', '=r/${owner}']::aclitem[], 42, 'one'),
    (2, 'pg_class', 'integer', 'pg_catalog.lower(text)', 'pg_catalog', '${owner}', 'pg_catalog.simple',
     '{}', 'app.refs', NULL, NULL, NULL, 'two'),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'three');
  CREATE TABLE app.no_columns ();
  INSERT INTO app.no_columns SELECT FROM generate_series(1, 3);
  CREATE TABLE app.only_generated (g int GENERATED ALWAYS AS (7) STORED);
  INSERT INTO app.only_generated SELECT FROM generate_series(1, 2);
  CREATE TABLE app.docs (id int PRIMARY KEY, doc oid);
  DO $$
  DECLARE big oid; small oid; empty oid;
  BEGIN
    big := lo_from_bytea(0, convert_to(repeat('0123456789', 250000), 'UTF8'));  -- 2.5 MB: several chunks
    small := lo_from_bytea(0, '\\x00ff10'::bytea);
    empty := lo_create(0);
    INSERT INTO app.docs VALUES (1, big), (2, small), (3, empty);
    EXECUTE format('ALTER LARGE OBJECT %s OWNER TO ${owner}', big);
    EXECUTE format('COMMENT ON LARGE OBJECT %s IS %L', big, 'the big one');
    EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO ${reader}', big);
    EXECUTE format('GRANT UPDATE ON LARGE OBJECT %s TO ${reader} WITH GRANT OPTION', big);
    EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO PUBLIC', small);
  END $$;
  -- More objects than one batch, so several workers share them.
  SELECT lo_from_bytea(0, convert_to('object ' || i, 'UTF8')) FROM generate_series(1, 1100) AS i;
`;

function databaseSql(database: string, comment: string, workMem: string): string {
  const db = pg.escapeIdentifier(database);
  return `
    ALTER DATABASE ${db} SET work_mem = '${workMem}';
    ALTER DATABASE ${db} SET search_path = "$user", app, public;
    ALTER DATABASE ${db} SET default_transaction_read_only = on;
    ALTER ROLE ${reader} IN DATABASE ${db} SET work_mem = '3MB';
    ALTER ROLE ${owner} IN DATABASE ${db} SET search_path = '';
    COMMENT ON DATABASE ${db} IS '${comment}';
    REVOKE ALL ON DATABASE ${db} FROM PUBLIC;
    GRANT CONNECT ON DATABASE ${db} TO ${reader} WITH GRANT OPTION;
    GRANT CREATE ON DATABASE ${db} TO ${owner};
    ALTER DATABASE ${db} OWNER TO ${owner};
  `;
}

before(async () => {
  await adminQuery(`CREATE ROLE ${owner} NOLOGIN; CREATE ROLE ${reader} NOLOGIN`);
  source = await createTestDatabase('data_types_src');
  keepFrom = await createTestDatabase('data_types_keep');
  await adminQuery(SOURCE_SQL, [], source.url);
  await adminQuery(databaseSql(source.name, 'production data', '12MB'));
  await adminQuery(databaseSql(keepFrom.name, 'the sandbox of its own', '5MB'));
  await adminQuery(`ALTER DATABASE ${pg.escapeIdentifier(keepFrom.name)} RESET default_transaction_read_only`);
});

after(async () => {
  for (const name of copies) await dropDatabase(name);
  await source?.drop();
  await keepFrom?.drop();
  await adminQuery(`DROP ROLE IF EXISTS ${owner}; DROP ROLE IF EXISTS ${reader}`);
  fs.rmSync(folder, { recursive: true, force: true });
});

async function copy(name: string, extra: string[] = []): Promise<{ warnings: string[] }> {
  copies.push(name);
  const result = await runCli(['copy', '--from', source.url, '--to', urlFor(name), '--jobs', '2', '--verify', 'checksums', '--json', ...extra], env);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const final = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { type: string; warnings: string[] };
  assert.equal(final.type, 'result');
  return final;
}

/** reg* values as names (search_path = pg_catalog, so names outside it are qualified). */
const REFS_AS_TEXT = `
  SELECT id, c::text, t::text, p::text, n::text, r::text, cfg::text, cs::text, d::text, a::text, aa::text, plain_oid::text, note
    FROM app.refs ORDER BY id`;

async function rowsAsNames(url: string): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET search_path = pg_catalog');
    return (await client.query(REFS_AS_TEXT)).rows;
  } finally {
    await client.end();
  }
}

const LARGE_OBJECTS = `
  SELECT l.oid::text, pg_get_userbyid(l.lomowner) AS owner, obj_description(l.oid, 'pg_largeobject') AS comment,
         l.lomacl::text AS acl, md5(lo_get(l.oid)) AS md5, length(lo_get(l.oid)) AS length
    FROM pg_largeobject_metadata l ORDER BY l.oid`;

const DATABASE_PROPERTIES = (database: string) => `
  SELECT pg_get_userbyid(d.datdba) AS owner, shobj_description(d.oid, 'pg_database') AS comment, d.datacl::text AS acl,
         (SELECT setconfig::text FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole = 0) AS settings,
         (SELECT string_agg(pg_get_userbyid(s.setrole) || ':' || s.setconfig::text, ' ' ORDER BY pg_get_userbyid(s.setrole))
            FROM pg_db_role_setting s WHERE s.setdatabase = d.oid AND s.setrole <> 0) AS role_settings
    FROM pg_database d WHERE d.datname = '${database}'`;

test('reg*, aclitem, column-less tables, large objects and database properties arrive exactly; verify checksums passes', async () => {
  const name = `${source.name}_copy`;
  const result = await copy(name);
  assert.deepEqual(result.warnings, []);
  const copyUrl = urlFor(name);

  // The same objects are named, though every OID outside pg_catalog differs.
  const [want, got] = await Promise.all([rowsAsNames(source.url), rowsAsNames(copyUrl)]);
  assert.deepEqual(got, want);
  assert.equal((want[0] as { c: string }).c, 'app.target_t');
  const [srcOid, copyOid] = await Promise.all([
    queryRows(source.url, `SELECT c::oid::text AS o FROM app.refs WHERE id = 1`),
    queryRows(copyUrl, `SELECT c::oid::text AS o FROM app.refs WHERE id = 1`),
  ]);
  assert.notEqual(copyOid[0]!.o, srcOid[0]!.o, 'the copy holds its own OID for app.target_t');
  assert.deepEqual(await contentChecksums(copyUrl), await contentChecksums(source.url));
  assert.deepEqual(await queryRows(copyUrl, 'SELECT count(*)::int AS n FROM app.no_columns'), [{ n: 3 }]);
  assert.deepEqual(await queryRows(copyUrl, 'SELECT count(*)::int AS n, sum(g)::int AS s FROM app.only_generated'), [{ n: 2, s: 14 }]);

  // Large objects: same OIDs (app.docs refers to them), data, owner, comment and grants.
  const objects = await queryRows(copyUrl, LARGE_OBJECTS);
  assert.deepEqual(objects, await queryRows(source.url, LARGE_OBJECTS));
  assert.equal(objects.length, 1103);
  assert.ok(objects.some((o) => o.owner === owner && o.comment === 'the big one' && o.length === 2_500_000));

  // Database properties, the owner included.
  const properties = await queryRows(copyUrl, DATABASE_PROPERTIES(name));
  const expected = await queryRows(source.url, DATABASE_PROPERTIES(source.name));
  assert.deepEqual(properties, expected);
  assert.equal(properties[0]!.owner, owner);
  assert.match(String(properties[0]!.settings), /default_transaction_read_only=on/);
});

test('databaseProperties: target takes them from the keep-from database, and says so when there is none', async () => {
  const profile = path.join(folder, 'target-properties.json');
  fs.writeFileSync(profile, JSON.stringify({ name: 'target-properties', version: 1, databaseProperties: 'target' }));
  const kept = `${source.name}_kept`;
  const result = await copy(kept, ['--profile', profile, '--keep-from', keepFrom.url]);
  assert.deepEqual(result.warnings, []);
  assert.deepEqual(await queryRows(urlFor(kept), DATABASE_PROPERTIES(kept)), await queryRows(keepFrom.url, DATABASE_PROPERTIES(keepFrom.name)));

  const bare = `${source.name}_bare`;
  const alone = await copy(bare, ['--profile', profile]);
  assert.equal(alone.warnings.length, 1);
  assert.match(alone.warnings[0]!, /no keep-from database/);
  const [row] = await queryRows(urlFor(bare), DATABASE_PROPERTIES(bare));
  assert.deepEqual({ ...row, owner: undefined }, { owner: undefined, comment: null, acl: null, settings: null, role_settings: null });
});

test('roles map through profile.roles; with missingRoles target-user an absent role leaves its objects to the connecting user', async () => {
  const profile = path.join(folder, 'mapped-roles.json');
  const absent = `dt_absent_${suffix}`;
  fs.writeFileSync(profile, JSON.stringify({ name: 'mapped-roles', version: 1, roles: { [owner]: reader, [reader]: absent }, missingRoles: 'target-user' }));
  const name = `${source.name}_mapped`;
  const result = await copy(name, ['--profile', profile]);
  assert.equal(result.warnings.length, 3, result.warnings.join('\n'));
  // The missing-role preflight counts the roles large objects and database properties name.
  assert.match(result.warnings[0]!, new RegExp(`^roles missing on [^:]+:\\d+: ${absent};`));
  assert.match(result.warnings.join('\n'), new RegExp(`grants on large objects to ${reader} were not copied`));
  assert.match(result.warnings.join('\n'), new RegExp(`database grants and role settings of ${reader} were not copied`));
  const me = String((await adminQuery<{ u: string }>('SELECT current_user AS u')).rows[0]!.u);
  const objects = await queryRows(urlFor(name), LARGE_OBJECTS);
  const big = objects.find((o) => o.comment === 'the big one')!;
  assert.equal(big.owner, reader);
  // The owner's own rights went with it; the grants to the absent role were left out.
  assert.equal(big.acl, `{${reader}=rw/${reader}}`);
  const [properties] = await queryRows(urlFor(name), DATABASE_PROPERTIES(name));
  assert.equal(properties!.owner, reader);
  assert.equal(properties!.acl, `{${reader}=CTc/${reader}}`);
  // The owner's role settings (search_path = '') went to the role standing for it.
  assert.equal(properties!.role_settings, `${reader}:{"search_path=\\"\\""}`);
  assert.notEqual(me, reader);
});

test('a reg* value naming an object made after the data (an index) fails the copy loudly, and leaves nothing', async () => {
  const database = await createTestDatabase('data_types_index_ref');
  try {
    await adminQuery('CREATE TABLE t (id int PRIMARY KEY); CREATE TABLE r (c regclass); INSERT INTO r VALUES (\'t_pkey\')', [], database.url);
    const name = `${database.name}_copy`;
    const result = await runCli(['copy', '--from', database.url, '--to', urlFor(name), '--jobs', '1', '--json'], env);
    assert.notEqual(result.code, 0);
    const failure = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { error: { code: string; message: string } };
    assert.equal(failure.error.code, 'COPY_FAILED');
    assert.match(failure.error.message, /public\.r: relation "public\.t_pkey" does not exist \(a reg\* column names an object the copy does not have/);
    assert.deepEqual(await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [name]).then((r) => r.rows), []);
  } finally {
    await database.drop();
  }
});

test('the checksum compares reg* values by name: the source raw OIDs in a copy make it differ', async () => {
  const name = `${source.name}_copy`;
  assert.ok(copies.includes(name), 'runs after the first test made the copy');
  const table = { qualifiedName: '"app"."refs"', namesObjects: true };
  const columns = ['"id"', '"c"', '"cs"', '"d"', '"t"', '"p"'];
  const sourceClient = new pg.Client({ connectionString: source.url });
  const copyClient = new pg.Client({ connectionString: urlFor(name) });
  await sourceClient.connect();
  await copyClient.connect();
  try {
    const want = await checksum(sourceClient, table, columns);
    assert.equal(await checksum(copyClient, table, columns), want);
    // What a binary COPY would have carried: the source's OIDs.
    const raw = (await sourceClient.query<{ c: string; t: string }>('SELECT c::oid::text AS c, t::oid::text AS t FROM app.refs WHERE id = 1')).rows[0]!;
    await copyClient.query('BEGIN READ WRITE');
    await copyClient.query(`UPDATE app.refs SET c = $1::oid::regclass, cs = ARRAY[$1::oid::regclass, 'pg_class'], d = $1::oid::regclass, t = $2::oid::regtype WHERE id = 1`, [
      raw.c,
      raw.t,
    ]);
    assert.notEqual(await checksum(copyClient, table, columns), want);
    await copyClient.query('ROLLBACK');
  } finally {
    await sourceClient.end();
    await copyClient.end();
  }
});

test('the roles large objects and database properties name, for the missing-role preflight', async () => {
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  try {
    const me = (await client.query<{ u: string }>('SELECT current_user AS u')).rows[0]!.u;
    assert.deepEqual(await largeObjectRoles(client), [owner, reader, me].sort());
    assert.deepEqual(databasePropertyRoles(await readDatabaseProperties(client)), [owner, reader].sort());
  } finally {
    await client.end();
  }
});

test('database settings are written as pg_dump writes them: list settings element by element, others as one literal', () => {
  assert.deepEqual(splitGucList('"$user", public'), ['$user', 'public']);
  assert.deepEqual(splitGucList('""'), ['']);
  assert.deepEqual(splitGucList('"a ""b""",c'), ['a "b"', 'c']);
  assert.equal(setClause('search_path="$user", app'), `SET "search_path" TO '$user', 'app'`);
  assert.equal(setClause('work_mem=64MB'), `SET "work_mem" TO '64MB'`);
  assert.equal(setClause("app.note=it's=fine"), `SET "app.note" TO 'it''s=fine'`);
});

test('a profile that clears a table referring to large objects is refused before anything is created: the objects would still be copied', async () => {
  const profile = path.join(folder, 'clear-docs.json');
  fs.writeFileSync(profile, JSON.stringify({ name: 'clear-docs', version: 1, rules: [{ action: 'clear', schema: 'app', table: 'docs' }] }));
  const name = `${source.name}_cleared`;
  const result = await runCli(['copy', '--from', source.url, '--to', urlFor(name), '--profile', profile, '--json'], env);
  assert.equal(result.code, 12, result.stderr + result.stdout);
  const refusal = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { reasons: { code: string; message: string }[] };
  assert.equal(refusal.reasons[0]!.code, 'COPY_UNSUPPORTED');
  assert.match(refusal.reasons[0]!.message, /app\.docs\.doc is cleared, but the source's large objects it refers to would be copied/);
  assert.equal((await queryRows(urlFor('postgres'), `SELECT count(*)::int AS n FROM pg_database WHERE datname = '${name}'`))[0]!.n, 0);
});
