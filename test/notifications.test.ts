import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NewNotificationSubscription, NotificationDelivery, NotificationSubscription, Operation } from '../src/contract/index.ts';
import { needsAction, parseEvents } from '../src/domain/notification.ts';
import { type Browser, browserMissing, checkAccessibility, launchBrowser, signIn as signInPage } from './helpers/browser.ts';
import { BIN, ROOT, runCli } from './helpers/cli.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { type Caller, call, signIn } from './helpers/http-client.ts';
import { freePort } from './helpers/service.ts';
import { type Hook, type Mail, type Receivers, signedWith, startReceivers } from './helpers/receivers.ts';
import { waitFor } from './helpers/wait.ts';
import { type WorkerProcess, startWorker } from './helpers/workers.ts';

// Notifications end to end: a local webhook receiver (node:http) and a local SMTP server
// (smtp-server) started here; subscriptions added with the CLI; refreshes of the demo
// (contoso-uat from contoso-prod) run by the CLI, their notifications sent by a worker.

const TARGET = 'contoso-uat';
const SOURCE = 'contoso-prod';
const OWNER_PASSWORD = 'owner-password-notifications-1';
const MIA_PASSWORD = 'manager-password-mia-3';
const TOM_PASSWORD = 'member-password-tom-3';
const DELIVERY_TIMEOUT_MS = 60_000;

interface Listed extends NotificationSubscription {
  readonly deliveries: NotificationDelivery[];
}

