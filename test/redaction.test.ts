import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redactor, isSecretName, redactSecrets } from '../src/domain/redaction.ts';

// The pure redaction that every runbook log line goes through: no database needed.
describe('redactSecrets', () => {
  test('hides the value after a secret-named key, keeping the name, the separator and the quotes', () => {
    const cases: [string, string][] = [
      ['token=hunter2-SEKRIT', 'token=[redacted]'],
      ['password: x', 'password: [redacted]'],
      ['PASSWORD=abc', 'PASSWORD=[redacted]'],
      ['PGPASSWORD=s3cr3t psql -h db', 'PGPASSWORD=[redacted] psql -h db'],
      ['passwd = p4ss', 'passwd = [redacted]'],
      ['db_pwd: p4ss', 'db_pwd: [redacted]'],
      ['client_secret=abc&grant_type=x', 'client_secret=[redacted]'],
      ['AWS_SECRET_ACCESS_KEY=AKIAxyz region=eu', 'AWS_SECRET_ACCESS_KEY=[redacted] region=eu'],
      ['apikey=1234', 'apikey=[redacted]'],
      ['api_key: 1234', 'api_key: [redacted]'],
      ['X-Api-Key: 1234', 'X-Api-Key: [redacted]'],
      ['apiKey=1234', 'apiKey=[redacted]'],
      ['access_token=eyJ.a.b; next', 'access_token=[redacted] next'],
      ['refreshToken: abc', 'refreshToken: [redacted]'],
      ['credentials=user:pass', 'credentials=[redacted]'],
      ['auth=basic-xyz', 'auth=[redacted]'],
      ['key: abc', 'key: [redacted]'],
      ['{"password": "x y", "user": "bob"}', '{"password": "[redacted]", "user": "bob"}'],
      ['{"password":"a\\"b","n":1}', '{"password":"[redacted]","n":1}'],
      ["{'secret': 'z'}", "{'secret': '[redacted]'}"],
      ['password => hidden', 'password => [redacted]'],
      ['https://h/cb?code=1&access_token=abc123', 'https://h/cb?code=1&access_token=[redacted]'],
      ['--password=abc --user=bob', '--password=[redacted] --user=bob'],
      ['stdout: token=abc', 'stdout: token=[redacted]'],
      ['a: password=p1 token: t1', 'a: password=[redacted] token: [redacted]'],
    ];
    for (const [text, expected] of cases) {
      assert.equal(redactSecrets(text), expected, text);
      // Idempotent: a line redacted where it was made and again where it is stored stays the same.
      assert.equal(redactSecrets(expected), expected, `again: ${expected}`);
    }
  });

  test('hides Authorization headers to the end of the line and Bearer tokens anywhere', () => {
    assert.equal(redactSecrets('Authorization: Bearer abc.def'), 'Authorization: [redacted]');
    assert.equal(redactSecrets('authorization: Basic dXNlcjpwYXNz\nnext line'), 'authorization: [redacted]\nnext line');
    assert.equal(redactSecrets('Proxy-Authorization: Basic abc'), 'Proxy-Authorization: [redacted]');
    assert.equal(redactSecrets('{"Authorization": "Bearer abc.def", "x": 1}'), '{"Authorization": "[redacted]", "x": 1}');
    assert.equal(redactSecrets('curl -H "Bearer abc.def-ghi_jk/l+m=" https://h'), 'curl -H "Bearer [redacted]" https://h');
    assert.equal(redactSecrets('sent bearer eyJhbGci.eyJzdWIi.sig'), 'sent bearer [redacted]');
  });

  test('hides the password of a URL, not its user or host', () => {
    assert.equal(redactSecrets('postgresql://app:pa/ss@db:5432/x'), 'postgresql://app:***@db:5432/x');
    assert.equal(redactSecrets('see https://bob:hunter2@example.invalid/path'), 'see https://bob:***@example.invalid/path');
    assert.equal(redactSecrets('amqp://u:p@q'), 'amqp://u:***@q');
  });

  test('leaves alone what only looks like a secret', () => {
    const untouched = [
      'keyboard: 5',
      'tokens: 5 copied',
      'keys: 3',
      'monkey=3',
      'author: Ann',
      'authenticated: yes',
      'token_count: 12',
      'the token was revoked',
      'password authentication failed for user "app"',
      'Key (recid)=(5) already exists.',
      'DETAIL: Key (a, b)=(1, 2) is not present in table "t".',
      'http://host:8080/a@b',
      'postgresql://app@db:5432/x',
      'copied 1200 rows of public.custtable in 0.4 s',
      'password:',
      'token= ',
      '12:30:00 key',
      '# pass 3',
    ];
    for (const text of untouched) assert.equal(redactSecrets(text), text, text);
  });

  test('names are judged by their words', () => {
    for (const name of ['password', 'PGPASSWORD', 'passwd', 'pwd', 'DB_PWD', 'secret', 'client_secret', 'secret_key_base', 'token', 'access_token', 'idToken', 'key', 'api_key', 'apikey', 'X-Api-Key', 'privateKey', 'credential', 'credentials', 'auth', 'X-Auth', 'Authorization', 'password_hash']) {
      assert.equal(isSecretName(name), true, name);
    }
    for (const name of ['keyboard', 'tokens', 'keys', 'monkey', 'author', 'authenticated', 'auth_method', 'token_count', 'stdout', 'passes', 'pk', 'partitionkey']) {
      assert.equal(isSecretName(name), false, name);
    }
  });

  test('a Redactor also hides the passwords of its connection URLs wherever they appear', () => {
    const redactor = new Redactor(['postgresql://u:s%40cret-pass@h/db', undefined, 'not a url']);
    assert.equal(redactor.redact('failed: s@cret-pass and postgresql://x:other@h:5/d'), 'failed: *** and postgresql://x:***@h:5/d');
    assert.equal(redactor.redact('token=abc s%40cret-pass'), 'token=[redacted] ***');
    assert.equal(redactor.redact('nothing secret here'), 'nothing secret here');
  });
});
