import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { AccessPolicy, AuditEntry, Operation, RefreshPreview } from '../src/contract/index.ts';
import { type Caller, call, signIn } from './helpers/http-client.ts';
import { OWNER_PASSWORD, type Service, addUsers, startService } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';

// contoso-uat names users to re-enable after a refresh: set in the CLI, read and refused in
// the HTTP API, shown in the preview, audited, and applied by a real refresh from contoso-prod.
const MIA_PASSWORD = 'manager-password-mia-1';

describe('post-refresh access policy', () => {
  let service: Service;
  let owner: Caller;
  let manager: Caller;
  let uatUrl: string;
  let prodUrl: string;
  /** Two ordinary users of production, and one that does not exist anywhere. */
  let chosen: string[];

  const query = async <R extends pg.QueryResultRow>(url: string, sql: string): Promise<R[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<R>(sql)).rows;
    } finally {
      await client.end();
    }
  };

  before(async () => {
    service = await startService('access-policy');
    await addUsers(service, [['mia', 'manager', MIA_PASSWORD]]);
    owner = await signIn(service.baseUrl, 'admin', OWNER_PASSWORD);
    manager = await signIn(service.baseUrl, 'mia', MIA_PASSWORD);
    // The embedded server's superuser reaches every database (production's credentials are never shown).
    const { adminUrl } = JSON.parse(fs.readFileSync(path.join(service.home, 'embedded.json'), 'utf8')) as { adminUrl: string };
    const urlOf = (database: string) => {
      const url = new URL(adminUrl);
      url.pathname = `/${database}`;
      return url.toString();
    };
    uatUrl = urlOf('contoso_uat_app');
    prodUrl = urlOf('contoso_prod_app');
    const ordinary = await query<{ id: string }>(prodUrl, "SELECT id FROM userinfo WHERE id <> 'Admin' AND isserviceaccount = 0 ORDER BY id LIMIT 2 OFFSET 3");
    chosen = ordinary.map((u) => u.id);
    assert.equal(chosen.length, 2);
  });

  after(async () => {
    await service?.stop();
  });

  test('the CLI sets and shows the policy; a production environment and a profile that cannot enable users are refused', async () => {
    const set = await service.cli(['env', 'access', 'contoso-uat', '--enable-users', `${chosen.join(', ')},no-such-user`, '--json']);
    assert.equal(set.code, 0, set.stderr);
    const policy = JSON.parse(set.stdout) as AccessPolicy;
    assert.deepEqual(policy.users, [...chosen, 'no-such-user']);
    assert.deepEqual(policy.groups, []);
    assert.equal(policy.profile, 'finance-operations');
    assert.deepEqual(policy.supports, { users: true, groups: false });

    const shown = await service.cli(['env', 'access', 'contoso-uat']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, new RegExp(`users:\\s+${chosen.join(', ')}, no-such-user`));

    // The sample application has no user groups: finance-operations enables users by id only.
    const groups = await service.cli(['env', 'access', 'contoso-uat', '--enable-groups', 'Finance']);
    assert.equal(groups.code, 2, groups.stdout);
    assert.match(groups.stderr, /no access\.groups statement/);

    const production = await service.cli(['env', 'access', 'contoso-prod', '--enable-users', chosen[0]!]);
    assert.equal(production.code, 2);
    assert.match(production.stderr, /contoso-prod is a production environment/);

    const added = await service.cli([
      'env', 'add', 'plain-uat', '--type', 'sandbox', '--tenant', 'contoso.com', '--admin', 'admin@contoso.com', '--app-db', uatUrl,
      '--release', '10.0.38', '--platform-update', '62', '--reporting-version', '10.0.38.3', '--profile', 'plain',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const plain = await service.cli(['env', 'access', 'plain-uat', '--enable-users', chosen[0]!]);
    assert.equal(plain.code, 2);
    assert.match(plain.stderr, /profile plain of plain-uat does not say how its application enables a user/);
    assert.equal((await service.cli(['env', 'remove', 'plain-uat'])).code, 0);
  });

  test('the HTTP API shows it to everyone, lets only the project owner change it, and the audit log has the change', async () => {
    const read = await call(service.baseUrl, manager, 'GET', '/api/environments/contoso-uat/access-policy');
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.json<AccessPolicy>().users, [...chosen, 'no-such-user']);

    const denied = await call(service.baseUrl, manager, 'PUT', '/api/environments/contoso-uat/access-policy', { users: [] });
    assert.equal(denied.status, 403);
    const extra = await call(service.baseUrl, owner, 'PUT', '/api/environments/contoso-uat/access-policy', { users: [], everyone: true });
    assert.equal(extra.status, 400);

    // The owner drops the unknown user, then puts it back: both changes are audited, old → new.
    const put = await call(service.baseUrl, owner, 'PUT', '/api/environments/contoso-uat/access-policy', { users: chosen });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.json<AccessPolicy>().updatedBy, 'admin');
    const back = await call(service.baseUrl, owner, 'PUT', '/api/environments/contoso-uat/access-policy', { users: [...chosen, 'no-such-user'] });
    assert.equal(back.status, 200, back.text);

    const audit = (await call(service.baseUrl, owner, 'GET', '/api/audit?limit=50')).json<AuditEntry[]>().filter((e) => e.action === 'environment.access-policy');
    assert.equal(audit.length, 3, JSON.stringify(audit));
    const [last, middle, first] = audit;
    assert.equal(first!.target, 'contoso-uat');
    assert.deepEqual(first!.details, { before: { users: [], groups: [] }, after: { users: [...chosen, 'no-such-user'], groups: [] } });
    assert.equal(middle!.actor, 'admin');
    assert.deepEqual(middle!.details, { before: { users: [...chosen, 'no-such-user'], groups: [] }, after: { users: chosen, groups: [] } });
    assert.deepEqual(last!.details, { before: { users: chosen, groups: [] }, after: { users: [...chosen, 'no-such-user'], groups: [] } });
  });

  test('the preview names the users; after the refresh exactly they are enabled besides Admin and the service accounts', async () => {
    const preview = (await call(service.baseUrl, manager, 'GET', '/api/environments/contoso-uat/refresh-preview?source=contoso-prod')).json<RefreshPreview>();
    assert.deepEqual(preview.access, { users: [...chosen, 'no-such-user'], groups: [] });
    assert.ok(preview.afterwards.includes(`After verification passes, these users are re-enabled: ${chosen.join(', ')}, no-such-user.`), preview.afterwards.join('\n'));

    const started = await call(service.baseUrl, manager, 'POST', '/api/refreshes', { source: 'contoso-prod', target: 'contoso-uat', acknowledge: true });
    assert.equal(started.status, 202, started.text);
    const id = started.json<{ operation: Operation }>().operation.id;
    const operation = await waitFor(
      'the refresh to end',
      async () => {
        const o = (await call(service.baseUrl, manager, 'GET', `/api/operations/${id}`)).json<Operation>();
        return ['succeeded', 'failed', 'canceled', 'rolled-back'].includes(o.state) ? o : undefined;
      },
      { timeoutMs: 300_000 },
    );
    assert.equal(operation.state, 'succeeded', JSON.stringify(operation.error));

    const enabled = await query<{ id: string }>(uatUrl, 'SELECT id FROM userinfo WHERE enable = 1 AND isserviceaccount = 0 ORDER BY id');
    assert.deepEqual(enabled.map((u) => u.id).sort(), ['Admin', ...chosen].sort());
    const disabled = await query<{ n: string }>(uatUrl, "SELECT count(*) AS n FROM userinfo WHERE enable = 0 AND id <> 'Admin' AND isserviceaccount = 0");
    const others = await query<{ n: string }>(prodUrl, "SELECT count(*) AS n FROM userinfo WHERE id <> 'Admin' AND isserviceaccount = 0");
    assert.equal(Number(disabled[0]!.n), Number(others[0]!.n) - chosen.length, 'every other ordinary user is disabled');

    // The report proved the lock-down before anyone was let back in, then records who was.
    const checks = operation.verification!.checks;
    assert.equal(checks.find((c) => c.rule === 'sanitize:disable-users')?.status, 'passed');
    const access = checks.find((c) => c.rule === 'access-policy');
    assert.equal(access?.status, 'passed');
    assert.match(access!.detail, /re-enabled 2 users .*not found: no-such-user/);
    assert.ok(checks.indexOf(access!) > checks.findIndex((c) => c.rule === 'sanitize:disable-users'));

    const log = (await call(service.baseUrl, manager, 'GET', `/api/operations/${id}/logs`)).text;
    assert.match(log, new RegExp(`INFO\\s+\\[verify\\] re-enabled 2 users: ${chosen.join(', ')}`));
    assert.match(log, /WARNING\s+\[verify\] access policy: user no-such-user does not exist/);
    assert.ok(log.indexOf('re-enabled 2 users') < log.indexOf('[cutover]'), 're-enabled on the staging copy, before the cutover');
  });

  test('the remote CLI reads and clears the policy; a refresh without one leaves everyone but Admin disabled in the preview', async () => {
    const created = await call(service.baseUrl, owner, 'POST', '/api/tokens', { name: 'access automation' });
    const token = created.json<{ token: string }>().token;
    const remote = (args: string[]) => service.cli(['--server', service.baseUrl, ...args], { env: { DATAALM_TOKEN: token } });
    const shown = await remote(['env', 'access', 'contoso-uat', '--json']);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual((JSON.parse(shown.stdout) as AccessPolicy).users, [...chosen, 'no-such-user']);
    const cleared = await remote(['env', 'access', 'contoso-uat', '--clear', '--json']);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.deepEqual(JSON.parse(cleared.stdout) as AccessPolicy, {
      environment: 'contoso-uat', profile: 'finance-operations', users: [], groups: [], updatedBy: null, updatedAt: null, supports: { users: true, groups: false },
    });
    const preview = (await call(service.baseUrl, manager, 'GET', '/api/environments/contoso-uat/refresh-preview?source=contoso-prod')).json<RefreshPreview>();
    assert.equal(preview.access, undefined);
    assert.ok(!preview.afterwards.some((a) => a.includes('re-enabled')));
  });
});
