import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../src/config/config.ts';
import { openRuntime } from '../src/app/runtime.ts';
import type { Operation } from '../src/domain/operation.ts';
import { type Answer, type Caller, call, checkAnswer, checkEvent, signIn } from './helpers/http-client.ts';
import { OWNER_PASSWORD, type Service, addUsers, startService } from './helpers/service.ts';

const MIA_PASSWORD = 'manager-password-mia-1';
const TOM_PASSWORD = 'member-password-tom-1';
const ROLES = ['owner', 'manager', 'member'] as const;
type Role = (typeof ROLES)[number];
const ALL: readonly Role[] = ROLES;
const OPERATORS: readonly Role[] = ['owner', 'manager'];
const OWNER: readonly Role[] = ['owner'];

/**
 * Who may call each route, written out here on purpose rather than read from the server:
 * the test must fail if the server's declaration drifts. A route missing from this table
 * fails the test too. `request` is a call that changes nothing (an unknown name, an invalid
 * body) so an allowed role gets past the access check and nothing else happens.
 */
const MATRIX: Record<string, { allowed: readonly Role[] | 'public'; sessionOnly?: true; request: (op: number) => { path: string; body?: unknown } }> = {
  'POST /api/session': { allowed: 'public', request: () => ({ path: '/api/session', body: { username: `nobody-${Math.random()}`, password: 'wrong password' } }) },
  'GET /api/session': { allowed: ALL, request: () => ({ path: '/api/session' }) },
  'DELETE /api/session': { allowed: ALL, request: () => ({ path: '/api/session' }) },
  'POST /api/session/password': {
    allowed: ALL,
    sessionOnly: true,
    request: () => ({ path: '/api/session/password', body: { currentPassword: 'not the password', newPassword: 'another-password-1' } }),
  },
  'GET /api/users': { allowed: ['owner'], request: () => ({ path: '/api/users' }) },
  'POST /api/users': { allowed: ['owner'], request: () => ({ path: '/api/users', body: {} }) },
  'PATCH /api/users/{name}': { allowed: ['owner'], request: () => ({ path: '/api/users/nobody', body: { role: 'member' } }) },
  'DELETE /api/users/{name}': { allowed: ['owner'], request: () => ({ path: '/api/users/nobody' }) },
  'GET /api/tokens': { allowed: ALL, request: () => ({ path: '/api/tokens' }) },
  // A token cannot make more tokens: revoking a leaked one must be enough.
  'POST /api/tokens': { allowed: ALL, sessionOnly: true, request: () => ({ path: '/api/tokens', body: { name: 'matrix' } }) },
  'DELETE /api/tokens/{id}': { allowed: ALL, request: () => ({ path: '/api/tokens/999999' }) },
  'GET /api/audit': { allowed: OPERATORS, request: () => ({ path: '/api/audit?limit=5' }) },
  'GET /api/profile/transformers': { allowed: ALL, request: () => ({ path: '/api/profile/transformers' }) },
  'GET /api/environments': { allowed: ALL, request: () => ({ path: '/api/environments' }) },
  // An environment's synchronize command runs on the dataalm host: the project owner's call.
  'POST /api/environments': { allowed: OWNER, request: () => ({ path: '/api/environments', body: {} }) },
  'GET /api/environments/{name}': { allowed: ALL, request: () => ({ path: '/api/environments/contoso-uat' }) },
  'PATCH /api/environments/{name}': { allowed: OWNER, request: () => ({ path: '/api/environments/no-such-env', body: { syncCommand: null } }) },
  'DELETE /api/environments/{name}': { allowed: OWNER, request: () => ({ path: '/api/environments/no-such-env' }) },
  'GET /api/environments/{name}/credentials': { allowed: OPERATORS, request: () => ({ path: '/api/environments/contoso-test/credentials' }) },
  'GET /api/environments/{name}/access-policy': { allowed: ALL, request: () => ({ path: '/api/environments/contoso-uat/access-policy' }) },
  // Who is let into a sandbox after a refresh is a change of the environment: the project owner's call.
  'PUT /api/environments/{name}/access-policy': { allowed: OWNER, request: () => ({ path: '/api/environments/no-such-env/access-policy', body: { users: [] } }) },
  'GET /api/environments/{name}/mirror': { allowed: ALL, request: () => ({ path: '/api/environments/contoso-uat/mirror' }) },
  // A mirror holds a replication slot on the source: enabling, resyncing and disabling it are the project owner's call.
  'POST /api/environments/{name}/mirror': { allowed: OWNER, request: () => ({ path: '/api/environments/no-such-env/mirror', body: { source: 'contoso-prod' } }) },
  'POST /api/environments/{name}/mirror/resync': { allowed: OWNER, request: () => ({ path: '/api/environments/no-such-env/mirror/resync' }) },
  'POST /api/environments/{name}/mirror/spare': { allowed: OWNER, request: () => ({ path: '/api/environments/no-such-env/mirror/spare', body: { keep: true } }) },
  'DELETE /api/environments/{name}/mirror': { allowed: OWNER, request: () => ({ path: '/api/environments/no-such-env/mirror' }) },
  'GET /api/environments/{name}/recurring-jobs': { allowed: ALL, request: () => ({ path: '/api/environments/contoso-uat/recurring-jobs' }) },
  // Those who may refresh a sandbox may stop what refuses its refresh.
  'POST /api/environments/{name}/recurring-jobs/stop': { allowed: OPERATORS, request: () => ({ path: '/api/environments/no-such-env/recurring-jobs/stop' }) },
  'GET /api/environments/{name}/breadcrumbs': { allowed: ALL, request: () => ({ path: '/api/environments/contoso-uat/breadcrumbs' }) },
  'GET /api/environments/{name}/refresh-sources': { allowed: ALL, request: () => ({ path: '/api/environments/contoso-test/refresh-sources' }) },
  'GET /api/environments/{name}/refresh-preview': { allowed: ALL, request: () => ({ path: '/api/environments/contoso-test/refresh-preview?source=contoso-prod' }) },
  'POST /api/refreshes': { allowed: OPERATORS, request: () => ({ path: '/api/refreshes', body: { source: 'contoso-prod', target: 'contoso-uat', acknowledge: false } }) },
  'POST /api/environments/{name}/restore': { allowed: OPERATORS, request: () => ({ path: '/api/environments/no-such-env/restore', body: { operation: 999999 } }) },
  'GET /api/operations': { allowed: ALL, request: () => ({ path: '/api/operations' }) },
  'GET /api/operations/{id}': { allowed: ALL, request: (op) => ({ path: `/api/operations/${op}` }) },
  'GET /api/operations/{id}/events': { allowed: ALL, request: (op) => ({ path: `/api/operations/${op}/events` }) },
  'GET /api/operations/{id}/logs': { allowed: ALL, request: (op) => ({ path: `/api/operations/${op}/logs` }) },
  'GET /api/operations/{id}/verification': { allowed: ALL, request: (op) => ({ path: `/api/operations/${op}/verification` }) },
  'POST /api/operations/{id}/rollback': { allowed: OPERATORS, request: () => ({ path: '/api/operations/999999/rollback' }) },
  'POST /api/operations/{id}/cancel': { allowed: OPERATORS, request: () => ({ path: '/api/operations/999999/cancel' }) },
  'GET /api/assets': { allowed: ALL, request: () => ({ path: '/api/assets' }) },
  'GET /api/assets/shared': { allowed: ALL, request: () => ({ path: '/api/assets/shared' }) },
  'POST /api/assets': { allowed: OPERATORS, request: () => ({ path: '/api/assets', body: { shared: 'no-such-asset' } }) },
  'GET /api/assets/{id}': { allowed: OPERATORS, request: () => ({ path: '/api/assets/999999' }) },
  'GET /api/environments/{name}/packages': { allowed: ALL, request: () => ({ path: '/api/environments/contoso-uat/packages' }) },
  'POST /api/environments/{name}/apply': { allowed: OPERATORS, request: () => ({ path: '/api/environments/no-such-env/apply', body: { package: 999999 } }) },
  'POST /api/environments/{name}/redeploy-scale-unit': { allowed: OPERATORS, request: () => ({ path: '/api/environments/no-such-env/redeploy-scale-unit' }) },
  'GET /api/schedules': { allowed: ALL, request: () => ({ path: '/api/schedules' }) },
  // Whoever may request a refresh may schedule one, and change or remove a schedule.
  'POST /api/schedules': { allowed: OPERATORS, request: () => ({ path: '/api/schedules', body: {} }) },
  'DELETE /api/schedules/{id}': { allowed: OPERATORS, request: () => ({ path: '/api/schedules/999999' }) },
  'POST /api/schedules/{id}/pause': { allowed: OPERATORS, request: () => ({ path: '/api/schedules/999999/pause' }) },
  'POST /api/schedules/{id}/resume': { allowed: OPERATORS, request: () => ({ path: '/api/schedules/999999/resume' }) },
  'GET /api/schedules/{id}/runs': { allowed: ALL, request: () => ({ path: '/api/schedules/999999/runs' }) },
  // Notifications are set up by those who may operate (a manager for one environment's: notifications.test.ts).
  'GET /api/notifications': { allowed: OPERATORS, request: () => ({ path: '/api/notifications' }) },
  'POST /api/notifications': { allowed: OPERATORS, request: () => ({ path: '/api/notifications', body: {} }) },
  'DELETE /api/notifications/{id}': { allowed: OPERATORS, request: () => ({ path: '/api/notifications/999999' }) },
  'POST /api/notifications/{id}/test': { allowed: OPERATORS, request: () => ({ path: '/api/notifications/999999/test' }) },
  'GET /api/notifications/{id}/deliveries': { allowed: OPERATORS, request: () => ({ path: '/api/notifications/999999/deliveries' }) },
};

