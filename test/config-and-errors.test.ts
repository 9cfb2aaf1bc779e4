import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config/config.ts';
import { DATAALM_CODES, ERROR_CODES, REFUSAL_CODES } from '../src/domain/errors/dataalm-error.ts';
import { parseNewEnvironment } from '../src/domain/environment-input.ts';
import { SecretBox } from '../src/adapters/secrets/secret-box.ts';
import { ROOT } from './helpers/cli.ts';

test('config: defaults, env overrides, frozen', () => {
  // Without DATAALM_HOME and without a .dataalm in the current folder: the user's one project.
  const config = loadConfig({ HOME: '/home/ann' }, '/srv/app');
  assert.deepEqual([config.home, config.homeOrigin], ['/home/ann/.dataalm', 'user']);
  assert.equal(config.httpPort, 4280);
  assert.equal(config.httpHost, '127.0.0.1');
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.demoScale, 0.01);
  assert.ok(Object.isFrozen(config));
  const custom = loadConfig({ DATAALM_PORT: '8080', DATAALM_HOME: '/var/dataalm', DATAALM_DEMO: 'false' }, '/srv/app');
  assert.deepEqual([custom.httpPort, custom.home, custom.homeOrigin, custom.demo], [8080, '/var/dataalm', 'setting', false]);
});

test('config: unknown or invalid settings are refused by name', () => {
  assert.throws(() => loadConfig({ DATAALM_PROT: '1' }), /unknown setting DATAALM_PROT/);
  assert.throws(() => loadConfig({ DATAALM_PORT: '99999' }), /setting DATAALM_PORT/);
  assert.throws(() => loadConfig({ DATAALM_DATABASE_URL: 'mysql://x' }), /DATAALM_DATABASE_URL: must be a postgres/);
  assert.doesNotThrow(() => loadConfig({ DATAALM_TEST_DATABASE_URL: 'anything' }));
});

test('every error code is documented in docs/errors.md', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  for (const [code, { exit, status }] of Object.entries(ERROR_CODES)) {
    assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${exit} \\| ${status} \\|`), `${code} missing or wrong in docs/errors.md`);
  }
});

test('docs/errors.md lists every code of the union, and no code outside it', () => {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  // The codes a table row of the document is about: those in its first cell.
  const documented = new Set(
    doc
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Z][A-Z_]+)`/g)].map((m) => m[1]!)),
  );
  const codes = new Set<string>(DATAALM_CODES);
  assert.equal(codes.size, DATAALM_CODES.length, 'a code is listed twice');
  assert.deepEqual(DATAALM_CODES.filter((code) => !documented.has(code)), [], 'codes missing from docs/errors.md');
  assert.deepEqual([...documented].filter((code) => !codes.has(code)), [], 'documented codes that dataalm does not have');
  for (const code of ['PROFILE_INVALID', 'RECURRING_JOBS_UNKNOWN', 'WORKER_STOPPED']) assert.ok(documented.has(code), code);
});

test('every code written in src/ as a refusal, an error or an operation error is in the union', () => {
  const src = path.join(ROOT, 'src');
  const codes = new Set<string>(DATAALM_CODES);
  const refusals = new Set<string>(REFUSAL_CODES);
  const unknown: string[] = [];
  for (const file of fs.readdirSync(src, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'))) {
    const text = fs.readFileSync(path.join(src, file), 'utf8');
    // `code: 'X'` in a reason or an error, refuse('X', …), new DataalmError('X', …).
    for (const m of text.matchAll(/\bcode: '([A-Z][A-Z_]{3,})'|\brefuse\('([A-Z][A-Z_]{3,})'|DataalmError\('([A-Z][A-Z_]{3,})'/g)) {
      const code = m[1] ?? m[2] ?? m[3]!;
      if (!codes.has(code)) unknown.push(`${file}: ${code}`);
    }
    for (const [, code] of text.matchAll(/\brefuse\('([A-Z][A-Z_]{3,})'/g)) if (!refusals.has(code!)) unknown.push(`${file}: ${code} is no refusal code`);
  }
  assert.deepEqual(unknown, []);
});

test('environment input: the administrator belongs to the tenant; domains are normalised', () => {
  const valid = {
    name: 'uat', type: 'sandbox', tenant: 'Contoso.com', administrator: 'Admin@Contoso.com', applicationRelease: '10.0.38',
    platformUpdate: '62', financialReportingVersion: '10.0.38.3', retail: false, profile: 'plain',
    documentStorage: null, syncCommand: null, databaseUrls: { application: 'postgresql://h/db' },
  };
  const parsed = parseNewEnvironment(valid);
  assert.deepEqual([parsed.tenant, parsed.administrator, parsed.platformUpdate], ['contoso.com', 'admin@contoso.com', 62]);
  assert.doesNotThrow(() => parseNewEnvironment({ ...valid, administrator: 'admin@eu.contoso.com' }));
  assert.throws(() => parseNewEnvironment({ ...valid, administrator: 'admin@contoso.com.evil.org' }), /must belong to the tenant/);
  for (const junk of ['-1', '', ' ', '0x10', '1e2', '6.5', 'sixty']) {
    assert.throws(() => parseNewEnvironment({ ...valid, platformUpdate: junk }), /platformUpdate \(--platform-update\): must be a whole number such as 62/, junk);
  }
});

test('secret box: round trip, bound to its context, refuses another key', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));
  const sealed = box.seal('postgresql://u:pw@h/db', 'environment:a:application');
  assert.ok(!sealed.toString('latin1').includes('pw@h'));
  assert.equal(box.open(sealed, 'environment:a:application'), 'postgresql://u:pw@h/db');
  assert.throws(() => box.open(sealed, 'environment:b:application'), /cannot decrypt/);
  assert.throws(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'environment:a:application'), /cannot decrypt/);
  assert.notEqual(box.fingerprint(), new SecretBox(Buffer.alloc(32, 8)).fingerprint());
});
