import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { SecretBox } from '../src/adapters/secrets/secret-box.ts';
import { verifyRules } from '../src/app/refresh/verification.ts';
import { TRANSFORMERS, maskSchema } from '../src/domain/profile/mask-schema.ts';
import { type ProfileInput, profileSchema } from '../src/domain/profile/profile-schema.ts';
import { EXAMPLE_SALT, TRANSFORMER_CATALOG } from '../src/domain/profile/transformer-catalog.ts';
import { maskExpression } from '../src/engine/mask-sql.ts';
import { cliEnv, runCli } from './helpers/cli.ts';
import { type TestDatabase, createTestDatabase, dropDatabase, queryRows, runSql, urlFor } from './helpers/test-database.ts';

// Every transformer on a real database, through a real `dataalm copy`: the output keeps the
// format, is the same in two copies, differs from the input, keeps null as null; a masked key
// carries its mask to every column that references it (recursively), so the copy's foreign
// keys hold; unique columns stay unique; the verification report proves each mask.
const SECRET_KEY = 'masking-transformers-test-installation-key';
const env = () => cliEnv({ DATAALM_SECRET_KEY: SECRET_KEY });
const maskKey = new SecretBox(scryptSync(SECRET_KEY, 'dataalm-secret-key', 32)).derive('masks');
let source: TestDatabase;
const made: string[] = [];
let folder: string;

const SCHEMA = `
  create table customers (
    id integer not null unique,
    code text primary key,
    account uuid not null unique,
    first_name text, last_name text, full_name text,
    email text unique,
    nick text unique,
    phone text, street text, city text, postcode text,
    card text, iban text,
    born date, joined timestamptz,
    balance numeric(12,2), visits integer,
    secret text, note text, tag text,
    doc jsonb,
    gone text, status text not null
  );
  create table vip (code text primary key references customers(code), level int);
  create table vip_notes (id serial primary key, vip text not null references vip(code), body text);
  create table orders (id serial primary key, customer text not null references customers(code), total numeric(10,2));
  create table payments (id serial primary key, account uuid references customers(account), amount int);
  create table mentions (id serial primary key, nick text references customers(nick));
  insert into customers
  select g,
         'C' || lpad(g::text, 5, '0'),
         md5('account' || g)::uuid,
         (array['Maria','John','Aiko','Omar'])[1 + g % 4],
         (array['Smith','Jones','Ito','Haddad'])[1 + g % 4],
         (array['Maria Smith','John Jones','Aiko Ito','Omar Haddad'])[1 + g % 4] || ' ' || g,
         'person' || g || '@contoso.com',
         'nick' || g,
         case when g % 10 = 0 then null else '+44 (20) ' || lpad((7946000 + g)::text, 7, '0') end,
         g || ' Baker Street',
         (array['London','Paris','Oslo'])[1 + g % 3],
         (array['SW1A 1AA','75008','1012 AB'])[1 + g % 3],
         '4111 1111 1111 ' || lpad(g::text, 4, '0'),
         'GB82 WEST 1234 5698 7654 ' || lpad((g % 100)::text, 2, '0'),
         date '1980-01-01' + g * 37,
         timestamptz '2024-01-01 12:00:00+00' + g * interval '5 hours',
         1000 + g * 13.37,
         10000 + g * 7,
         'secret-token-' || g,
         'order ' || g || ' for account ' || (g * 31),
         'tag' || g,
         jsonb_build_object('contact', jsonb_build_object('email', 'person' || g || '@contoso.com', 'phone', '555-01' || lpad(g::text, 3, '0')),
                            'score', 10000 + g * 10, 'since', '2020-02-' || lpad((1 + g % 28)::text, 2, '0'), 'keep', 'as is'),
         'gone' || g,
         'active'
    from generate_series(1, 300) g;
  insert into vip select code, id % 3 from customers where id % 5 = 0;
  insert into vip_notes (vip, body) select code, 'note on ' || code from vip;
  insert into orders (customer, total) select code, id * 2.5 from customers, generate_series(1, 2);
  insert into payments (account, amount) select account, id from customers where id % 2 = 0;
  insert into mentions (nick) select nick from customers, generate_series(1, 2) where id % 3 = 0;
`;

