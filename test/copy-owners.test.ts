import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { cliEnv, runCli } from './helpers/cli.ts';
import { contentChecksums, schemaDump } from './helpers/compare-databases.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, queryRows, urlFor } from './helpers/test-database.ts';
import { everyObjectSql } from './helpers/every-object.ts';

// Owners, grants, default privileges and policy roles are copied; roles are mapped or, when
// missing on the target, refused, created or left to the connecting user.
const suffix = randomBytes(3).toString('hex');
const role = (name: string) => `own_${name}_${suffix}`;
const owner = role('owner');
const reader = role('Reader'); // mixed case: always quoted
const granter = role('granter');
const mapped = role('mapped');
const absent = role('absent');
const created: string[] = [];
const copies: string[] = [];
let source: TestDatabase;
const env = cliEnv({ DATAALM_SECRET_KEY: 'copy-test-installation-key' });
const q = pg.escapeIdentifier;

before(async () => {
  for (const r of [owner, reader, granter, mapped]) {
    await adminQuery(`CREATE ROLE ${q(r)} NOLOGIN`);
    created.push(r);
  }
  source = await createTestDatabase('owners_src');
  const client = new pg.Client({ connectionString: source.url });
  await client.connect();
  try {
    await client.query(everyObjectSql());
    await client.query(`
      CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'localhost');
      GRANT USAGE ON FOREIGN SERVER remote TO ${q(granter)};
      ALTER SCHEMA public OWNER TO ${q(owner)};
      REVOKE CREATE ON SCHEMA public FROM PUBLIC;
      GRANT USAGE ON SCHEMA public TO ${q(reader)};
      ALTER SCHEMA "Sales Ops" OWNER TO ${q(owner)};
      GRANT ALL ON SCHEMA "Sales Ops" TO ${q(granter)} WITH GRANT OPTION;
      ALTER TABLE invoice OWNER TO ${q(owner)};
      ALTER SEQUENCE invoice_no OWNER TO ${q(owner)};
      ALTER TYPE mood OWNER TO ${q(owner)};
      ALTER FUNCTION customer_total(integer) OWNER TO ${q(owner)};
      GRANT SELECT ON invoice TO ${q(reader)};
      GRANT SELECT (customer), UPDATE (amount) ON invoice TO ${q(granter)} WITH GRANT OPTION;
      GRANT USAGE ON SEQUENCE invoice_no TO ${q(reader)};
      GRANT USAGE ON TYPE mood TO ${q(reader)};
      REVOKE EXECUTE ON FUNCTION customer_total(integer) FROM PUBLIC;
      GRANT EXECUTE ON FUNCTION customer_total(integer) TO ${q(reader)};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} IN SCHEMA public GRANT SELECT ON TABLES TO ${q(reader)};
      ALTER DEFAULT PRIVILEGES FOR ROLE ${q(owner)} GRANT EXECUTE ON FUNCTIONS TO ${q(granter)};
      CREATE POLICY readers ON secret_note AS RESTRICTIVE FOR SELECT TO ${q(reader)}, ${q(granter)} USING (true);
      COMMENT ON INDEX invoice_open_idx IS 'open invoices';
      COMMENT ON CONSTRAINT invoice_pkey ON invoice IS 'the key';
      COMMENT ON CONSTRAINT "Customer_email_key" ON "Sales Ops"."Customer" IS 'one address, one customer';
      COMMENT ON CONSTRAINT invoice_customer_fk ON invoice IS 'who pays';
    `);
    // A grant made by a role other than the owner: pg_dump writes it under SET SESSION AUTHORIZATION.
    await client.query(`SET ROLE ${q(granter)}; GRANT SELECT (customer) ON invoice TO ${q(reader)}; RESET ROLE`);
  } finally {
    await client.end();
  }
});

after(async () => {
  await source.drop();
  for (const name of copies) await dropDatabase(name);
  for (const r of created.reverse()) {
    await adminQuery(`DROP OWNED BY ${q(r)}`).catch(() => {});
    await adminQuery(`DROP ROLE IF EXISTS ${q(r)}`);
  }
});

async function copy(name: string, extra: string[] = []) {
  const target = `${source.name}_${name}`;
  copies.push(target);
  const result = await runCli(['copy', '--from', source.url, '--to', urlFor(target), '--jobs', '2', '--json', ...extra], env);
  return { target, result };
}

test('owners, grants, default privileges, policy roles and comments on the indexes and keys built by the copy are copied', async () => {
  const { target, result } = await copy('same');
  assert.equal(result.code, 0, result.stderr + result.stdout);
  assert.equal(schemaDump(urlFor(target)), schemaDump(source.url));
  assert.deepEqual(await contentChecksums(urlFor(target)), await contentChecksums(source.url));
  const comments = await queryRows(urlFor(target), `SELECT obj_description('public.invoice_open_idx'::regclass, 'pg_class') AS c`);
  assert.equal(comments[0]!.c, 'open invoices');
});

