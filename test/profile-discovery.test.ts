import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cliEnv, runCli } from './helpers/cli.ts';
import { loadRentalStore } from './helpers/rental-store.ts';
import { type TestDatabase, createTestDatabase, runSql } from './helpers/test-database.ts';
import { ibanValid, luhnValid, valueKind } from '../src/domain/discovery/value-tests.ts';

// profile init on an application dataalm knows nothing of (the rental store): what each
// column holds is found from its name, its type and a sample of its values.
const env = cliEnv({ DATAALM_SECRET_KEY: 'profile-discovery-test-installation-key' });
let store: TestDatabase;
let dir: string;

interface InitColumn {
  table: string;
  column: string;
  kind: string;
  confidence: string;
  evidence: { name?: string; content?: { kind: string; matches: number; sampled: number }; sampled: number };
  suggestion: { action: string; mask?: { transformer: string }; why: string };
}

before(async () => {
  store = await createTestDatabase('discovery');
  await loadRentalStore(store.url);
  // A ledger whose column names say nothing: only the check digits tell card numbers and IBANs.
  await runSql(
    store.url,
    `create table ledger (entry_id serial primary key, ref_a text, ref_b text, ref_c text, ref_d text);
     insert into ledger (ref_a, ref_b, ref_c, ref_d)
       select (array['4111111111111111','5500005555555559','4012888888881881','378282246310005','6011111111111117'])[1 + i % 5],
              (array['4111111111111112','5500005555555550','4012888888881882','378282246310006','6011111111111118'])[1 + i % 5],
              (array['DE89370400440532013000','GB82WEST12345698765432','FR1420041010050500013M02606','NL91ABNA0417164300'])[1 + i % 4],
              (array['DE89370400440532013001','GB82WEST12345698765433','FR1420041010050500013M02607','NL91ABNA0417164301'])[1 + i % 4]
         from generate_series(1, 40) i;
     create table customer_note (note_id serial primary key, customer_email text references customer (email));
     insert into customer_note (customer_email) select email from customer order by customer_id limit 30;`,
  );
  dir = fs.mkdtempSync(path.join(process.env.DATAALM_TEST_TMP ?? '/tmp', 'discovery-'));
});