const MASKS: Record<string, unknown> = {
  code: { transformer: 'hash' },
  account: { transformer: 'uuid' },
  first_name: { transformer: 'first-name' },
  last_name: { transformer: 'last-name' },
  full_name: { transformer: 'full-name' },
  email: { transformer: 'email' },
  nick: { transformer: 'full-name' },
  phone: { transformer: 'phone' },
  street: { transformer: 'street' },
  city: { transformer: 'city' },
  postcode: { transformer: 'postcode' },
  card: { transformer: 'card-number' },
  iban: { transformer: 'iban' },
  born: { transformer: 'date-shift', days: 30 },
  joined: { transformer: 'date-shift', days: 10 },
  balance: { transformer: 'numeric-noise', percent: 10 },
  visits: { transformer: 'numeric-noise', percent: 20 },
  secret: { transformer: 'partial', keepFirst: 2, keepLast: 3 },
  note: { transformer: 'regex', pattern: '[0-9]', replacement: '#' },
  tag: { transformer: 'template', template: '{first-name}-{digits:6}@corp.test' },
  doc: { transformer: 'json', paths: { 'contact.email': { transformer: 'email' }, 'contact.phone': { transformer: 'phone' }, score: { transformer: 'numeric-noise', percent: 10 }, since: { transformer: 'date-shift', days: 5 } } },
  gone: { transformer: 'null' },
  status: { transformer: 'constant', value: 'masked' },
};
const PROFILE: ProfileInput = { name: 'all-transformers', version: 1, rules: [{ action: 'mask', table: 'customers', columns: MASKS as never }] };

function writeProfile(name: string, profile: unknown): string {
  const file = path.join(folder, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(profile));
  return file;
}

function newName(label: string): string {
  const name = `${source.name}_${label}`;
  made.push(name);
  return name;
}

async function copy(label: string, profile: unknown): Promise<string> {
  const url = urlFor(newName(label));
  const result = await runCli(['copy', '--from', source.url, '--to', url, '--profile', writeProfile(label, profile), '--verify', 'checksums'], env());
  assert.equal(result.code, 0, result.stderr);
  return url;
}

const luhn = (digits: string): boolean =>
  [...digits].reverse().reduce((sum, d, i) => sum + (i % 2 === 1 ? [0, 2, 4, 6, 8, 1, 3, 5, 7, 9][Number(d)]! : Number(d)), 0) % 10 === 0;
const ibanValid = (iban: string): boolean => {
  const compact = iban.replace(/\s/g, '');
  const digits = (compact.slice(4) + compact.slice(0, 4)).replace(/[A-Z]/g, (l) => String(l.charCodeAt(0) - 55));
  return BigInt(digits) % 97n === 1n;
};
const shape = (text: string) => text.replace(/[0-9]/g, '9').replace(/[A-Z]/g, 'A').replace(/[a-z]/g, 'a');

before(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-masking-'));
  source = await createTestDatabase('masking_src');
  await runSql(source.url, SCHEMA);
});

after(async () => {
  await source.drop();
  for (const name of made) await dropDatabase(name);
  fs.rmSync(folder, { recursive: true, force: true });
});

