import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Operation } from '../src/domain/operation.ts';
import { writePackage } from './helpers/packages.ts';
import { type Service, startService } from './helpers/service.ts';

/** The CLI acting on a running dataalm through its HTTP API: --server URL and DATAALM_TOKEN. */
describe('dataalm --server URL with DATAALM_TOKEN', () => {
  let service: Service;
  let ownerToken: string;
  let memberToken: string;
  let ownerTokenId: number;
  // Runs the CLI with no project of its own: everything it knows comes from the server.
  const remote = (args: string[], token: string, input?: string) =>
    service.cli([...args, '--server', service.baseUrl], { env: { DATAALM_HOME: '/nonexistent/dataalm-home', DATAALM_TOKEN: token }, ...(input ? { input } : {}) });

  before(async () => {
    service = await startService('cli-remote');
    const owner = await service.cli(['token', 'create', '--name', 'remote tests', '--user', 'admin', '--json']);
    assert.equal(owner.code, 0, owner.stderr);
    ({ token: ownerToken, id: ownerTokenId } = JSON.parse(owner.stdout) as { token: string; id: number });
    const added = await service.cli(['user', 'add', 'tom', '--role', 'member', '--password-stdin'], { input: 'member-password-tom-1\n' });
    assert.equal(added.code, 0, added.stderr);
    const member = await service.cli(['token', 'create', '--name', 'read only', '--user', 'tom', '--json']);
    memberToken = (JSON.parse(member.stdout) as { token: string }).token;
  });

  after(async () => {
    await service?.stop();
  });

  test('env list and env show answer from the server as they do locally', async () => {
    const local = await service.cli(['env', 'list', '--json']);
    const far = await remote(['env', 'list', '--json'], memberToken);
    assert.equal(far.code, 0, far.stderr);
    assert.deepEqual(JSON.parse(far.stdout), JSON.parse(local.stdout));
    const shown = await remote(['env', 'show', 'contoso-uat'], memberToken);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /administrator\s+sandbox\.admin@contoso\.com/);
  });

  test('a refresh runs on the server; the CLI follows its steps to the end', async () => {
    const run = await remote(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes'], ownerToken);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /Operation \d+ on http:\/\/127\.0\.0\.1:\d+: refresh of contoso-uat from contoso-prod started/);
    for (const step of ['validate', 'data', 'sanitize', 'verify', 'cutover', 'post']) assert.match(run.stderr, new RegExp(`\\] ${step}…`));
    assert.match(run.stdout, /succeeded: contoso-uat was offline for \d+ ms; verification passed/);
    const id = /Operation (\d+) on/.exec(run.stderr)![1]!;
    const shown = await remote(['op', 'show', id, '--json'], memberToken);
    const operation = JSON.parse(shown.stdout) as Operation;
    assert.equal(operation.state, 'succeeded');
    assert.equal(operation.requestedBy, 'admin', 'the operation is requested by the user of the token');
    const logs = await remote(['op', 'logs', id], memberToken);
    assert.match(logs.stdout, /\[cutover\]/);
    const list = await remote(['op', 'list', '--env', 'contoso-uat', '--json'], memberToken);
    assert.equal((JSON.parse(list.stdout) as Operation[])[0]!.id, Number(id));
  });

  test("a team member's token may read but not refresh, roll back or see credentials", async () => {
    const refresh = await remote(['refresh', '--source', 'contoso-prod', '--target', 'contoso-test', '--yes', '--json'], memberToken);
    // The preview is readable; contoso-test is refused for its release before any permission matters.
    assert.equal(refresh.code, 12, refresh.stderr);
    const credentials = await remote(['env', 'credentials', 'contoso-uat'], memberToken);
    assert.equal(credentials.code, 5);
    assert.match(credentials.stderr, /role \(member\) may not do this/);
    const rollback = await remote(['op', 'rollback', '1'], memberToken);
    assert.equal(rollback.code, 5);
  });

  test('refusals keep their reasons and exit code across the API', async () => {
    const refused = await remote(['refresh', '--source', 'fabrikam-uat', '--target', 'contoso-uat', '--yes', '--json'], ownerToken);
    assert.equal(refused.code, 12);
    const answer = JSON.parse(refused.stdout) as { refused: boolean; reasons: { code: string }[] };
    assert.ok(answer.reasons.some((r) => r.code === 'TENANT_MISMATCH'));
  });

  test('packages are imported and applied through the API; the CLI follows the apply to its end', async () => {
    const shared = await remote(['asset', 'list', '--shared'], memberToken);
    assert.equal(shared.code, 0, shared.stderr);
    assert.match(shared.stdout, /environment-reprovisioning-tool\s+Environment Reprovisioning Tool/);
    const manifest = writePackage(
      ['name: Remote stamp', 'kind: financial-reporting', 'version: 10.0.38.6', 'appliesTo: ["10.0.38"]', 'sets:', '  financialReportingVersion: 10.0.38.6', 'scripts:', '  application:', '    - file: stamp.sql'],
      { 'stamp.sql': 'create table if not exists remotestamp (id int);\n' },
    );
    const imported = await remote(['asset', 'import', manifest, '--json'], ownerToken);
    assert.equal(imported.code, 0, imported.stderr);
    const asset = JSON.parse(imported.stdout) as { id: number; scripts: Record<string, string[]> };
    assert.deepEqual(asset.scripts, { application: ['stamp.sql'] });
    const denied = await remote(['env', 'apply', 'contoso-uat', '--package', String(asset.id)], memberToken);
    assert.equal(denied.code, 5);
    const applied = await remote(['env', 'apply', 'contoso-uat', '--package', String(asset.id)], ownerToken);
    assert.equal(applied.code, 0, applied.stderr);
    for (const step of ['validate', 'scripts', 'files', 'versions', 'post']) assert.match(applied.stderr, new RegExp(`\\] ${step}…`));
    assert.match(applied.stderr, /application: running script "stamp\.sql"/);
    assert.match(applied.stdout, /succeeded: package \d+ \(Remote stamp\) applied to contoso-uat/);
    const shown = await remote(['env', 'show', 'contoso-uat'], memberToken);
    assert.match(shown.stdout, /MRApplicationService\s+10\.0\.38\.6/);
  });

  test('--json over --server prints what the local CLI prints, field for field', async () => {
    const ops = JSON.parse((await service.cli(['op', 'list', '--env', 'contoso-uat', '--json'])).stdout) as Operation[];
    assert.ok(ops.length > 0, 'an operation ran on contoso-uat');
    const commands = [
      ['env', 'list'],
      ['env', 'show', 'contoso-uat'],
      ['env', 'breadcrumbs', 'contoso-uat'],
      ['op', 'list', '--env', 'contoso-uat'],
      ['op', 'show', String(ops[0]!.id)],
      ['asset', 'list'],
      ['asset', 'list', '--shared'],
      ['user', 'list'],
    ];
    for (const args of commands) {
      const local = await service.cli([...args, '--json']);
      const far = await remote([...args, '--json'], ownerToken);
      assert.equal(local.code, 0, local.stderr);
      assert.equal(far.code, 0, far.stderr);
      assert.deepEqual(JSON.parse(far.stdout), JSON.parse(local.stdout), args.join(' '));
    }
    const crumbs = JSON.parse((await remote(['env', 'breadcrumbs', 'contoso-uat', '--json'], ownerToken)).stdout) as Record<string, unknown>[];
    assert.ok(crumbs.length > 0 && crumbs.every((c) => typeof c.operationId === 'number' && c.environment === 'contoso-uat'), 'the CLI names of a breadcrumb');
    // A token's last use moves with every call; its fields are the same.
    const keys = (text: string) => (JSON.parse(text) as Record<string, unknown>[]).map((t) => Object.keys(t).sort().join(','));
    const tokensHere = await service.cli(['token', 'list', '--user', 'admin', '--json']);
    const tokensThere = await remote(['token', 'list', '--user', 'admin', '--json'], ownerToken);
    assert.deepEqual(keys(tokensThere.stdout), keys(tokensHere.stdout));
  });

  test('users and tokens are managed remotely by a project owner; a revoked token stops working at once', async () => {
    const added = await remote(['user', 'add', 'mia', '--role', 'manager', '--json'], ownerToken);
    assert.equal(added.code, 0, added.stderr);
    assert.ok((JSON.parse(added.stdout) as { password: string }).password.length >= 12, 'a generated password is shown once');
    const users = await remote(['user', 'list', '--json'], ownerToken);
    assert.deepEqual((JSON.parse(users.stdout) as { name: string; role: string }[]).map((u) => `${u.name}:${u.role}`), ['admin:owner', 'mia:manager', 'tom:member']);
    assert.equal((await remote(['user', 'list'], memberToken)).code, 5);
    const minted = await remote(['token', 'create', '--name', 'another'], ownerToken);
    assert.equal(minted.code, 2, 'a token cannot make more tokens');
    assert.match(minted.stderr, /created in the web UI/);
    const revoked = await service.cli(['token', 'revoke', String(ownerTokenId)]);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await remote(['env', 'list'], ownerToken);
    assert.equal(after.code, 15);
    assert.match(after.stderr, /token is not valid/);
  });

  test('without a token, with a server that does not answer, and with a local-only command: clear errors', async () => {
    const noToken = await service.cli(['env', 'list', '--server', service.baseUrl], { env: { DATAALM_HOME: '/nonexistent/dataalm-home' } });
    assert.equal(noToken.code, 15);
    assert.match(noToken.stderr, /needs an API token in DATAALM_TOKEN/);
    const down = await service.cli(['env', 'list', '--server', 'http://127.0.0.1:9'], { env: { DATAALM_TOKEN: memberToken } });
    assert.equal(down.code, 17);
    assert.match(down.stderr, /does not answer/);
    const local = await remote(['demo'], memberToken);
    assert.equal(local.code, 2);
    assert.match(local.stderr, /works on the local project only/);
    const notUrl = await service.cli(['env', 'list', '--server', 'ftp://x'], { env: { DATAALM_TOKEN: memberToken } });
    assert.equal(notUrl.code, 2);
  });
});
