import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../src/config/config.ts';
import { ERROR_CODES } from '../src/domain/errors/dataalm-error.ts';
import { parseNewEnvironment } from '../src/domain/environment-input.ts';
import { SecretBox } from '../src/adapters/secrets/secret-box.ts';
import { ROOT } from './helpers/cli.ts';

test('config: defaults, env overrides, frozen', () => {
  const config = loadConfig({}, '/srv/app');
  assert.equal(config.home, '/srv/app/.dataalm');
  assert.equal(config.httpPort, 4280);
  assert.equal(config.httpHost, '127.0.0.1');
  assert.equal(config.databaseUrl, undefined);
  assert.equal(config.demoScale, 0.01);
  assert.ok(Object.isFrozen(config));
  const custom = loadConfig({ DATAALM_PORT: '8080', DATAALM_HOME: '/var/dataalm', DATAALM_DEMO: 'false' }, '/srv/app');
  assert.deepEqual([custom.httpPort, custom.home, custom.demo], [8080, '/var/dataalm', false]);
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