describe('every transformer through dataalm copy', () => {
  let first: string;
  let second: string;
  let original: Map<number, Record<string, unknown>>;
  let after1: Map<number, Record<string, unknown>>;
  const all = 'select *, born::text as born_t, joined::text as joined_t, doc::text as doc_t from customers order by id';

  before(async () => {
    first = await copy('first', PROFILE);
    second = await copy('second', PROFILE);
    original = new Map((await queryRows(source.url, all)).map((r) => [r.id as number, r]));
    after1 = new Map((await queryRows(first, all)).map((r) => [r.id as number, r]));
    assert.equal(after1.size, original.size);
  });

  /** Each source value against its masked value, row by row (the unmasked id matches them). */
  const pairs = (column: string) => [...original].map(([id, row]) => [row[column], after1.get(id)![column]] as const);

  const formats: Record<string, RegExp | ((input: string, output: string) => boolean)> = {
    code: /^[0-9a-f]{32}$/,
    account: /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    first_name: /^[A-Z][a-z]+$/,
    last_name: /^[A-Z][a-z]+$/,
    full_name: /^[A-Z][a-z]+ [A-Z][a-z]+$/,
    email: /^[0-9a-f]{20}@example\.invalid$/,
    nick: /^[A-Z][a-z]+ [A-Z][a-z]+ [0-9a-f]{16}$/,
    phone: (i, o) => shape(i) === shape(o),
    street: /^\d{1,3} [A-Z][a-z]+ [A-Z][a-z]+$/,
    city: /^[A-Z][a-z]+( [A-Z][a-z]+)?$/,
    postcode: (i, o) => shape(i) === shape(o),
    card: (i, o) => shape(i) === shape(o) && luhn(o.replace(/\D/g, '')),
    iban: (i, o) => shape(i) === shape(o) && o.startsWith('GB') && ibanValid(o),
    secret: (i, o) => o.length === i.length && o.startsWith(i.slice(0, 2)) && o.endsWith(i.slice(-3)) && /^..\*+...$/.test(o),
    note: (i, o) => o === i.replace(/[0-9]/g, '#'),
    tag: /^[A-Z][a-z]+-\d{6}@corp\.test$/,
  };
  for (const [column, format] of Object.entries(formats)) {
    test(`${column} (${(MASKS[column] as { transformer: string }).transformer}): keeps the format, differs from the input, null stays null`, () => {
      for (const [input, output] of pairs(column)) {
        if (input === null) {
          assert.equal(output, null, `${column}: null in, null out`);
          continue;
        }
        assert.notEqual(output, input, `${column}: ${String(input)} was not masked`);
        const ok = typeof format === 'function' ? format(String(input), String(output)) : format.test(String(output));
        assert.ok(ok, `${column}: ${String(input)} → ${String(output)} does not keep the format`);
      }
    });
  }

  test('date-shift: within ± days, never 0, the same date shifts the same way', () => {
    for (const [column, days] of [['born', 30], ['joined', 10]] as const) {
      for (const [input, output] of pairs(column)) {
        const shift = ((output as Date).getTime() - (input as Date).getTime()) / 86_400_000;
        assert.ok(Math.abs(shift) >= 1 && Math.abs(shift) <= days && Number.isInteger(Math.round(shift * 24) / 24), `${column}: shifted by ${shift} days`);
      }
    }
  });

  test('numeric-noise: within ± percent, never unchanged, rounded to the column type', () => {
    for (const [column, percent] of [['balance', 10], ['visits', 20]] as const) {
      for (const [input, output] of pairs(column)) {
        const [i, o] = [Number(input), Number(output)];
        assert.notEqual(o, i);
        assert.ok(Math.abs(o - i) <= (i * percent) / 100 + (column === 'visits' ? 0.5 : 0.005), `${column}: ${i} → ${o}`);
        if (column === 'visits') assert.ok(Number.isInteger(o));
        else assert.match(String(output), /^\d+\.\d{2}$/);
      }
    }
  });

  test('json: the paths are masked with their own transformers, the rest of the document is kept', () => {
    for (const [id, row] of original) {
      const [i, o] = [JSON.parse(row.doc_t as string), JSON.parse(after1.get(id)!.doc_t as string)];
      assert.match(o.contact.email, /^[0-9a-f]{20}@example\.invalid$/);
      assert.equal(shape(o.contact.phone), shape(i.contact.phone));
      assert.notEqual(o.contact.phone, i.contact.phone);
      assert.equal(typeof o.score, 'number');
      assert.ok(o.score !== i.score && Math.abs(o.score - i.score) <= i.score * 0.1 + 0.5, `score ${i.score} → ${o.score}`);
      assert.match(o.since, /^2020-0[1-3]-\d{2}$/);
      assert.notEqual(o.since, i.since);
      assert.equal(o.keep, 'as is');
      // The same value masks the same way inside JSON as in a column with the same transformer.
      assert.equal(o.contact.email, after1.get(id)!.email);
    }
  });

  test('null and constant', () => {
    for (const [, output] of pairs('gone')) assert.equal(output, null);
    for (const [, output] of pairs('status')) assert.equal(output, 'masked');
  });

  test('deterministic: a second copy is the same, and equal inputs give equal outputs', async () => {
    for (const table of ['customers', 'vip', 'vip_notes', 'orders', 'payments', 'mentions']) {
      const sql = `select * from ${table} order by 1`;
      assert.deepEqual(await queryRows(second, sql), await queryRows(first, sql), table);
    }
    const cities = new Map<unknown, unknown>();
    for (const [input, output] of pairs('city')) {
      if (cities.has(input)) assert.equal(output, cities.get(input));
      cities.set(input, output);
    }
  });

  test('unique columns stay unique; list-based masks there get a digest suffix', async () => {
    for (const column of ['code', 'account', 'email', 'nick']) {
      const [row] = await queryRows(first, `select count(*)::int as n, count(distinct ${column})::int as d from customers`);
      assert.equal(row!.d, row!.n, column);
    }
  });

  test('a masked key carries its mask to every referencing column, recursively: the foreign keys hold', async () => {
    const fks = await queryRows(first, "select conname from pg_constraint where contype = 'f' and convalidated order by 1");
    assert.equal(fks.length, 5);
    // A list-based mask (full-name) on a referenced unique column: its digest suffix goes with it.
    const links = [['orders', 'customer', 'customers', 'code'], ['vip', 'code', 'customers', 'code'], ['vip_notes', 'vip', 'vip', 'code'], ['payments', 'account', 'customers', 'account'], ['mentions', 'nick', 'customers', 'nick']];
    for (const [child, column, parent, key] of links) {
      const [counts] = await queryRows(first, `select count(*)::int as n, count(p.${key})::int as matched from ${child} c left join ${parent} p on p.${key} = c.${column}`);
      const [sourceCounts] = await queryRows(source.url, `select count(c.${column})::int as n from ${child} c`);
      assert.equal(counts!.matched, sourceCounts!.n, `${child}.${column}`);
      const [leaked] = await queryRows(first, `select count(*)::int as n from ${child} where ${column}::text in (select ${key}::text from (values ('C00001'), ('C00002')) v(${key}))`);
      assert.equal(leaked!.n, 0);
    }
    // Each order still belongs to the same customer: the unmasked id goes with it.
    const sql = 'select o.id, c.id as customer from orders o join customers c on c.code = o.customer order by o.id';
    assert.deepEqual(await queryRows(first, sql), await queryRows(source.url, sql));
  });

  test('the verification report proves every mask, carried ones included, and fails on an unmasked copy', async () => {
    const profile = profileSchema.parse(PROFILE);
    const open = async (url: string) => {
      const client = new pg.Client(url);
      await client.connect();
      return client;
    };
    const [src, masked] = [await open(source.url), await open(first)];
    const plainUrl = await copy('plain', { name: 'plain-copy', version: 1 });
    const plain = await open(plainUrl);
    try {
      const checks = await verifyRules({ profile, administrator: 'Admin', staging: masked, source: src, maskKey });
      const masks = checks.filter((c) => c.rule.startsWith('mask:'));
      const expected = [...Object.keys(MASKS).map((c) => `customers.${c}`), 'orders.customer', 'vip.code', 'vip_notes.vip', 'payments.account', 'mentions.nick'];
      assert.deepEqual(masks.map((c) => c.rule).sort(), expected.map((c) => `mask:public.${c}`).sort());
      for (const check of masks) assert.equal(check.status, 'passed', `${check.rule}: ${check.detail}`);
      assert.match(masks.find((c) => c.rule === 'mask:public.vip_notes.vip')!.detail, /hash: none of \d+ rows checked by key holds its source value \(the mask of public\.customers\.code, which it references\)/);
      const unmasked = await verifyRules({ profile, administrator: 'Admin', staging: plain, source: src, maskKey });
      for (const check of unmasked.filter((c) => c.rule.startsWith('mask:public.customers.') && !/\.(code|gone|status)$/.test(c.rule))) {
        assert.equal(check.status, 'failed', `${check.rule} should fail on an unmasked copy: ${check.detail}`);
      }
    } finally {
      await Promise.all([src.end(), masked.end(), plain.end()]);
    }
  });
});