describe('notifications', () => {
  let demo: Demo;
  let receivers: Receivers;
  let worker: WorkerProcess | undefined;
  let hookUrl: string;
  let hooks: Hook[];
  let mails: Mail[];
  const secrets: string[] = [];
  const smtpEnv = () => ({ DATAALM_SMTP_URL: receivers.smtpUrl });

  const cli = async (args: string[], extra: Record<string, string> = {}) => demo.cli(args, { ...smtpEnv(), ...extra });
  const json = <T>(result: { code: number | null; stdout: string; stderr: string }, code = 0): T => {
    assert.equal(result.code, code, result.stderr + result.stdout);
    return JSON.parse(result.stdout) as T;
  };
  const hooksOf = (operation: number) => hooks.filter((h) => h.body.operationId === operation);
  const mailsOf = (operation: number) => mails.filter((m) => m.raw.includes(`operation ${operation}`) || m.raw.includes(`refresh ${operation} `));
  const list = async () => json<Listed[]>(await cli(['notify', 'list', '--json']));

  before(async () => {
    receivers = await startReceivers();
    ({ hookUrl, hooks, mails } = receivers);
    demo = await startDemo('notifications');
  });

  after(async () => {
    await worker?.stop();
    await demo?.close();
    await receivers?.close();
  });

  test('bad input is refused with the usual codes, and nothing is added', async () => {
    const refused = async (args: string[], code: number, pattern: RegExp, extra: Record<string, string> = {}) => {
      const result = await cli(['notify', 'add', ...args], extra);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}${result.stdout}`);
      assert.match(result.stderr, pattern);
    };
    await refused([], 2, /exactly one of --webhook URL and --email ADDRESS/);
    await refused(['--webhook', `${hookUrl}/x`, '--email', 'ops@example.com'], 2, /exactly one of/);
    await refused(['--webhook', 'ftp://example.com/hook'], 2, /webhook \(--webhook\): ftp is not http or https/);
    await refused(['--webhook', 'not a url'], 2, /webhook \(--webhook\): not a URL/);
    await refused(['--email', 'not-an-address'], 2, /email \(--email\): "not-an-address" is not an e-mail address/);
    await refused(['--webhook', `${hookUrl}/x`, '--events', 'started,finished'], 2, /unknown event "finished".*started, succeeded, failed, needs-action/);
    await refused(['--webhook', `${hookUrl}/x`, '--env', 'no-such-env'], 3, /environment "no-such-env" does not exist/);
    // Without an SMTP server, e-mail is refused with the remedy.
    await refused(['--email', 'ops@example.com'], 8, /need an SMTP server.*set DATAALM_SMTP_URL/, { DATAALM_SMTP_URL: '' });
    const asJson = await cli(['notify', 'add', '--webhook', 'ftp://example.com', '--json']);
    assert.equal(asJson.code, 2);
    assert.equal((JSON.parse(asJson.stdout) as { error: { code: string; field: string } }).error.field, 'webhook');
    assert.equal((await cli(['notify', 'remove', 'abc'])).code, 2);
    assert.equal((await cli(['notify', 'remove', '999'])).code, 3);
    assert.equal((await cli(['notify', 'test', '999'])).code, 3);
    assert.deepEqual(await list(), []);
  });

  test('a refresh: the webhook and the SMTP server each get "started" and "succeeded"; a receiver answering 500 then 200 gets it on the retry', async () => {
    const hook = json<NewNotificationSubscription>(await cli(['notify', 'add', '--webhook', `${hookUrl}/all`, '--json']));
    assert.equal(hook.subscription.environment, null);
    assert.deepEqual(hook.subscription.events, ['started', 'succeeded', 'failed', 'needs-action']);
    assert.match(hook.secret ?? '', /^whsec_[\w-]{40,}$/);
    secrets.push(hook.secret!);
    const mail = json<NewNotificationSubscription>(await cli(['notify', 'add', '--email', 'ops@example.com', '--env', TARGET, '--json']));
    assert.equal(mail.secret, null);
    assert.equal(mail.subscription.environment, TARGET);
    const flaky = json<NewNotificationSubscription>(await cli(['notify', 'add', '--webhook', `${hookUrl}/flaky`, '--events', 'started', '--env', TARGET, '--json']));
    secrets.push(flaky.secret!);
    receivers.plans.set('/flaky', [500]);
    // Not told: another environment's subscription, and one for other events.
    await cli(['notify', 'add', '--webhook', `${hookUrl}/other-env`, '--env', 'contoso-test']);
    await cli(['notify', 'add', '--webhook', `${hookUrl}/failures`, '--events', 'failed']);

    worker = await startWorker(demo.env(smtpEnv()));
    const refreshed = json<Operation>(await cli(['refresh', '--source', SOURCE, '--target', TARGET, '--yes', '--json']));
    assert.equal(refreshed.state, 'succeeded');
    const id = refreshed.id;

    const told = await waitFor('the webhook to get started and succeeded', () => {
      const got = hooksOf(id).filter((h) => h.path === '/all');
      return got.length >= 2 && got;
    }, { timeoutMs: DELIVERY_TIMEOUT_MS });
    // Each event is a job of its own: they may arrive in any order.
    told.sort((a, b) => String(a.body.event).localeCompare(String(b.body.event)));
    assert.deepEqual(told.map((h) => h.body.event), ['started', 'succeeded']);
    for (const h of told) {
      assert.ok(signedWith(h, hook.secret!), `the signature of "${String(h.body.event)}" verifies with the subscription's secret`);
      assert.ok(!signedWith(h, flaky.secret!), 'another secret does not verify it');
      assert.equal(h.headers['x-dataalm-event'], h.body.event);
      assert.match(String(h.headers['x-dataalm-timestamp']), /^\d{10}$/);
      assert.equal(h.headers['content-type'], 'application/json');
    }
    const succeeded = told[1]!.body;
    assert.equal(succeeded.operationId, id);
    assert.equal(succeeded.kind, 'refresh');
    assert.equal(succeeded.target, TARGET);
    assert.equal(succeeded.source, SOURCE);
    assert.equal(succeeded.state, 'succeeded');
    assert.equal(succeeded.step, null);
    assert.equal(succeeded.error, null);
    assert.equal(succeeded.link, `/operations/${id}`);
    assert.ok(typeof succeeded.startedAt === 'string' && typeof succeeded.finishedAt === 'string');
    assert.equal(told[0]!.body.state, 'running');

    const got = await waitFor('the SMTP server to get started and succeeded', () => mailsOf(id).length >= 2 && mailsOf(id), { timeoutMs: DELIVERY_TIMEOUT_MS });
    assert.deepEqual(got.map((m) => m.to), [['ops@example.com'], ['ops@example.com']]);
    assert.match(got.map((m) => m.raw).join('\n'), new RegExp(`Subject: dataalm: refresh ${id} of ${TARGET} from ${SOURCE} started`));
    assert.match(got.map((m) => m.raw).join('\n'), new RegExp(`Subject: dataalm: refresh ${id} of ${TARGET} from ${SOURCE} succeeded`));

    // The flaky receiver: 500, then 200 on the retry; both attempts are in the delivery log.
    const retried = await waitFor('the flaky receiver to get the retry', async () => {
      const entry = (await list()).find((s) => s.id === flaky.subscription.id)!;
      return entry.deliveries[0]?.state === 'delivered' && entry.deliveries[0];
    }, { timeoutMs: DELIVERY_TIMEOUT_MS, intervalMs: 500 });
    assert.equal(retried.operation, id);
    assert.equal(retried.event, 'started');
    assert.deepEqual(retried.attempts.map((a) => [a.attempt, a.ok, a.httpStatus]), [[1, false, 500], [2, true, 200]]);
    assert.match(retried.attempts[0]!.error ?? '', /answered HTTP 500/);
    assert.ok(Date.parse(retried.attempts[1]!.at) > Date.parse(retried.attempts[0]!.at));
    assert.deepEqual(hooks.filter((h) => h.path === '/flaky').map((h) => h.status), [500, 200]);
    const shown = await cli(['notify', 'list']);
    assert.match(shown.stdout, /attempt 1 at .*: failed, HTTP 500/);
    assert.match(shown.stdout, /attempt 2 at .*: ok, HTTP 200/);

    assert.equal(hooks.filter((h) => h.path === '/other-env' || h.path === '/failures').length, 0, 'no one else was told');
  });

  test('a failing refresh sends "failed" with the step, and "needs-action" since it failed after its cutover', async () => {
    await demo.query('contoso_uat_app', 'UPDATE dmfrecurringjob SET enabled = 0');
    // No worker runs while the refresh does: its notifications wait in the queue for the next one.
    await worker!.stop();
    worker = undefined;
    const failed = json<Operation>(await cli(['refresh', '--source', SOURCE, '--target', TARGET, '--yes', '--json'], { DATAALM_TEST_FAIL_AT: 'post' }), 13);
    const id = failed.id;
    assert.equal(hooksOf(id).length, 0, 'nothing is sent without a worker');
    const waiting = await demo.query<{ n: string }>('dataalm', `select count(*) as n from dataalm.notification_deliveries where operation_id = $1 and state = 'pending'`, [id]);
    assert.ok(Number(waiting[0]!.n) >= 3, 'the deliveries are recorded, pending');
    worker = await startWorker(demo.env(smtpEnv()));
    const told = await waitFor('failed and needs-action', () => {
      const got = hooksOf(id).filter((h) => h.path === '/all');
      return got.length >= 3 && got;
    }, { timeoutMs: DELIVERY_TIMEOUT_MS });
    told.sort((a, b) => String(a.body.event).localeCompare(String(b.body.event)));
    assert.deepEqual(told.map((h) => h.body.event), ['failed', 'needs-action', 'started']);
    const body = told[0]!.body as { step: string; state: string; error: { code: string; message: string } };
    assert.equal(body.state, 'failed');
    assert.equal(body.step, 'post');
    assert.equal(body.error.code, 'OPERATION_FAILED');
    assert.match(body.error.message, /failure injected at step post/);
    const action = told[1]!.body as { actions: { code: string; remedy: string }[] };
    assert.equal(action.actions[0]?.code, 'ROLLBACK_NEEDED');
    assert.match(action.actions[0]!.remedy, new RegExp(`dataalm op rollback ${id}`));
    // The subscription for failures only hears of this one.
    const failures = await waitFor('the failures-only webhook', () => hooksOf(id).filter((h) => h.path === '/failures').length >= 1 && hooksOf(id).filter((h) => h.path === '/failures'));
    assert.deepEqual(failures.map((h) => h.body.event), ['failed']);
    await waitFor('the e-mail of the failure', () => mailsOf(id).some((m) => /Subject: dataalm: refresh \d+ of contoso-uat from contoso-prod failed at step post/.test(m.raw)), { timeoutMs: DELIVERY_TIMEOUT_MS });
    assert.equal((await cli(['op', 'rollback', String(id)])).code, 0);
  });

  test('notify test sends now and says what happened; an unreachable receiver fails the command', async () => {
    const subscriptions = await list();
    const hook = subscriptions.find((s) => s.address === `${hookUrl}/all`)!;
    const before = hooks.length;
    const sent = await cli(['notify', 'test', String(hook.id)]);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /Test notification delivered: the receiver answered HTTP 200/);
    const received = hooks.slice(before).find((h) => h.body.event === 'test')!;
    assert.ok(signedWith(received, secrets[0]!), 'a test is signed too');

    const mail = subscriptions.find((s) => s.channel === 'email')!;
    const delivery = json<NotificationDelivery>(await cli(['notify', 'test', String(mail.id), '--json']));
    assert.equal(delivery.state, 'delivered');
    assert.ok(mails.some((m) => /Subject: dataalm: test notification/.test(m.raw)));

    // A port nothing listens on (fetch refuses some low ports outright, as browsers do).
    const closed = await freePort();
    const dead = json<NewNotificationSubscription>(await cli(['notify', 'add', '--webhook', `http://127.0.0.1:${closed}/hook`, '--json']));
    const failed = await cli(['notify', 'test', String(dead.subscription.id)]);
    assert.equal(failed.code, 17, failed.stderr);
    assert.match(failed.stderr, /the test notification was not delivered: the receiver could not be reached: ECONNREFUSED/);
    const asJson = json<NotificationDelivery>(await cli(['notify', 'test', String(dead.subscription.id), '--json']), 17);
    assert.equal(asJson.state, 'failed');
    assert.equal(asJson.attempts.length, 1);
    assert.equal((await cli(['notify', 'remove', String(dead.subscription.id)])).code, 0);
    assert.ok(!(await list()).some((s) => s.id === dead.subscription.id));
  });

  test('no signing secret is in a log, the audit log, a list or the worker output', async () => {
    assert.equal(secrets.length, 2);
    const texts: [string, string][] = [
      ['runbook logs', (await demo.query<{ t: string }>('dataalm', 'select string_agg(message || coalesce(data::text, \'\'), E\'\\n\') as t from dataalm.operation_log'))[0]!.t],
      ['audit log', (await demo.query<{ t: string }>('dataalm', 'select string_agg(details::text, E\'\\n\') as t from dataalm.audit_log'))[0]!.t],
      ['attempts', (await demo.query<{ t: string }>('dataalm', 'select string_agg(coalesce(error, \'\'), E\'\\n\') as t from dataalm.notification_attempts'))[0]!.t],
      ['notify list --json', (await cli(['notify', 'list', '--json'])).stdout],
      ['notify list', (await cli(['notify', 'list'])).stdout],
      ['worker output', worker!.output()],
    ];
    for (const secret of secrets) for (const [where, text] of texts) assert.equal(text.includes(secret), false, `a signing secret is in the ${where}`);
    const audit = await demo.query<{ action: string }>('dataalm', `select action from dataalm.audit_log where action like 'notification.%' order by id`);
    for (const action of ['notification.add', 'notification.test', 'notification.remove']) assert.ok(audit.some((a) => a.action === action), `${action} is audited`);
  });

  test('needs-action names what a person must do: a rollback of a swapped target, the pending actions the operation left', () => {
    const operation = { id: 7, environment: 'contoso-test', kind: 'refresh' as const };
    const reprovision = { code: 'RUN_REPROVISIONING_TOOL', message: 'run the tool', remedy: 'Apply updates', since: '2026-12-07T00:00:00Z', operation: 7 };
    const older = { ...reprovision, code: 'INSTALLERS_MISSING', operation: 3 };
    assert.deepEqual(needsAction(operation, 'deployed', []), [], 'a failure before the cutover needs no one');
    assert.deepEqual(needsAction(operation, 'deployed', [reprovision, older]).map((a) => a.code), ['RUN_REPROVISIONING_TOOL'], "only this operation's actions");
    assert.deepEqual(needsAction(operation, 'failed', [reprovision]).map((a) => a.code), ['ROLLBACK_NEEDED', 'RUN_REPROVISIONING_TOOL']);
    assert.deepEqual(parseEvents(undefined), ['started', 'succeeded', 'failed', 'needs-action']);
    assert.deepEqual(parseEvents('needs-action, failed'), ['failed', 'needs-action']);
    assert.throws(() => parseEvents('failed,done'), /unknown event "done"/);
  });

  describe('HTTP API and web page', () => {
    let service: ChildProcess;
    let output = '';
    let baseUrl: string;
    let owner: Caller;
    let manager: Caller;
    let member: Caller;

    before(async () => {
      // Users after the start: the first start makes the owner only when there are none.
      const port = await freePort();
      baseUrl = `http://127.0.0.1:${port}`;
      service = spawn(process.execPath, [BIN, 'start', '--no-worker'], {
        cwd: ROOT,
        env: demo.env({ ...smtpEnv(), DATAALM_PORT: String(port), DATAALM_ADMIN_PASSWORD: OWNER_PASSWORD }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      service.stdout!.on('data', (c: Buffer) => (output += c.toString()));
      service.stderr!.on('data', (c: Buffer) => (output += c.toString()));
      await waitFor('dataalm start to come up', () => {
        if (service.exitCode !== null) throw new Error(`dataalm start exited early:\n${output}`);
        return output.includes('dataalm is running at');
      }, { timeoutMs: 120_000 });
      await addUser('mia', 'manager', MIA_PASSWORD);
      await addUser('tom', 'member', TOM_PASSWORD);
      owner = await signIn(baseUrl, 'admin', OWNER_PASSWORD);
      manager = await signIn(baseUrl, 'mia', MIA_PASSWORD);
      member = await signIn(baseUrl, 'tom', TOM_PASSWORD);
    });

    after(async () => {
      if (service && service.exitCode === null) {
        const exited = new Promise((resolve) => service.once('exit', resolve));
        service.kill('SIGTERM');
        await exited;
      }
    });

    async function addUser(name: string, role: string, password: string): Promise<void> {
      const added = await runCli(['user', 'add', name, '--role', role, '--password-stdin'], demo.env(), 60_000, `${password}\n`);
      assert.equal(added.code, 0, added.stderr);
    }

    test('who may do what: owners everything, managers one environment’s, members nothing', async () => {
      const webhook = (path: string, environment?: string) => ({ webhook: `${hookUrl}/${path}`, ...(environment ? { environment } : {}), events: ['failed'] });
      const ownerWide = await call(baseUrl, owner, 'POST', '/api/notifications', webhook('owner-wide'));
      assert.equal(ownerWide.status, 201, ownerWide.text);
      const wide = ownerWide.json<NewNotificationSubscription>();
      assert.match(wide.secret ?? '', /^whsec_/);

      const managerWide = await call(baseUrl, manager, 'POST', '/api/notifications', webhook('manager-wide'));
      assert.equal(managerWide.status, 403);
      assert.match(managerWide.text, /only a project owner manages project-wide notifications/);
      const managerEnv = await call(baseUrl, manager, 'POST', '/api/notifications', webhook('manager-env', TARGET));
      assert.equal(managerEnv.status, 201, managerEnv.text);
      const own = managerEnv.json<NewNotificationSubscription>().subscription;
      assert.equal((await call(baseUrl, manager, 'DELETE', `/api/notifications/${wide.subscription.id}`)).status, 403);
      assert.equal((await call(baseUrl, manager, 'POST', `/api/notifications/${wide.subscription.id}/test`)).status, 403);
      const tested = await call(baseUrl, manager, 'POST', `/api/notifications/${own.id}/test`);
      assert.equal(tested.status, 200);
      assert.equal(tested.json<NotificationDelivery>().state, 'delivered');
      const log = await call(baseUrl, manager, 'GET', `/api/notifications/${own.id}/deliveries`);
      assert.equal(log.json<NotificationDelivery[]>()[0]?.event, 'test');
      const listed = await call(baseUrl, manager, 'GET', '/api/notifications');
      assert.equal(listed.status, 200);
      assert.ok(!listed.text.includes('whsec_'), 'no secret in a list');
      assert.equal((await call(baseUrl, manager, 'DELETE', `/api/notifications/${own.id}`)).status, 204);

      for (const [method, path, body] of [
        ['GET', '/api/notifications', undefined],
        ['POST', '/api/notifications', webhook('member', TARGET)],
        ['DELETE', `/api/notifications/${wide.subscription.id}`, undefined],
        ['POST', `/api/notifications/${wide.subscription.id}/test`, undefined],
        ['GET', `/api/notifications/${wide.subscription.id}/deliveries`, undefined],
      ] as const) {
        assert.equal((await call(baseUrl, member, method, path, body)).status, 403, `member ${method} ${path}`);
        assert.equal((await call(baseUrl, { label: 'anonymous' }, method, path, body)).status, 401, `anonymous ${method} ${path}`);
      }
      const bad = await call(baseUrl, owner, 'POST', '/api/notifications', { webhook: 'ftp://x', events: ['failed'] });
      assert.equal(bad.status, 400);
      assert.equal(bad.json<{ error: { field: string } }>().error.field, 'webhook');
      const unknown = await call(baseUrl, owner, 'POST', '/api/notifications', { ...webhook('x'), events: ['sometimes'] });
      assert.equal(unknown.status, 400);
      assert.equal((await call(baseUrl, owner, 'POST', '/api/notifications', { ...webhook('x'), extra: 1 })).status, 400);
      assert.equal((await call(baseUrl, owner, 'DELETE', `/api/notifications/${wide.subscription.id}`)).status, 204);

      const audit = await call(baseUrl, owner, 'GET', '/api/audit');
      const entries = audit.json<{ actor: string; action: string }[]>();
      assert.ok(entries.some((e) => e.actor === 'mia' && e.action === 'notification.add'));
      assert.ok(entries.some((e) => e.actor === 'admin' && e.action === 'notification.remove'));
    });

    test('the CLI with --server manages them through the API, as the token’s user', async () => {
      const token = (await call(baseUrl, manager, 'POST', '/api/tokens', { name: 'notify' })).json<{ token: string }>().token;
      const remote = (args: string[]) => runCli([...args, '--server', baseUrl], { PATH: process.env.PATH, HOME: process.env.HOME, DATAALM_HOME: '/nonexistent/dataalm-home', DATAALM_TOKEN: token });
      const wide = await remote(['notify', 'add', '--webhook', `${hookUrl}/remote`]);
      assert.equal(wide.code, 5, 'a manager adds no project-wide subscription');
      assert.match(wide.stderr, /only a project owner manages project-wide notifications/);
      const added = json<NewNotificationSubscription>(await remote(['notify', 'add', '--webhook', `${hookUrl}/remote`, '--env', TARGET, '--events', 'failed', '--json']));
      assert.match(added.secret ?? '', /^whsec_/);
      assert.equal((await remote(['notify', 'add', '--email', 'ops@example.com', '--events', 'sometimes'])).code, 2);
      const tested = await remote(['notify', 'test', String(added.subscription.id)]);
      assert.equal(tested.code, 0, tested.stderr);
      assert.match(tested.stdout, /Test notification delivered/);
      const listed = json<Listed[]>(await remote(['notify', 'list', '--json'])).find((l) => l.id === added.subscription.id)!;
      assert.deepEqual(listed.deliveries.map((d) => [d.event, d.state]), [['test', 'delivered']]);
      assert.equal((await remote(['notify', 'remove', String(added.subscription.id)])).code, 0);
      assert.equal((await remote(['notify', 'remove', String(added.subscription.id)])).code, 3);
    });

    const skip = browserMissing();
    test('the page at 390 × 844: add a webhook, send a test, read the delivery log, remove it', { skip: skip !== undefined && !process.env.CI ? `skipped: ${skip}` : false }, async () => {
      const browser: Browser = await launchBrowser();
      try {
        const page = await browser.context.newPage();
        await page.setViewportSize({ width: 390, height: 844 });
        await signInPage(page, baseUrl, 'mia', MIA_PASSWORD);
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
        await page.getByRole('heading', { level: 1, name: 'Notifications' }).waitFor();
        const noSideways = async (what: string) => {
          const widths = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, view: window.innerWidth }));
          assert.ok(widths.scroll <= widths.view, `${what}: the page is ${widths.scroll} px wide in a ${widths.view} px window`);
        };
        await noSideways('the notifications page');
        await checkAccessibility(page, 'notifications page');

        await page.getByLabel('Webhook URL').fill(`${hookUrl}/from-the-page`);
        await page.getByLabel('Environment').selectOption(TARGET);
        await page.getByRole('checkbox', { name: /^Started/ }).uncheck();
        await page.getByRole('button', { name: 'Add subscription' }).click();
        await page.getByText('Copy its signing secret now').waitFor();
        const secret = await page.getByLabel('Signing secret', { exact: true }).inputValue();
        assert.match(secret, /^whsec_/);
        await noSideways('with the new subscription and its secret');
        await checkAccessibility(page, 'notifications page with a subscription');

        const card = page.locator('.card', { has: page.getByText(`${hookUrl}/from-the-page`) });
        await card.getByRole('button', { name: /Send a test/ }).click();
        await page.getByText(`Test notification delivered to ${hookUrl}/from-the-page (HTTP 200).`).waitFor();
        const received = hooks.filter((h) => h.path === '/from-the-page');
        assert.equal(received.length, 1);
        assert.ok(signedWith(received[0]!, secret), 'signed with the secret the page showed');
        await card.getByText('Delivery log').click();
        await card.getByText(/Attempt 1, .*: ok, HTTP 200/).waitFor();
        await noSideways('with the delivery log open');
        await page.screenshot({ path: path.join(ROOT, 'test-artifacts', 'screenshots', 'notifications-390.png'), fullPage: true });
        await checkAccessibility(page, 'notifications page with its delivery log');

        await card.getByRole('button', { name: /Remove/ }).click();
        const dialog = page.getByRole('dialog', { name: 'Remove this subscription?' });
        await dialog.waitFor();
        await checkAccessibility(page, 'the removal question');
        await dialog.getByRole('button', { name: 'Remove the subscription' }).click();
        await card.waitFor({ state: 'detached' });
        assert.ok(!(await list()).some((s) => s.address === `${hookUrl}/from-the-page`));
      } finally {
        await browser.close();
      }
    });
  });
});
