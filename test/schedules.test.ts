import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { AuditEntry, Operation, RefusedAnswer, Schedule, ScheduleRun } from '../src/contract/index.ts';
import { type Browser, browserMissing, checkAccessibility, launchBrowser, signIn as signInPage } from './helpers/browser.ts';
import { BIN, ROOT, runCli } from './helpers/cli.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { type Caller, call, signIn } from './helpers/http-client.ts';
import { OWNER_PASSWORD, freePort } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';

// Scheduled refreshes on the demo (contoso-uat from contoso-prod), through the real CLI, the
// HTTP API of `dataalm start` (whose worker fires the schedules) and a browser. One demo copy
// and one service for the whole file.
const TARGET = 'contoso-uat';
const SOURCE = 'contoso-prod';
const USERS = [
  ['mia', 'manager', 'manager-password-mia-3'],
  ['tom', 'member', 'member-password-tom-3'],
  ['sam', 'manager', 'manager-password-sam-3'],
] as const;
/** A short lease: the worker looks for due schedules every lease/2 seconds (3 s). */
const LEASE_SECONDS = '6';
/** A phone's width: the page must not scroll sideways. */
const NARROW = { width: 390, height: 844 };
const SCREENSHOTS = path.join(ROOT, 'test-artifacts', 'screenshots');

const missing = browserMissing();
const skipBrowser = missing !== undefined && !process.env.CI ? `skipped: ${missing}` : false;