describe('masks that would break keys or types are refused before anything is copied', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['a referencing column alone', { table: 'orders', columns: { customer: { transformer: 'hash' } } }, /orders\.customer references public\.customers\.code \(foreign key orders_customer_fkey\), which is not masked: .*Mask public\.customers\.code instead/],
    ['when on a referenced key', { table: 'customers', columns: { code: { transformer: 'hash', when: { column: 'status', equals: 'active' } } } }, /public\.customers\.code is referenced by public\.\w+\.\w+ \(foreign key \w+\), so it cannot be masked only when status = active/],
    ['a key mask that could map two keys to one', { table: 'customers', columns: { email: { transformer: 'phone' } } }, /email belongs to a primary or unique key, and the phone transformer could give two values the same mask/],
    ['date-shift on a text column', { table: 'customers', columns: { note: { transformer: 'date-shift', days: 3 } } }, /the date-shift transformer needs a date or timestamp column, and note is text/],
    ['null on a NOT NULL column', { table: 'customers', columns: { status: { transformer: 'null' } } }, /status is NOT NULL, so the null transformer cannot be used/],
  ];
  for (const [label, rule, expected] of cases) {
    test(label, async () => {
      const name = newName(label.replace(/\W+/g, '_'));
      const file = writeProfile(name, { name: 'bad', version: 1, rules: [{ action: 'mask', ...rule }] });
      const result = await runCli(['copy', '--from', source.url, '--to', urlFor(name), '--profile', file], env());
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, expected);
      const checked = await runCli(['profile', 'validate', file, '--against', source.url], env());
      assert.match(checked.stdout, expected);
    });
  }

  test('parameters are checked with clear messages', () => {
    const bad: [unknown, RegExp][] = [
      [{ transformer: 'date-shift' }, /days/],
      [{ transformer: 'date-shift', days: 0 }, /must be at least 1/],
      [{ transformer: 'numeric-noise', percent: 500 }, /must be at most 100/],
      [{ transformer: 'hash', days: 3 }, /days/],
      [{ transformer: 'template', template: '{nope}' }, /unknown placeholder \{nope\}/],
      [{ transformer: 'partial', maskChar: '**' }, /must be one character/],
      [{ transformer: 'json', paths: { 'a.b': { transformer: 'json', paths: {} } } }, /transformer must be one of/],
      [{ transformer: 'rot13' }, /transformer must be one of first-name, last-name/],
    ];
    for (const [mask, message] of bad) {
      const result = maskSchema.safeParse(mask);
      assert.equal(result.success, false, JSON.stringify(mask));
      assert.match(JSON.stringify(result.error!.issues), message, JSON.stringify(mask));
    }
  });
});