after(async () => {
  await store.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('profile init --from URL', () => {
  let columns: InitColumn[];
  let clear: { schema: string; table: string; reason: string }[];
  let file: string;
  let output: string;

  before(async () => {
    file = path.join(dir, 'rental.yaml');
    const result = await runCli(['profile', 'init', '--from', store.url, '-o', file, '--json'], env);
    assert.equal(result.code, 0, result.stderr);
    output = result.stdout;
    ({ columns, clear } = JSON.parse(result.stdout) as { columns: InitColumn[]; clear: typeof clear });
  });

  const column = (table: string, name: string) => {
    const found = columns.find((c) => c.table === `public.${table}` && c.column === name);
    assert.ok(found, `public.${table}.${name} is classified`);
    return found;
  };

  test("classifies the store's e-mail, name, address, phone and password columns, each with a mask that fits", () => {
    const expected: [string, string, string, string][] = [
      ['customer', 'email', 'email', 'email'],
      ['staff', 'email', 'email', 'email'],
      ['customer', 'first_name', 'first-name', 'first-name'],
      ['customer', 'last_name', 'last-name', 'last-name'],
      ['staff', 'first_name', 'first-name', 'first-name'],
      ['staff', 'last_name', 'last-name', 'last-name'],
      ['address', 'address', 'street', 'street'],
      ['address', 'phone', 'phone', 'phone'],
      ['address', 'postal_code', 'postcode', 'postcode'],
      ['staff', 'password', 'secret', 'hash'],
    ];
    for (const [table, name, kind, transformer] of expected) {
      const c = column(table, name);
      assert.equal(c.kind, kind, `${table}.${name}`);
      assert.equal(c.suggestion.action, 'mask', `${table}.${name}`);
      assert.equal(c.suggestion.mask?.transformer, transformer, `${table}.${name}`);
    }
    // Name and content agree: the evidence says both, with counts.
    const email = column('customer', 'email');
    assert.equal(email.confidence, 'high');
    assert.match(email.evidence.name ?? '', /e-mail/);
    assert.equal(email.evidence.content?.kind, 'email');
    assert.equal(email.evidence.content?.sampled, 200, 'a bounded sample: 200 of 240 customers');
    assert.equal(email.evidence.content?.matches, 200);
    for (const [table, name] of [['film', 'title'], ['country', 'country'], ['city', 'city'], ['schema_migrations', 'version'], ['payment', 'amount']] as const) {
      assert.equal(column(table, name).kind, 'safe', `${table}.${name}`);
    }
  });

  test('suggests clearing the login history, and classifies its IP addresses by their type', () => {
    assert.deepEqual(clear.map((c) => `${c.schema}.${c.table}`), ['public.staff_login_history']);
    const ip = column('staff_login_history', 'ip_address');
    assert.equal(ip.kind, 'ip');
    assert.equal(ip.suggestion.action, 'clear');
  });

  test('tells card numbers and IBANs by their check digits, whatever the columns are called', () => {
    assert.equal(column('ledger', 'ref_a').kind, 'card-number');
    assert.equal(column('ledger', 'ref_a').suggestion.mask?.transformer, 'card-number');
    assert.equal(column('ledger', 'ref_b').kind, 'safe', 'failing Luhn: not card numbers');
    assert.equal(column('ledger', 'ref_c').kind, 'iban');
    assert.equal(column('ledger', 'ref_d').kind, 'safe', 'failing mod 97: not IBANs');
  });

  test('leaves a column that references a masked key to the key: its mask carries over', () => {
    const note = column('customer_note', 'customer_email');
    assert.equal(note.kind, 'email');
    assert.equal(note.suggestion.action, 'safe');
    assert.match(note.suggestion.why, /a foreign key to public\.customer\.email, whose mask \(if any\) carries over to it/);
  });

  test('never prints a sampled value', () => {
    const yaml = fs.readFileSync(file, 'utf8');
    for (const value of ['mike.hillyer@rentalstore.example', 'Hillyer', 'Maple Avenue', '555-', 'scrypt:', '4111111111111111', 'DE8937', '10.0.']) {
      assert.ok(!output.includes(value), `JSON output holds no ${value}`);
      assert.ok(!yaml.includes(value), `the profile holds no ${value}`);
    }
  });

  test('writes a strict profile, with comments, that validates and checks clean against the same database', async () => {
    const yaml = fs.readFileSync(file, 'utf8');
    assert.match(yaml, /^coverage: strict$/m);
    assert.match(yaml, /email: \{ transformer: email \} # email \(high\): its name says e-mail; 200 of 200 sampled values look like email/);
    assert.match(yaml, /# public\.staff_login_history looks like a log/);
    assert.doesNotMatch(yaml, /[&*]a\d/, 'no YAML anchors');
    const validated = await runCli(['profile', 'validate', file, '--against', store.url, '--json'], env);
    assert.equal(validated.code, 0, validated.stdout + validated.stderr);
    const checked = await runCli(['profile', 'check', file, '--against', store.url, '--json'], env);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);
    const report = JSON.parse(checked.stdout) as { ok: boolean; strict: boolean; undecided: string[]; unmasked: unknown[]; columns: number; decided: number };
    assert.deepEqual({ ok: report.ok, strict: report.strict, undecided: report.undecided, unmasked: report.unmasked }, { ok: true, strict: true, undecided: [], unmasked: [] });
    assert.equal(report.decided, report.columns);
  });

  test('refuses to overwrite a file, unless --force', async () => {
    const again = await runCli(['profile', 'init', '--from', store.url, '-o', file], env);
    assert.equal(again.code, 4, again.stderr);
    assert.match(again.stderr, /already exists.*--force/);
    const forced = await runCli(['profile', 'init', '--from', store.url, '-o', file, '--force'], env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stderr, /wrote .*rental\.yaml: profile "t-discovery-[0-9a-f]+" for [^:]+:\d+\/t_discovery_[0-9a-f]+: \d+ columns; \d+ masked, 1 table\(s\) cleared/);
  });
});

describe('value tests', () => {
  test('checksums, formats and prefixes decide the kind; look-alikes are not taken for it', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 32'), true);
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 33'), false);
    const kinds: [string, string | undefined][] = [
      ['maria@contoso.com', 'email'],
      ['4111 1111 1111 1111', 'card-number'],
      ['2001:db8::1', 'ip'],
      ['192.168.10.200', 'ip'],
      ['300.1.1.1', undefined],
      ['12:30:45', undefined],
      ['$2b$12$KIXQJQe0cUvJ6kF1u6m2UeQp6C1yJ3m5o9V6Hf1tq5Qx1W2E3R4T6', 'secret'],
      ['$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', 'secret'],
      ['3f9a1c7e-8b2d-4e6f-9a0b-1c2d3e4f5a6b', undefined],
      ['+44 20 7946 0958', 'phone'],
      ['2026-01-05', undefined],
      ['1234567.89', undefined],
      ['SW1A 1AA', 'postcode'],
      ['12 Baker Street', 'street'],
      ['Hauptstraße 5', 'street'],
      ['Maria Smith', 'full-name'],
      ['Penelope', 'first-name'],
      ['Nakamura', 'last-name'],
      ['The parcel was left with the neighbour at number twelve', 'free-text'],
      ['Film 12', undefined],
    ];
    for (const [value, kind] of kinds) assert.equal(valueKind(value), kind, value);
  });
});