test('a role map renames owners, grantees, default-privilege roles and policy roles', async () => {
  const { target, result } = await copy('mapped', ['--role-map', `${owner}=${mapped}`, '--role-map', `${reader}=${granter}`]);
  assert.equal(result.code, 0, result.stderr + result.stdout);
  const dump = schemaDump(urlFor(target));
  assert.ok(!dump.includes(owner) && !dump.includes(reader), 'no source-only name is left');
  const rows = await queryRows(
    urlFor(target),
    `SELECT (SELECT tableowner FROM pg_tables WHERE tablename = 'invoice') AS owner,
            has_table_privilege(${pg.escapeLiteral(granter)}, 'public.invoice', 'SELECT') AS reads,
            (SELECT array_to_string(polroles::regrole[], ',') FROM pg_policy WHERE polname = 'readers') AS policy,
            (SELECT count(*) FROM pg_default_acl WHERE defaclrole = ${pg.escapeLiteral(mapped)}::regrole)::int AS defaults`,
  );
  assert.deepEqual(rows[0], { owner: mapped, reads: true, policy: granter, defaults: 2 });
  // The rest of the schema is the source's, with the names replaced.
  const expected = schemaDump(source.url).replaceAll(`"${reader}"`, granter).replaceAll(owner, mapped);
  assert.equal(dump.split('\n').length, expected.split('\n').length);
});

test('a role missing on the target: refused before anything is created, created NOLOGIN, or left to the connecting user', async () => {
  const refused = await copy('refused', ['--role-map', `${reader}=${absent}`]);
  assert.equal(refused.result.code, 12, refused.result.stderr + refused.result.stdout);
  const answer = JSON.parse(refused.result.stdout.trim().split('\n').at(-1)!) as { refused: boolean; reasons: { code: string; message: string }[] };
  assert.equal(answer.refused, true);
  assert.equal(answer.reasons[0]!.code, 'ROLES_MISSING');
  assert.match(answer.reasons[0]!.message, new RegExp(absent));
  const exists = await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [refused.target]);
  assert.equal(exists.rowCount, 0);

  const made = await copy('created', ['--role-map', `${reader}=${absent}`, '--missing-roles', 'create']);
  created.unshift(absent);
  assert.equal(made.result.code, 0, made.result.stderr + made.result.stdout);
  const login = await adminQuery<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [absent]);
  assert.deepEqual(login.rows, [{ rolcanlogin: false }]);
  // pg_dump lists a policy's roles in OID order, and the created role is newer.
  const policy = /^CREATE POLICY readers .*$/m;
  assert.equal(schemaDump(urlFor(made.target)).replace(policy, ''), schemaDump(source.url).replaceAll(`"${reader}"`, absent).replace(policy, ''));
  const roles = await queryRows(urlFor(made.target), `SELECT polroles::regrole[]::text[] AS r FROM pg_policy WHERE polname = 'readers'`);
  assert.deepEqual((roles[0]!.r as string[]).sort(), [absent, granter].sort());

  const gone = role('gone');
  const left = await copy('target_user', ['--role-map', `${owner}=${gone}`, '--missing-roles', 'target-user']);
  assert.equal(left.result.code, 0, left.result.stderr + left.result.stdout);
  const final = JSON.parse(left.result.stdout.trim().split('\n').at(-1)!) as { warnings: string[] };
  assert.ok(final.warnings.some((w) => w.includes(gone) && w.includes('belongs to')), final.warnings.join('\n'));
  const rows = await queryRows(
    urlFor(left.target),
    `SELECT (SELECT tableowner FROM pg_tables WHERE tablename = 'invoice') AS owner, current_user AS me,
            (SELECT count(*) FROM pg_default_acl)::int AS defaults,
            has_table_privilege(${pg.escapeLiteral(reader)}, 'public.invoice', 'SELECT') AS reads`,
  );
  assert.equal(rows[0]!.owner, rows[0]!.me);
  assert.equal(rows[0]!.defaults, 0);
  assert.equal(rows[0]!.reads, true);
  // The grantees and a grantor replaced: their grants go, the policy naming only them applies
  // to the connecting user, default privileges granted only to them go; the copy verifies.
  const both = await copy('grantees_gone', ['--role-map', `${reader}=${role('gone_reader')}`, '--role-map', `${granter}=${role('gone_granter')}`, '--missing-roles', 'target-user']);
  assert.equal(both.result.code, 0, both.result.stderr + both.result.stdout);
  const policy2 = await queryRows(urlFor(both.target), `SELECT polroles::regrole[]::text[] AS r, current_user AS me FROM pg_policy WHERE polname = 'readers'`);
  assert.deepEqual(policy2[0]!.r, [policy2[0]!.me]);
  const grants = await queryRows(urlFor(both.target), `SELECT count(*)::int AS n FROM information_schema.column_privileges WHERE table_name = 'invoice' AND grantee IN (${pg.escapeLiteral(reader)}, ${pg.escapeLiteral(granter)})`);
  assert.equal(grants[0]!.n, 0);
});