describe('dataalm profile transformers', () => {
  test('lists every transformer with its parameters and an example, the example being what the SQL makes', async () => {
    const result = await runCli(['profile', 'transformers', '--json'], env());
    assert.equal(result.code, 0, result.stderr);
    const { transformers } = JSON.parse(result.stdout) as { transformers: { name: string; parameters: unknown[]; example: { input: string; output: string | null } }[] };
    assert.deepEqual(transformers.map((t) => t.name).sort(), [...TRANSFORMERS].sort());
    const client = new pg.Client(source.url);
    await client.connect();
    try {
      for (const info of TRANSFORMER_CATALOG) {
        const expr = maskExpression('v', info.example.type, maskSchema.parse(info.example.mask), { salt: EXAMPLE_SALT });
        const { rows } = await client.query(`select (${expr})::text as out from (select $1::${info.example.type} as v) s`, [info.example.input]);
        assert.equal(rows[0].out, info.example.output, info.name);
        const listed = transformers.find((t) => t.name === info.name)!;
        assert.deepEqual(listed.example, { input: info.example.input, output: info.example.output });
      }
    } finally {
      await client.end();
    }
    const human = await runCli(['profile', 'transformers'], env());
    assert.match(human.stdout, /^card-number: .*\n {2}example: "4111 1111 1111 1111" → "\d{4} \d{4} \d{4} \d{4}"$/m);
    assert.match(human.stdout, /^date-shift: .*\n {2}days: the largest shift, in days\n {2}example with \{"days":30\}: /m);
  });
});