describe('schedules', () => {
  let demo: Demo;
  let child: ChildProcess | undefined;
  let exited: Promise<unknown> = Promise.resolve();
  let output = '';
  let baseUrl = '';
  const callers = {} as Record<'owner' | 'mia' | 'tom' | 'sam', Caller>;

  const cli = (args: string[]) => demo.cli(args, { DATAALM_LEASE_SECONDS: LEASE_SECONDS });
  const api = (caller: Caller, method: string, path: string, body?: unknown) => call(baseUrl, caller, method, path, body);
  const runsOf = async (id: number) => (await api(callers.owner, 'GET', `/api/schedules/${id}/runs`)).json<ScheduleRun[]>();
  const addByApi = async (caller: Caller, body: Record<string, string>): Promise<Schedule> => {
    const added = await api(caller, 'POST', '/api/schedules', body);
    assert.equal(added.status, 201, added.text);
    return added.json<Schedule>();
  };

  before(async () => {
    demo = await startDemo('schedules');
    const port = await freePort();
    const env = demo.env({ DATAALM_PORT: String(port), DATAALM_ADMIN_PASSWORD: OWNER_PASSWORD, DATAALM_LEASE_SECONDS: LEASE_SECONDS });
    child = spawn(process.execPath, [BIN, 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    exited = new Promise((resolve) => child!.once('exit', resolve));
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor('dataalm start to come up', () => {
      if (child!.exitCode !== null) throw new Error(`dataalm start exited early:\n${output}`);
      return output.includes('dataalm is running at');
    }, { timeoutMs: 120_000 });
    baseUrl = `http://127.0.0.1:${port}`;
    for (const [name, role, password] of USERS) {
      const added = await runCli(['user', 'add', name, '--role', role, '--password-stdin'], demo.env(), 60_000, `${password}\n`);
      assert.equal(added.code, 0, added.stderr);
      callers[name] = await signIn(baseUrl, name, password);
    }
    callers.owner = await signIn(baseUrl, 'admin', OWNER_PASSWORD);
  });

  after(async () => {
    if (child && child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await demo?.close();
  });

  test('a bad cron expression, time zone, id or environment, a production target and a source that may not refresh the target are refused, each with its exit code', async () => {
    const add = (target: string, source: string, cron: string, ...extra: string[]) => cli(['schedule', 'add', target, '--source', source, '--cron', cron, ...extra]);
    const cases: [() => Promise<{ code: number | null; stderr: string }>, number, RegExp][] = [
      [() => add(TARGET, SOURCE, '61 * * * *'), 2, /cron \(--cron\): "61 \* \* \* \*" is not a cron expression: Invalid value for minute/],
      [() => add(TARGET, SOURCE, '* * * *'), 2, /has 4 fields, not 5/],
      [() => add(TARGET, SOURCE, '@daily'), 2, /has 1 field, not 5/],
      [() => add(TARGET, SOURCE, '0 0 30 2 *'), 2, /never comes/],
      [() => add(TARGET, SOURCE, '0 2 * * *', '--timezone', 'Mars/Olympus'), 2, /timezone \(--timezone\): "Mars\/Olympus" is not an IANA time zone/],
      [() => add('no-such-env', SOURCE, '0 2 * * *'), 3, /environment "no-such-env" does not exist/],
      [() => add(TARGET, 'no-such-env', '0 2 * * *'), 3, /environment "no-such-env" does not exist/],
      [() => add(SOURCE, TARGET, '0 2 * * *'), 12, /\[TARGET_IS_PRODUCTION\]/],
      [() => add('fabrikam-uat', SOURCE, '0 2 * * *'), 12, /\[TENANT_MISMATCH\]/],
      [() => add('contoso-test', SOURCE, '0 2 * * *'), 12, /\[RELEASE_MISMATCH\]/],
      [() => cli(['schedule', 'add', TARGET, '--source', SOURCE]), 2, /required option '--cron <expr>' not specified/],
      [() => cli(['schedule', 'pause', 'abc']), 2, /"abc" is not a schedule id/],
      [() => cli(['schedule', 'resume', '999']), 3, /schedule 999 does not exist/],
      [() => cli(['schedule', 'remove', '999']), 3, /schedule 999 does not exist/],
    ];
    for (const [running, code, message] of cases) {
      const result = await running();
      assert.equal(result.code, code, result.stderr);
      assert.match(result.stderr, message);
    }
    const refused = await cli(['schedule', 'add', 'fabrikam-uat', '--source', SOURCE, '--cron', '0 2 * * *', '--json']);
    assert.equal(refused.code, 12);
    assert.ok((JSON.parse(refused.stdout) as RefusedAnswer).reasons.some((r) => r.code === 'TENANT_MISMATCH'));
    const invalid = await cli(['schedule', 'add', TARGET, '--source', SOURCE, '--cron', 'every day', '--json']);
    assert.deepEqual(JSON.parse(invalid.stdout).error.field, 'cron');

    const answers = [
      await api(callers.mia, 'POST', '/api/schedules', { target: TARGET, source: SOURCE, cron: '0 25 * * *' }),
      await api(callers.mia, 'POST', '/api/schedules', { target: TARGET, source: SOURCE, cron: '0 2 * * *', timezone: 'Nowhere/City' }),
      await api(callers.mia, 'POST', '/api/schedules', { target: TARGET, source: SOURCE, cron: '0 2 * * *', jobs: 4 }),
    ];
    assert.deepEqual(answers.map((a) => [a.status, a.json<{ error: { code: string; field: string } }>().error.field]), [[400, 'cron'], [400, 'timezone'], [400, 'body']]);
    const production = await api(callers.mia, 'POST', '/api/schedules', { target: SOURCE, source: TARGET, cron: '0 2 * * *' });
    assert.equal(production.status, 409);
    assert.ok(production.json<RefusedAnswer>().reasons.some((r) => r.code === 'TARGET_IS_PRODUCTION'));
    assert.deepEqual((await api(callers.owner, 'GET', '/api/schedules')).json(), [], 'nothing was added');
  });

  test('add, list, pause, resume and remove by CLI and API; a team member reads but may not add, pause or remove; every change is audited', async () => {
    const added = await cli(['schedule', 'add', TARGET, '--source', SOURCE, '--cron', '0  2 * * *', '--timezone', 'europe/paris', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const mine = JSON.parse(added.stdout) as Schedule;
    assert.equal(mine.cron, '0 2 * * *');
    assert.equal(mine.timezone, 'Europe/Paris');
    assert.equal(mine.description, 'at 02:00 every day');
    assert.equal(mine.createdByKind, 'host');
    assert.equal(mine.paused, false);
    // 02:00 in Paris is 00:00 or 01:00 UTC (summer or winter time), within a day.
    const next = new Date(mine.nextRunAt!);
    assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 24 * 3600_000, mine.nextRunAt!);
    assert.ok([0, 1].includes(next.getUTCHours()) && next.getUTCMinutes() === 0, mine.nextRunAt!);

    const forbidden = await api(callers.tom, 'POST', '/api/schedules', { target: TARGET, source: SOURCE, cron: '0 3 * * *' });
    assert.equal(forbidden.status, 403);
    const theirs = await addByApi(callers.mia, { target: TARGET, source: SOURCE, cron: '30 6 * * 1-5' });
    assert.deepEqual([theirs.createdBy, theirs.createdByKind, theirs.timezone, theirs.description], ['mia', 'user', 'UTC', 'at 06:30 Monday to Friday']);

    const listed = (await api(callers.tom, 'GET', '/api/schedules')).json<Schedule[]>();
    assert.deepEqual(listed.map((s) => s.id).sort(), [mine.id, theirs.id].sort(), 'a team member reads the schedules');
    const table = await cli(['schedule', 'list']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /at 02:00 every day \(0 2 \* \* \*\)\s+\d{4}-\d\d-\d\d 02:00 Europe\/Paris/);
    assert.match(table.stdout, new RegExp(`${theirs.id}\\s+${TARGET}\\s+${SOURCE}\\s+at 06:30 Monday to Friday`));

    for (const path of [`/api/schedules/${mine.id}/pause`, `/api/schedules/${mine.id}/resume`]) assert.equal((await api(callers.tom, 'POST', path)).status, 403);
    assert.equal((await api(callers.tom, 'DELETE', `/api/schedules/${mine.id}`)).status, 403);

    const paused = (await api(callers.mia, 'POST', `/api/schedules/${mine.id}/pause`)).json<Schedule>();
    assert.deepEqual([paused.paused, paused.nextRunAt], [true, null]);
    const resumed = await cli(['schedule', 'resume', String(mine.id), '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal((JSON.parse(resumed.stdout) as Schedule).nextRunAt, mine.nextRunAt);
    const pausedByCli = await cli(['schedule', 'pause', String(theirs.id)]);
    assert.match(pausedByCli.stdout, new RegExp(`Schedule ${theirs.id} paused\\.`));
    assert.equal((await api(callers.owner, 'POST', `/api/schedules/${theirs.id}/resume`)).json<Schedule>().paused, false);

    const removed = await cli(['schedule', 'remove', String(mine.id), '--json']);
    assert.deepEqual(JSON.parse(removed.stdout), { id: mine.id, removed: true });
    assert.equal((await api(callers.mia, 'DELETE', `/api/schedules/${theirs.id}`)).status, 204);
    assert.equal((await api(callers.mia, 'DELETE', `/api/schedules/${theirs.id}`)).status, 404);
    assert.equal((await api(callers.owner, 'GET', `/api/schedules/${theirs.id}/runs`)).status, 404);
    assert.deepEqual((await api(callers.owner, 'GET', '/api/schedules')).json(), []);

    const audit = (await api(callers.owner, 'GET', '/api/audit?limit=100')).json<AuditEntry[]>().filter((e) => e.action.startsWith('schedule.'));
    const of = (id: number) => audit.filter((e) => e.details.schedule === id).map((e) => `${e.action} by ${e.actor}`).reverse();
    const host = mine.createdBy;
    assert.deepEqual(of(mine.id), [`schedule.add by ${host}`, 'schedule.pause by mia', `schedule.resume by ${host}`, `schedule.remove by ${host}`]);
    assert.deepEqual(of(theirs.id), ['schedule.add by mia', `schedule.pause by ${host}`, 'schedule.resume by admin', 'schedule.remove by mia']);
  });

  test('every minute: one schedule refreshes contoso-uat as its creator and the refresh succeeds; another due at the same time finds the target busy and is skipped; a paused one does not fire', { timeout: 240_000 }, async () => {
    // All three get the same next minute: they are added early in a minute.
    await waitFor('a minute with time left to add the schedules', () => new Date().getSeconds() < 35, { timeoutMs: 30_000, intervalMs: 200 });
    const first = await addByApi(callers.mia, { target: TARGET, source: SOURCE, cron: '* * * * *' });
    const added = await cli(['schedule', 'add', TARGET, '--source', SOURCE, '--cron', '* * * * *', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const second = JSON.parse(added.stdout) as Schedule;
    const paused = await addByApi(callers.mia, { target: TARGET, source: SOURCE, cron: '* * * * *' });
    assert.equal((await cli(['schedule', 'pause', String(paused.id)])).code, 0);
    assert.equal(new Set([first.nextRunAt, second.nextRunAt, paused.nextRunAt]).size, 1, 'the three are due at the same minute');
    const due = first.nextRunAt!;

    const [a, b] = await waitFor(
      'both running schedules to fire',
      async () => {
        const runs = [await runsOf(first.id), await runsOf(second.id)];
        return runs.every((r) => r.length > 0) && runs;
      },
      { timeoutMs: 100_000, intervalMs: 500 },
    );
    // Stop them before their next minute: each due time fires once.
    for (const id of [first.id, second.id]) assert.equal((await api(callers.mia, 'POST', `/api/schedules/${id}/pause`)).status, 200);
    const runs = [...a!, ...b!];
    assert.deepEqual(runs.map((r) => r.dueAt), [due, due], 'one run each, for the minute they were due');
    const started = runs.find((r) => r.outcome === 'started');
    const skipped = runs.find((r) => r.outcome === 'skipped');
    assert.ok(started && skipped, `one started, one skipped: ${JSON.stringify(runs)}`);
    assert.equal(skipped.code, 'TARGET_BUSY');
    assert.match(skipped.reason!, new RegExp(`operation ${started.operation} \\(refresh, \\w+\\) is already running on ${TARGET}`));
    assert.deepEqual(await runsOf(paused.id), [], 'the paused schedule did not fire');

    const operation = await waitFor(
      `refresh ${started.operation} to end`,
      async () => {
        const o = (await api(callers.tom, 'GET', `/api/operations/${started.operation}`)).json<Operation>();
        return ['queued', 'running', 'rolling-back'].includes(o.state) ? undefined : o;
      },
      { timeoutMs: 150_000, intervalMs: 500 },
    );
    assert.equal(operation.state, 'succeeded', JSON.stringify(operation.error));
    assert.deepEqual([operation.kind, operation.environment, operation.source], ['refresh', TARGET, SOURCE]);
    const creator = started.schedule === first.id ? 'mia' : second.createdBy;
    assert.equal(operation.requestedBy, creator, 'the refresh is requested as the schedule creator');
    const audit = (await api(callers.owner, 'GET', '/api/audit?limit=100')).json<AuditEntry[]>();
    const request = audit.find((e) => e.action === 'operation.refresh' && e.details.operation === started.operation);
    assert.deepEqual([request?.actor, request?.origin], [creator, `schedule ${started.schedule}`]);
    const logs = await (await fetch(`${baseUrl}/api/operations/${started.operation}/logs`, { headers: { cookie: callers.owner.cookie! } })).text();
    assert.match(logs, new RegExp(`started by schedule ${started.schedule} \\(every minute, UTC\\) as ${creator}`));
    assert.match(output, new RegExp(`schedule ${started.schedule} \\(${TARGET} from ${SOURCE}, due ${due}\\) started refresh ${started.operation}`));
  });

  test('times missed while no worker ran fire once; a creator who may no longer refresh has the run refused, with the reason', async () => {
    // Paused at once, so it cannot fire before sam is a team member.
    await waitFor('a minute with time left to add the schedule', () => new Date().getSeconds() < 50, { timeoutMs: 30_000, intervalMs: 200 });
    const schedule = await addByApi(callers.sam, { target: TARGET, source: SOURCE, cron: '* * * * *' });
    assert.equal((await api(callers.sam, 'POST', `/api/schedules/${schedule.id}/pause`)).status, 200);
    const demoted = await runCli(['user', 'set-role', 'sam', 'member'], demo.env());
    assert.equal(demoted.code, 0, demoted.stderr);
    // Ten due times passed while nothing ran.
    await demo.query(
      'dataalm',
      `update dataalm.schedules set paused = false, next_run_at = date_trunc('minute', now()) - interval '10 minutes' where id = $1`,
      [schedule.id],
    );
    const missed = (await demo.query<{ at: Date }>('dataalm', 'select next_run_at as at from dataalm.schedules where id = $1', [schedule.id]))[0]!.at;
    const run = await waitFor('the missed schedule to fire', async () => (await runsOf(schedule.id)).at(-1), { timeoutMs: 30_000, intervalMs: 250 });
    assert.equal((await api(callers.owner, 'POST', `/api/schedules/${schedule.id}/pause`)).status, 200);
    assert.equal(run.dueAt, missed.toISOString());
    assert.deepEqual([run.outcome, run.code, run.operation], ['refused', 'FORBIDDEN', null]);
    assert.match(run.reason!, /sam, who created the schedule, is now a Team member and may not request refreshes/);
    const runs = await runsOf(schedule.id);
    const before = runs.filter((r) => Date.parse(r.dueAt) < Date.parse(run.firedAt) - 1000);
    assert.equal(before.length, 1, `the ten missed minutes fired once: ${JSON.stringify(runs)}`);
  });

  test('of the workers that find a schedule due at once, exactly one claims the due time', async () => {
    const schedule = await addByApi(callers.mia, { target: TARGET, source: SOURCE, cron: '0 3 * * *' });
    const workers = [await demo.runtime(), await demo.runtime()];
    const due = schedule.nextRunAt!;
    const next = new Date(Date.parse(due) + 24 * 3600_000);
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => workers[i % 2]!.schedules.claim(schedule.id, due, next)));
    assert.equal(claims.filter(Boolean).length, 1, `one claim wins: ${claims.join(', ')}`);
    const after = (await api(callers.owner, 'GET', '/api/schedules')).json<Schedule[]>().find((s) => s.id === schedule.id)!;
    assert.equal(after.nextRunAt, next.toISOString(), 'the winner moved the next run on');
    assert.equal((await api(callers.mia, 'DELETE', `/api/schedules/${schedule.id}`)).status, 204);
  });

  test('the Schedules page: reached from the header, lists the schedules with their runs, adds, pauses and removes one after confirming; no sideways scrolling at 390 px, no serious axe violation', { skip: skipBrowser }, async () => {
    if (missing) throw new Error(`the browser test needs Chromium: ${missing}`);
    let browser: Browser | undefined;
    try {
      browser = await launchBrowser();
      const page: Page = browser.context.pages()[0] ?? (await browser.context.newPage());
      page.setDefaultTimeout(30_000);
      await page.setViewportSize(NARROW);
      await signInPage(page, baseUrl, 'admin', OWNER_PASSWORD);
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Schedules' }).click();
      await page.getByRole('heading', { level: 1, name: 'Schedules' }).waitFor();
      await page.getByText(/^Started refresh #\d+$/).first().waitFor();
      await page.getByText(/^Skipped: operation \d+/).first().waitFor();
      await page.getByText(/^Refused: sam, who created the schedule/).first().waitFor();
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.equal(await overflow(), 0, 'the list does not scroll sideways at 390 px');
      await checkAccessibility(page, 'schedules page');

      await page.getByLabel('Sandbox to refresh').selectOption(TARGET);
      await page.getByLabel('Copy from').selectOption(SOURCE);
      await page.getByLabel('When (cron expression)').fill('15 4 * * *');
      await page.getByLabel('Time zone').fill('Europe/Paris');
      await page.getByRole('button', { name: 'Schedule refresh' }).click();
      const notice = page.getByRole('status').filter({ hasText: /^Schedule #\d+ added/ });
      await notice.waitFor();
      const id = Number(/#(\d+)/.exec(await notice.innerText())![1]);
      const card = page.locator('.card', { has: page.getByRole('heading', { name: `#${id}: ${TARGET} from ${SOURCE}` }) });
      await card.getByText('at 04:15 every day, Europe/Paris time').waitFor();
      await card.getByText(/your time \(in \d+ (min|h)/).waitFor();
      assert.equal(await overflow(), 0, 'the form and the new schedule do not scroll sideways');
      fs.mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: path.join(SCREENSHOTS, `schedules-${NARROW.width}.png`), fullPage: true });

      await card.getByRole('button', { name: `Pause schedule #${id}` }).click();
      const pauseQuestion = page.getByRole('dialog', { name: `Pause schedule #${id}?` });
      await pauseQuestion.waitFor();
      await checkAccessibility(page, 'pause question');
      await pauseQuestion.getByRole('button', { name: 'Pause' }).click();
      await card.getByText('Paused: it does not run until it is resumed').waitFor();
      assert.equal((await api(callers.owner, 'GET', '/api/schedules')).json<Schedule[]>().find((s) => s.id === id)?.paused, true);

      await card.getByRole('button', { name: `Remove schedule #${id}` }).click();
      const removeQuestion = page.getByRole('dialog', { name: `Remove schedule #${id}?` });
      await removeQuestion.getByRole('button', { name: 'Cancel' }).click();
      await removeQuestion.waitFor({ state: 'hidden' });
      await card.getByRole('button', { name: `Remove schedule #${id}` }).click();
      await removeQuestion.getByRole('button', { name: 'Remove' }).click();
      await card.waitFor({ state: 'detached' });
      assert.equal((await api(callers.owner, 'GET', '/api/schedules')).json<Schedule[]>().some((s) => s.id === id), false);
      await checkAccessibility(page, 'schedules page after a removal');
    } finally {
      await browser?.close();
    }
  });
});