interface StreamEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

/** Reads a server-sent event stream to its end. */
async function readEvents(baseUrl: string, caller: Caller, urlPath: string): Promise<StreamEvent[]> {
  const response = await fetch(`${baseUrl}${urlPath}`, { headers: caller.cookie ? { cookie: caller.cookie } : { authorization: `Bearer ${caller.token}` } });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: '))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      const event = { event: eventLine!.slice(7), data: JSON.parse(dataLine!.slice(6)) as Record<string, unknown> };
      checkEvent(event.event, event.data);
      return event;
    });
}

describe('HTTP API: accounts, roles, sessions, operations', () => {
  let service: Service;
  const sessions = {} as Record<Role, Caller>;
  const tokens = {} as Record<Role, Caller>;
  let revoked: Caller;
  const anonymous: Caller = { label: 'anonymous' };
  let secrets: string[] = [];
  let operationId: number;
  let events: StreamEvent[];

  before(async () => {
    // Every refresh of this service fails after its cutover, so rollback is exercised for real.
    service = await startService('http-api', { DATAALM_TEST_FAIL_AT: 'post' });
    await addUsers(service, [
      ['mia', 'manager', MIA_PASSWORD],
      ['tom', 'member', TOM_PASSWORD],
    ]);
    sessions.owner = await signIn(service.baseUrl, 'admin', OWNER_PASSWORD);
    sessions.manager = await signIn(service.baseUrl, 'mia', MIA_PASSWORD);
    sessions.member = await signIn(service.baseUrl, 'tom', TOM_PASSWORD);
    for (const role of ROLES) {
      const created = await call(service.baseUrl, sessions[role], 'POST', '/api/tokens', { name: `${role} automation` });
      assert.equal(created.status, 201, created.text);
      tokens[role] = { label: `${role} (token)`, token: created.json<{ token: string }>().token };
    }
    const doomed = await call(service.baseUrl, sessions.owner, 'POST', '/api/tokens', { name: 'to be revoked' });
    const { id, token } = doomed.json<{ id: number; token: string }>();
    assert.equal((await call(service.baseUrl, sessions.owner, 'DELETE', `/api/tokens/${id}`)).status, 204);
    revoked = { label: 'revoked token', token };

    // Every secret this project holds: none may reach a caller who may not see it.
    const runtime = await openRuntime(loadConfig(service.env(), path.dirname(service.home)));
    try {
      for (const environment of await runtime.environments.list()) {
        for (const url of Object.values(await runtime.environments.connectionUrls(environment.name))) {
          secrets.push(decodeURIComponent(new URL(url!).password));
        }
      }
    } finally {
      await runtime.close();
    }
    secrets.push(fs.readFileSync(path.join(service.home, 'pg-password'), 'utf8').trim(), OWNER_PASSWORD, MIA_PASSWORD, TOM_PASSWORD, 'service-tests-installation-key');
    secrets = secrets.filter((s) => s.length >= 8);
    assert.ok(secrets.length >= 10, `expected the passwords of every demo database, got ${secrets.length}`);
  });

  after(async () => {
    await service?.stop();
  });

  test('an environment manager starts a refresh; its steps, log and end stream live as server-sent events', async () => {
    const started = await call(service.baseUrl, sessions.manager, 'POST', '/api/refreshes', { source: 'contoso-prod', target: 'contoso-uat', acknowledge: true });
    assert.equal(started.status, 202, started.text);
    operationId = started.json<{ operation: Operation }>().operation.id;
    events = await readEvents(service.baseUrl, sessions.manager, `/api/operations/${operationId}/events`);
    const kinds = new Set(events.map((e) => e.event));
    assert.ok(kinds.has('operation') && kinds.has('log') && kinds.has('end'), [...kinds].join(','));
    assert.equal(events.at(-1)!.event, 'end');
    // The stream showed the runbook move: more than one picture of the steps, in order.
    const snapshots = events.filter((e) => e.event === 'operation').map((e) => (e.data as unknown as Operation).steps.filter((s) => s.status === 'succeeded').length);
    assert.ok(snapshots.length >= 2, `operation events: ${snapshots.join(',')}`);
    assert.deepEqual([...snapshots].sort((a, b) => a - b), snapshots);
    const final = events.at(-1)!.data as unknown as Operation;
    assert.equal(final.state, 'failed');
    assert.equal(final.error?.step, 'post');
    assert.equal(final.requestedBy, 'mia');
    assert.ok(final.offlineMs !== null, 'the cutover happened and its offline window is recorded');
    const logs = events.filter((e) => e.event === 'log').map((e) => String(e.data.message));
    assert.ok(logs.some((m) => m.includes('requested by mia')), logs.slice(0, 3).join('\n'));
  });

  test('the runbook log downloads as a file, and the verification report is served', async () => {
    const logs = await call(service.baseUrl, sessions.member, 'GET', `/api/operations/${operationId}/logs`);
    assert.equal(logs.status, 200);
    assert.match(logs.headers.get('content-disposition') ?? '', new RegExp(`attachment; filename="operation-${operationId}\\.log"`));
    for (const step of ['validate', 'data', 'sanitize', 'verify', 'cutover', 'post']) assert.match(logs.text, new RegExp(`\\[${step}\\]`));
    const report = await call(service.baseUrl, sessions.member, 'GET', `/api/operations/${operationId}/verification`);
    assert.equal(report.status, 200);
    assert.equal(report.json<{ passed: boolean }>().passed, true);
  });

  test('a team member may not roll back; an environment manager rolls back the failed refresh', async () => {
    const denied = await call(service.baseUrl, sessions.member, 'POST', `/api/operations/${operationId}/rollback`);
    assert.equal(denied.status, 403);
    assert.equal(denied.json<{ error: { code: string } }>().error.code, 'FORBIDDEN');
    const rolled = await call(service.baseUrl, sessions.manager, 'POST', `/api/operations/${operationId}/rollback`);
    assert.equal(rolled.status, 200, rolled.text);
    assert.equal(rolled.json<Operation>().state, 'rolled-back');
  });

  test('credentials: shown to an environment manager for a sandbox, never for production, refused to a team member', async () => {
    const sandbox = await call(service.baseUrl, sessions.manager, 'GET', '/api/environments/contoso-uat/credentials');
    assert.equal(sandbox.status, 200);
    assert.match(sandbox.json<{ application: string }>().application, /^postgresql:\/\/[^:]+:[^@]+@/);
    for (const caller of [sessions.owner, sessions.manager, tokens.owner]) {
      const production = await call(service.baseUrl, caller, 'GET', '/api/environments/contoso-prod/credentials');
      assert.equal(production.status, 403, `${caller.label}: ${production.text}`);
    }
    assert.equal((await call(service.baseUrl, sessions.member, 'GET', '/api/environments/contoso-uat/credentials')).status, 403);
  });

  for (const kind of ['session', 'token'] as const) {
    test(`RBAC matrix by ${kind}: every route × every role, anonymous and a revoked token`, async () => {
      const openapi = (await call(service.baseUrl, anonymous, 'GET', '/api/openapi.json')).json<{ paths: Record<string, Record<string, unknown>> }>();
      const routes = Object.entries(openapi.paths).flatMap(([p, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${p}`));
      assert.deepEqual(routes.sort(), Object.keys(MATRIX).sort(), 'every route of the API is in the matrix, and only those');
      const callers = kind === 'session' ? sessions : tokens;
      const failures: string[] = [];
      // Signing out ends the session the rest of the matrix uses: it goes last.
      const order = Object.keys(MATRIX).sort((a, b) => Number(a === 'DELETE /api/session') - Number(b === 'DELETE /api/session'));
      for (const key of order) {
        const { allowed, request, sessionOnly } = MATRIX[key]!;
        const method = key.split(' ')[0]!;
        const { path: urlPath, body } = request(operationId);
        const check = (who: string, answer: Answer, expect: 'allowed' | 401 | 403) => {
          const ok = expect === 'allowed' ? answer.status !== 401 && answer.status !== 403 : answer.status === expect;
          // The code only: an answer that should not have been given may hold a secret.
          if (!ok) failures.push(`${key} as ${who}: expected ${expect}, got ${answer.status} ${/"code":"([A-Z_]+)"/.exec(answer.text)?.[1] ?? ''}`);
        };
        for (const role of ROLES) {
          const answer = await call(service.baseUrl, callers[role], method, urlPath, body);
          if (allowed === 'public') {
            // Signing in with a wrong password is refused as such, whoever asks.
            assert.equal(answer.status, 401);
            continue;
          }
          check(role, answer, allowed.includes(role) && !(sessionOnly && kind === 'token') ? 'allowed' : 403);
        }
        if (allowed !== 'public') {
          check('anonymous', await call(service.baseUrl, anonymous, method, urlPath, body), 401);
          check('revoked token', await call(service.baseUrl, revoked, method, urlPath, body), 401);
        }
      }
      assert.deepEqual(failures, []);
      if (kind === 'session') {
        for (const role of ROLES) assert.equal((await call(service.baseUrl, sessions[role], 'GET', '/api/session')).status, 401, 'signed out');
        sessions.owner = await signIn(service.baseUrl, 'admin', OWNER_PASSWORD);
        sessions.manager = await signIn(service.baseUrl, 'mia', MIA_PASSWORD);
        sessions.member = await signIn(service.baseUrl, 'tom', TOM_PASSWORD);
      }
    });
  }

  test('no answer to a role without access, nor to a team member, contains a secret', async () => {
    const answers: { who: string; key: string; text: string }[] = [];
    for (const [key, { allowed, request }] of Object.entries(MATRIX)) {
      if (key === 'DELETE /api/session') continue;
      const method = key.split(' ')[0]!;
      const { path: urlPath, body } = request(operationId);
      for (const caller of [anonymous, revoked, sessions.member, tokens.member]) answers.push({ who: caller.label, key, text: (await call(service.baseUrl, caller, method, urlPath, body)).text });
      if (allowed !== 'public' && !allowed.includes('manager')) answers.push({ who: 'manager', key, text: (await call(service.baseUrl, sessions.manager, method, urlPath, body)).text });
    }
    // Also the pages a team member reads most: the operation, its log, every environment.
    for (const urlPath of [`/api/operations/${operationId}`, `/api/operations/${operationId}/logs`, '/api/environments', '/api/environments/contoso-prod', '/api/audit?limit=1000']) {
      answers.push({ who: 'member', key: urlPath, text: (await call(service.baseUrl, sessions.member, 'GET', urlPath)).text });
    }
    const leaks = answers.flatMap((a) => secrets.filter((s) => a.text.includes(s)).map(() => `${a.key} as ${a.who}`));
    assert.deepEqual(leaks, []);
    assert.ok(answers.length > 100);
  });

  test('session cookie is HttpOnly and SameSite=Strict; a state change needs the CSRF token and its own origin', async () => {
    const session = await signIn(service.baseUrl, 'mia', MIA_PASSWORD);
    assert.match(session.setCookie, /HttpOnly/i);
    assert.match(session.setCookie, /SameSite=Strict/i);
    assert.match(session.setCookie, /Path=\//);
    const body = { name: 'csrf check' };
    const noToken = await call(service.baseUrl, { label: 'no csrf', cookie: session.cookie! }, 'POST', '/api/tokens', body);
    assert.equal(noToken.status, 403);
    assert.match(noToken.text, /X-CSRF-Token/);
    const wrong = await call(service.baseUrl, session, 'POST', '/api/tokens', body, { 'x-csrf-token': 'not-the-token' });
    assert.equal(wrong.status, 403);
    const otherSite = await call(service.baseUrl, session, 'POST', '/api/tokens', body, { origin: 'https://evil.example' });
    assert.equal(otherSite.status, 403);
    assert.equal((await call(service.baseUrl, session, 'POST', '/api/tokens', body, { origin: service.baseUrl })).status, 201);
    // A bearer token carries no ambient credential, so it needs no CSRF token.
    assert.equal((await call(service.baseUrl, tokens.manager, 'POST', '/api/operations/999999/cancel')).status, 404);
    // Signing in again replaces the browser's session.
    const again = await fetch(`${service.baseUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session.cookie! },
      body: JSON.stringify({ username: 'mia', password: MIA_PASSWORD }),
    });
    const againText = await again.text();
    checkAnswer('POST', '/api/session', again.status, again.headers, againText);
    assert.equal(again.status, 200);
    assert.equal((await call(service.baseUrl, { label: 'old', cookie: session.cookie! }, 'GET', '/api/session')).status, 401);
    const current: Caller = {
      label: 'mia again',
      cookie: again.headers.get('set-cookie')!.split(';')[0]!,
      csrfToken: (JSON.parse(againText) as { csrfToken: string }).csrfToken,
    };
    // A GET with the cookie needs none either, and signing out ends the session.
    assert.equal((await call(service.baseUrl, { label: 'cookie only', cookie: current.cookie! }, 'GET', '/api/session')).status, 200);
    assert.equal((await call(service.baseUrl, current, 'DELETE', '/api/session')).status, 204);
    assert.equal((await call(service.baseUrl, current, 'GET', '/api/session')).status, 401);
  });

  // Per user and address, not per user alone: a lockout of the user whatever the address
  // would let anyone who knows a user name keep that user out (sign-in-throttle.test.ts).
  test('sign-in waits after repeated failures for a user from one address, even with the right password', async () => {
    const added = await service.cli(['user', 'add', 'rita', '--role', 'member', '--password-stdin'], { input: 'rita-password-123\n' });
    assert.equal(added.code, 0, added.stderr);
    const attempt = (password: string, username = 'rita') => call(service.baseUrl, anonymous, 'POST', '/api/session', { username, password });
    // A guesser that obeys Retry-After, until the wait is long enough to check what follows in it.
    let failures = 0;
    let limited: Answer | undefined;
    for (let i = 0; i < 20 && limited === undefined; i += 1) {
      const answer = await attempt(`guess-${i}`);
      if (answer.status !== 429) {
        assert.equal(answer.status, 401);
        failures += 1;
      } else if (Number(answer.headers.get('retry-after')) >= 4) limited = answer;
      else await new Promise((resolve) => setTimeout(resolve, Number(answer.headers.get('retry-after')) * 1000 + 100));
    }
    assert.ok(failures >= 5, `the first failures are free (${failures})`);
    assert.ok(limited, 'an address that keeps failing waits longer after each failure');
    const right = await attempt('rita-password-123');
    assert.equal(right.status, 429, 'even the right password waits: the answer must not tell a guesser it was right');
    const { error } = right.json<{ error: { code: string; remedy: string } }>();
    assert.equal(error.code, 'RATE_LIMITED');
    assert.match(error.remedy, /try again in \d+ s/);
    assert.ok(Number(right.headers.get('retry-after')) >= 1);
    // Another user from the same address is not kept waiting, and a new password lifts the wait.
    assert.equal((await attempt(TOM_PASSWORD, 'tom')).status, 200);
    const reset = await service.cli(['user', 'set-password', 'rita', '--password-stdin'], { input: 'rita-new-password-1\n' });
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal((await attempt('rita-new-password-1')).status, 200);
    assert.equal((await attempt('rita-new-password-1')).status, 200);
    // A name that is no user is not written down: it may be a password typed in the wrong field.
    assert.equal((await attempt('whatever', 'Correct-Horse-Battery')).status, 401);
    const audit = (await call(service.baseUrl, sessions.owner, 'GET', '/api/audit?limit=50')).text;
    assert.doesNotMatch(audit, /Correct-Horse-Battery/);
    assert.match(audit, /"actor":"\(unknown user\)"/);
  });

  test("a synchronize command gets none of dataalm's settings, and a password in it is not shown", async () => {
    const command = 'env | sort; echo postgresql://sync:pw-in-the-command@localhost/x; dataalm sample customise uat-notes';
    assert.equal((await call(service.baseUrl, sessions.manager, 'PATCH', '/api/environments/contoso-uat', { syncCommand: command })).status, 403);
    const set = await call(service.baseUrl, sessions.owner, 'PATCH', '/api/environments/contoso-uat', { syncCommand: command });
    assert.equal(set.status, 200, set.text);
    assert.doesNotMatch(set.text, /pw-in-the-command/);
    assert.doesNotMatch((await call(service.baseUrl, sessions.member, 'GET', '/api/environments/contoso-uat')).text, /pw-in-the-command/);
    const started = await call(service.baseUrl, sessions.manager, 'POST', '/api/refreshes', { source: 'contoso-prod', target: 'contoso-uat', acknowledge: true });
    assert.equal(started.status, 202, started.text);
    const id = started.json<{ operation: Operation }>().operation.id;
    const end = (await readEvents(service.baseUrl, sessions.member, `/api/operations/${id}/events`)).at(-1)!;
    assert.equal((end.data as unknown as Operation).error?.step, 'post', 'synchronize ran and passed');
    const log = (await call(service.baseUrl, sessions.member, 'GET', `/api/operations/${id}/logs`)).text;
    assert.match(log, /stdout: DATAALM_SYNC_DATABASE_URL=postgresql:\/\/[^:]+:\*\*\*@/, 'the staging URL is given, its password hidden');
    assert.deepEqual(log.match(/stdout: DATAALM_[A-Z_]+/g)?.sort(), ['stdout: DATAALM_SYNC_DATABASE_URL', 'stdout: DATAALM_SYNC_REPORTING_DATABASE_URL']);
    assert.doesNotMatch(log, new RegExp(OWNER_PASSWORD));
    assert.doesNotMatch(log, /pw-in-the-command/);
    assert.equal((await call(service.baseUrl, sessions.manager, 'POST', `/api/operations/${id}/rollback`)).status, 200);
    assert.equal((await call(service.baseUrl, sessions.owner, 'PATCH', '/api/environments/contoso-uat', { syncCommand: 'dataalm sample customise uat-notes' })).status, 200);
  });

  test('the audit log records login, refresh, rollback and credential reveal: who, what, when, from where', async () => {
    const audit = (await call(service.baseUrl, sessions.owner, 'GET', '/api/audit?limit=1000')).json<{ at: string; actor: string; origin: string; action: string; target: string | null }[]>();
    const find = (action: string, actor: string, target?: string) => audit.find((e) => e.action === action && e.actor === actor && (target === undefined || e.target === target));
    for (const [action, actor, target] of [
      ['login', 'mia', 'mia'],
      ['login.failed', 'rita', 'rita'],
      ['operation.refresh', 'mia', 'contoso-uat'],
      ['operation.rollback', 'mia', 'contoso-uat'],
      ['environment.credentials', 'mia', 'contoso-uat'],
      ['environment.credentials.refused', 'admin', 'contoso-prod'],
      ['token.revoke', 'admin', 'admin'],
    ] as const) {
      const entry = find(action, actor, target);
      assert.ok(entry, `no audit entry ${action} by ${actor} on ${target}`);
      assert.equal(entry.origin, '127.0.0.1');
      assert.ok(Date.now() - Date.parse(entry.at) < 30 * 60 * 1000);
    }
    const cli = audit.find((e) => e.action === 'user.add' && e.target === 'mia');
    assert.ok(cli && /^cli on /.test(cli.origin), 'a local CLI action names the host it came from');
  });

  test('the OpenAPI document is generated from the schemas that validate requests', async () => {
    const openapi = (await call(service.baseUrl, anonymous, 'GET', '/api/openapi.json')).json<{
      openapi: string;
      paths: Record<string, Record<string, { 'x-roles': string[]; requestBody?: { content: Record<string, { schema: { properties: Record<string, Record<string, unknown>>; required: string[] } }> } }>>;
    }>();
    assert.equal(openapi.openapi, '3.1.0');
    const refresh = openapi.paths['/api/refreshes']!.post!;
    assert.deepEqual(refresh['x-roles'], ['owner', 'manager']);
    const schema = refresh.requestBody!.content['application/json']!.schema;
    assert.deepEqual(schema.required.sort(), ['acknowledge', 'source', 'target']);
    assert.equal(schema.properties.acknowledge!.const, true);
    assert.equal(schema.properties.jobs!.minimum, 1);
    // What the document says is what the server enforces.
    const tooFew = await call(service.baseUrl, sessions.manager, 'POST', '/api/refreshes', { source: 'contoso-prod', target: 'contoso-uat', acknowledge: true, jobs: 0 });
    assert.equal(tooFew.status, 400);
    assert.equal(tooFew.json<{ error: { field: string } }>().error.field, 'jobs');
    const unknown = await call(service.baseUrl, sessions.manager, 'POST', '/api/refreshes', { source: 'contoso-prod', target: 'contoso-uat', acknowledge: true, force: true });
    assert.equal(unknown.status, 400);
  });

  test('a refused refresh answers 409 with every reason and starts nothing', async () => {
    const before = (await call(service.baseUrl, sessions.manager, 'GET', '/api/operations')).json<Operation[]>().length;
    const refused = await call(service.baseUrl, sessions.manager, 'POST', '/api/refreshes', { source: 'fabrikam-uat', target: 'contoso-uat', acknowledge: true });
    assert.equal(refused.status, 409);
    const answer = refused.json<{ refused: boolean; reasons: { code: string; remedy: string }[] }>();
    assert.equal(answer.refused, true);
    assert.ok(answer.reasons.some((r) => r.code === 'TENANT_MISMATCH' && r.remedy.length > 0));
    assert.equal((await call(service.baseUrl, sessions.manager, 'GET', '/api/operations')).json<Operation[]>().length, before);
  });

  test('Apply updates over the API: import a shared asset, the verdict per package, production is the owner\'s, refusals are 409', async () => {
    const imported = await call(service.baseUrl, sessions.manager, 'POST', '/api/assets', { shared: 'application-10.0.38-pu62' });
    assert.equal(imported.status, 201, imported.text);
    const asset = imported.json<{ id: number; kind: string; shared: string }>();
    assert.equal(asset.kind, 'binary');
    const verdicts = (await call(service.baseUrl, sessions.member, 'GET', '/api/environments/contoso-test/packages')).json<{ asset: { id: number }; applicable: boolean }[]>();
    assert.deepEqual(verdicts.find((v) => v.asset.id === asset.id)?.applicable, true);
    const uat = (await call(service.baseUrl, sessions.member, 'GET', '/api/environments/contoso-uat/packages')).json<{ asset: { id: number }; applicable: boolean; reasons: { code: string }[] }[]>();
    assert.deepEqual(uat.find((v) => v.asset.id === asset.id)?.reasons.map((r) => r.code), ['PACKAGE_NOT_FOR_RELEASE']);

    const before = (await call(service.baseUrl, sessions.owner, 'GET', '/api/operations')).json<Operation[]>().length;
    const byManager = await call(service.baseUrl, sessions.manager, 'POST', '/api/environments/contoso-prod/apply', { package: asset.id });
    assert.equal(byManager.status, 403);
    const byOwner = await call(service.baseUrl, sessions.owner, 'POST', '/api/environments/contoso-prod/apply', { package: asset.id });
    assert.equal(byOwner.status, 409, byOwner.text);
    assert.equal(byOwner.json<{ reasons: { code: string }[] }>().reasons[0]!.code, 'PACKAGE_NOT_FOR_RELEASE');
    assert.equal((await call(service.baseUrl, sessions.owner, 'GET', '/api/operations')).json<Operation[]>().length, before, 'nothing was started');
    const again = await call(service.baseUrl, sessions.owner, 'POST', '/api/assets', { shared: 'application-10.0.38-pu62' });
    assert.equal(again.json<{ id: number }>().id, asset.id, 'the same package imported again is the one already there');
    // A package of one's own runs SQL wherever it is applied: the owner brings it in.
    const own = { name: 'Own', kind: 'binary', version: '1.0', appliesTo: ['*'], scripts: { application: [{ name: 'note', sql: 'select 1' }] } };
    const byManagerOwn = await call(service.baseUrl, sessions.manager, 'POST', '/api/assets', { manifest: own });
    assert.equal(byManagerOwn.status, 403);
    const byOwnerOwn = await call(service.baseUrl, sessions.owner, 'POST', '/api/assets', { manifest: own });
    assert.equal(byOwnerOwn.status, 201, byOwnerOwn.text);
    const read = await call(service.baseUrl, sessions.manager, 'GET', `/api/assets/${byOwnerOwn.json<{ id: number }>().id}`);
    assert.deepEqual(read.json<{ scripts: unknown }>().scripts, { application: [{ name: 'note', sql: 'select 1' }] }, 'the SQL can be read before applying');
    const badBody = await call(service.baseUrl, sessions.owner, 'POST', '/api/assets', { manifest: { name: 'x', kind: 'firmware' } });
    assert.equal(badBody.status, 400);
    assert.match(badBody.text, /kind: must be one of/);

    const shown = (await call(service.baseUrl, sessions.member, 'GET', '/api/environments/contoso-uat')).json<{ versions: { components: { name: string; version: string }[] } }>();
    assert.deepEqual(shown.versions.components.find((c) => c.name === 'MRApplicationService'), { name: 'MRApplicationService', version: '10.0.38.3' });
  });

  test('a new role takes effect at once, and the last project owner cannot be demoted or removed', async () => {
    const tom = await signIn(service.baseUrl, 'tom', TOM_PASSWORD);
    const promoted = await call(service.baseUrl, sessions.owner, 'PATCH', '/api/users/tom', { role: 'manager' });
    assert.equal(promoted.status, 200);
    assert.equal((await call(service.baseUrl, tom, 'GET', '/api/session')).status, 401, "tom's old session ended with his old role");
    const again = await signIn(service.baseUrl, 'tom', TOM_PASSWORD);
    assert.equal((await call(service.baseUrl, again, 'GET', '/api/audit')).status, 200);
    const demote = await call(service.baseUrl, sessions.owner, 'PATCH', '/api/users/admin', { role: 'member' });
    assert.equal(demote.status, 400);
    assert.match(demote.text, /only project owner/);
    assert.equal((await call(service.baseUrl, sessions.owner, 'DELETE', '/api/users/admin')).status, 400);
  });

  test('a user changes their own password: the current one is checked, and every session ends', async () => {
    const mia = await signIn(service.baseUrl, 'mia', MIA_PASSWORD);
    const other = await signIn(service.baseUrl, 'mia', MIA_PASSWORD);
    const wrong = await call(service.baseUrl, mia, 'POST', '/api/session/password', { currentPassword: 'not-it', newPassword: 'mia-new-password-1' });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json<{ error: { field: string } }>().error.field, 'currentPassword');
    const short = await call(service.baseUrl, mia, 'POST', '/api/session/password', { currentPassword: MIA_PASSWORD, newPassword: 'short' });
    assert.equal(short.status, 400);
    const changed = await call(service.baseUrl, mia, 'POST', '/api/session/password', { currentPassword: MIA_PASSWORD, newPassword: 'mia-new-password-1' });
    assert.equal(changed.status, 204, changed.text);
    for (const session of [mia, other]) assert.equal((await call(service.baseUrl, session, 'GET', '/api/session')).status, 401);
    assert.equal((await call(service.baseUrl, anonymous, 'POST', '/api/session', { username: 'mia', password: MIA_PASSWORD })).status, 401);
    await signIn(service.baseUrl, 'mia', 'mia-new-password-1');
    const audit = (await call(service.baseUrl, sessions.owner, 'GET', '/api/audit?limit=20')).json<{ actor: string; action: string; target: string }[]>();
    assert.ok(audit.some((e) => e.action === 'user.set-password' && e.actor === 'mia' && e.target === 'mia'));
  });

  // Last: it spends this address's sign-in budget for the next five minutes.
  test('sign-in is limited per client address, whatever the user names', async () => {
    let answer: Answer | undefined;
    for (let i = 0; i < 101; i += 1) {
      // Malformed attempts cost the server nothing, and count all the same.
      answer = await call(service.baseUrl, anonymous, 'POST', '/api/session', { username: `user-${i}` });
      if (answer.status === 429) break;
    }
    assert.equal(answer!.status, 429);
    assert.equal(answer!.json<{ error: { code: string } }>().error.code, 'RATE_LIMITED');
    assert.ok(Number(answer!.headers.get('retry-after')) > 0);
    assert.equal((await call(service.baseUrl, anonymous, 'POST', '/api/session', { username: 'tom', password: TOM_PASSWORD })).status, 429);
  });
});
