import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Page } from 'playwright-core';
import { loadConfig } from '../src/config/config.ts';
import { type Runtime, openRuntime } from '../src/app/runtime.ts';
import { reprovisionRemedy } from '../src/app/assets/asset-service.ts';
import { type Browser, browserMissing, checkAccessibility, launchBrowser, signIn as signInAs, signOut as signOutOf } from './helpers/browser.ts';
import { type Caller, call, signIn as apiSignIn } from './helpers/http-client.ts';
import { OWNER_PASSWORD, type Service, addUsers, startService } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';

// Self-service without a shell, in Chromium against a real service with the demo project: a
// sandbox refreshed twice in a row; its active recurring jobs stopped from its page; a failed
// refresh rolled back after its logs are downloaded, on the operation page; a pending action
// done with buttons; an environment added, changed and removed, and a package imported, by the
// project owner. And the API of the recurring jobs and of the changes: who may, what is audited.

const MIA_PASSWORD = 'mia-password-self-1';
const TOM_PASSWORD = 'tom-password-self-1';
const TARGET = 'contoso-uat';
const SOURCE = 'contoso-prod';
const RETAIL = 'contoso-test';
const REFRESH_TIMEOUT_MS = 240_000;
/** A name as a regular expression that matches it literally (job names have parentheses). */
const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const missing = browserMissing();
const skip = missing !== undefined && !process.env.CI ? `skipped: ${missing}` : false;

describe('self-service in the web UI', { skip }, () => {
  let service: Service;
  let runtime: Runtime;
  let browser: Browser;
  let page: Page;
  const callers = {} as Record<'owner' | 'manager' | 'member', Caller>;

  const url = (pathname: string) => `${service.baseUrl}${pathname}`;
  const h1 = (name: string | RegExp) => page.getByRole('heading', { level: 1, name });
  const card = (heading: string) => page.locator('.card', { has: page.getByRole('heading', { name: heading, exact: true }) });
  const operationState = () => card('Summary').locator('dd').first();
  const shownOperation = () => Number(new URL(page.url()).pathname.split('/').pop());

  /** A statement on the target's application database, as its own user. */
  async function onTarget(sql: string): Promise<pg.QueryResultRow[]> {
    const client = new pg.Client({ connectionString: (await runtime.environments.connectionUrls(TARGET)).application });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }

  /** The name of one of the target's recurring jobs, now active. */
  async function activateOneJob(): Promise<string> {
    const [job] = await onTarget('UPDATE dmfrecurringjob SET enabled = 1 WHERE recid = (SELECT min(recid) FROM dmfrecurringjob) RETURNING name');
    return String(job!.name);
  }

  async function signInAsUser(name: string, password: string): Promise<void> {
    if (await page.getByRole('button', { name: 'Sign out' }).count()) await signOutOf(page);
    await signInAs(page, service.baseUrl, name, password);
  }

  /** Refresh page of the target, contoso-prod chosen, acknowledged and started; ends on the operation page. */
  async function refreshFromUi(): Promise<number> {
    await page.goto(url(`/environments/${TARGET}/refresh`));
    await h1('Refresh database').waitFor();
    await page.getByRole('group', { name: 'Source environment' }).getByRole('radio', { name: new RegExp(`^${SOURCE}\\b`) }).check();
    await page.getByRole('heading', { name: 'Not copied' }).waitFor();
    await page.getByLabel(`I understand that all data in ${TARGET} is replaced`).check();
    await page.getByRole('button', { name: 'Refresh database' }).click();
    await page.waitForURL(/\/operations\/\d+$/);
    const id = shownOperation();
    await h1(`Refresh #${id}`).waitFor();
    return id;
  }

  async function operationEnd(): Promise<string> {
    await operationState().getByText(/Succeeded|Failed|Canceled|Rolled back/).waitFor({ timeout: REFRESH_TIMEOUT_MS });
    return operationState().innerText();
  }

  before(async () => {
    if (missing) throw new Error(`the web UI tests need Chromium: ${missing}`);
    service = await startService('ui-self');
    await addUsers(service, [
      ['mia', 'manager', MIA_PASSWORD],
      ['tom', 'member', TOM_PASSWORD],
    ]);
    runtime = await openRuntime(loadConfig(service.env(), path.dirname(service.home)));
    callers.owner = await apiSignIn(service.baseUrl, 'admin', OWNER_PASSWORD);
    callers.manager = await apiSignIn(service.baseUrl, 'mia', MIA_PASSWORD);
    callers.member = await apiSignIn(service.baseUrl, 'tom', TOM_PASSWORD);
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
  });

  after(async () => {
    await browser?.close();
    await runtime?.close();
    await service?.stop();
  });

  test('API: anyone reads the recurring jobs; owners and managers stop a sandbox\'s (audited), never production\'s', async () => {
    const job = await activateOneJob();
    const read = await call(service.baseUrl, callers.member, 'GET', `/api/environments/${TARGET}/recurring-jobs`);
    assert.equal(read.status, 200, read.text);
    const jobs = read.json<{ checked: boolean; stoppable: boolean; active: { name: string }[] }>();
    assert.deepEqual([jobs.checked, jobs.stoppable, jobs.active.map((j) => j.name)], [true, true, [job]]);

    assert.equal((await call(service.baseUrl, callers.member, 'POST', `/api/environments/${TARGET}/recurring-jobs/stop`)).status, 403);
    const production = await call(service.baseUrl, callers.manager, 'POST', `/api/environments/${SOURCE}/recurring-jobs/stop`);
    assert.equal(production.status, 409, production.text);
    assert.equal(production.json<{ reasons: { code: string }[] }>().reasons[0]!.code, 'TARGET_IS_PRODUCTION');
    assert.ok((await onTarget('SELECT 1 FROM dmfrecurringjob WHERE enabled = 1')).length > 0, 'the refused stop changed nothing');

    const stopped = await call(service.baseUrl, callers.manager, 'POST', `/api/environments/${TARGET}/recurring-jobs/stop`);
    assert.equal(stopped.status, 200, stopped.text);
    assert.deepEqual(stopped.json<{ stopped: string[]; active: unknown[] }>(), { ...stopped.json(), stopped: [job], active: [] });
    assert.equal((await onTarget('SELECT 1 FROM dmfrecurringjob WHERE enabled = 1')).length, 0);
    const audit = (await call(service.baseUrl, callers.owner, 'GET', '/api/audit?limit=20')).json<{ actor: string; action: string; target: string; details: { stopped?: string[] } }[]>();
    const entry = audit.find((e) => e.action === 'environment.recurring-jobs.stop');
    assert.deepEqual(entry && [entry.actor, entry.target, entry.details.stopped], ['mia', TARGET, [job]]);

    // The CLI does the same: env recurring-jobs lists them, env stop-recurring-jobs stops them.
    await activateOneJob();
    const listed = await service.cli(['env', 'recurring-jobs', TARGET]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`has 1 active recurring data-management job\\(s\\)[\\s\\S]*${literally(job)}[\\s\\S]*dataalm env stop-recurring-jobs ${TARGET}`));
    const cli = await service.cli(['env', 'stop-recurring-jobs', TARGET, '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(JSON.parse(cli.stdout).stopped, [job]);
    assert.equal((await service.cli(['env', 'stop-recurring-jobs', SOURCE])).code, 12, 'production is refused');
  });

  test('API: changing an environment is the owner\'s, checked as env add checks, and never echoes a password', async () => {
    const urls = await runtime.environments.connectionUrls(TARGET);
    const password = decodeURIComponent(new URL(urls.application!).password);
    assert.equal((await call(service.baseUrl, callers.manager, 'PATCH', `/api/environments/${TARGET}`, { administrator: 'x@contoso.com' })).status, 403);
    const wrong = await call(service.baseUrl, callers.owner, 'PATCH', `/api/environments/${TARGET}`, { administrator: 'someone@fabrikam.com' });
    assert.equal(wrong.status, 400, wrong.text);
    const cli = await service.cli(['env', 'add', 'x-check', '--type', 'sandbox', '--tenant', 'contoso.com', '--admin', 'someone@fabrikam.com', '--app-db', urls.application!, '--release', '10.0.38', '--platform-update', '62', '--reporting-version', '10.0.38.3']);
    const message = wrong.json<{ error: { message: string; field: string } }>().error;
    assert.equal(message.field, 'administrator');
    assert.ok(cli.stderr.includes(message.message), `the CLI says the same: ${cli.stderr} / ${message.message}`);
    const same = await call(service.baseUrl, callers.owner, 'PATCH', `/api/environments/${TARGET}`, { databaseUrls: { application: urls.application } });
    assert.equal(same.status, 200, same.text);
    assert.ok(!same.text.includes(password), 'no password in the answer');
    // A synchronize command with a password, shown hidden, sent back as shown by a form that
    // sends every field: the real command stays.
    const command = 'sync-tool --source postgres://sync:sync-secret-1@db.contoso.example/app';
    assert.equal((await call(service.baseUrl, callers.owner, 'PATCH', `/api/environments/${TARGET}`, { syncCommand: command })).status, 200);
    const registered = (await call(service.baseUrl, callers.owner, 'GET', `/api/environments/${TARGET}`)).json<{ syncCommand: string; tenant: string; administrator: string }>();
    const hidden = registered.syncCommand;
    assert.ok(!hidden.includes('sync-secret-1'), hidden);
    const resent = await call(service.baseUrl, callers.owner, 'PATCH', `/api/environments/${TARGET}`, { tenant: registered.tenant, administrator: registered.administrator, syncCommand: hidden });
    assert.equal(resent.status, 200, resent.text);
    assert.equal((await runtime.environments.get(TARGET)).syncCommand, command, 'the hidden form is not written over the command');
    assert.equal((await call(service.baseUrl, callers.owner, 'PATCH', `/api/environments/${TARGET}`, { syncCommand: null })).status, 200);
    const upload = { upload: { name: 'asset.yaml', text: 'name: x\n', files: {} } };
    assert.equal((await call(service.baseUrl, callers.manager, 'POST', '/api/assets', upload)).status, 403);
  });

  test('contoso-uat is refreshed twice in a row from the UI; both succeed', { timeout: 2 * REFRESH_TIMEOUT_MS + 60_000 }, async () => {
    await signInAsUser('mia', MIA_PASSWORD);
    for (const round of [1, 2]) {
      const id = await refreshFromUi();
      assert.match(await operationEnd(), /Succeeded/, `refresh ${round} (#${id})`);
    }
    await checkAccessibility(page, 'operation page, succeeded');
    // A succeeded refresh is undone by a restore, as in the CLI (op rollback refuses it).
    await page.getByRole('button', { name: 'Restore the previous databases' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Rollback' }).count(), 0);
  });

  test('an active recurring job is said once above the sources, stopped from the environment page, and the refresh is no longer refused', async () => {
    const job = await activateOneJob();
    await page.goto(url(`/environments/${TARGET}/refresh`));
    await h1('Refresh database').waitFor();
    const refusal = page.getByRole('alert').filter({ hasText: `${TARGET} cannot be refreshed from any source now` });
    await refusal.getByText('active recurring data-management job').waitFor();
    const main = await page.getByRole('main').innerText();
    assert.equal(main.split('active recurring data-management job').length - 1, 1, 'the reason is said once');
    assert.ok(!main.includes('dataalm '), 'no shell command on the page');
    await checkAccessibility(page, 'refresh page with a target refusal');

    await page.goto(url(`/environments/${TARGET}`));
    const jobs = card('Recurring data jobs');
    await jobs.getByRole('row', { name: new RegExp(literally(job)) }).waitFor();
    await checkAccessibility(page, 'environment page with an active job');
    await jobs.getByRole('button', { name: 'Stop recurring jobs' }).click();
    const dialog = page.getByRole('dialog', { name: `Stop the recurring jobs of ${TARGET}?` });
    await dialog.getByText(job).waitFor();
    await dialog.getByRole('button', { name: 'Stop them' }).click();
    await jobs.getByRole('status').getByText(`Stopped ${job}`).waitFor();
    await jobs.getByText(`No recurring import or export job is active in ${TARGET}`).waitFor();
    assert.equal((await onTarget('SELECT 1 FROM dmfrecurringjob WHERE enabled = 1')).length, 0);

    await page.goto(url(`/environments/${TARGET}/refresh`));
    const prod = page.getByRole('group', { name: 'Source environment' }).getByRole('radio', { name: new RegExp(`^${SOURCE}\\b`) });
    await waitFor('contoso-prod to be an eligible source', async () => (await prod.count()) > 0 && !(await prod.isDisabled()));
    assert.equal(await page.getByText('cannot be refreshed from any source now').count(), 0);
  });

  test('a failed refresh is rolled back and its logs downloaded without leaving the browser', { timeout: REFRESH_TIMEOUT_MS + 60_000 }, async () => {
    const failing = 'echo "customisation cannot handle the refreshed data" >&2; exit 3';
    const own = (await runtime.environments.get(TARGET)).syncCommand;
    assert.equal((await call(service.baseUrl, callers.owner, 'PATCH', `/api/environments/${TARGET}`, { syncCommand: failing })).status, 200);
    try {
      const id = await refreshFromUi();
      assert.match(await operationEnd(), /Failed/);
      const actions = page.locator('.operation-actions');
      const logs = actions.getByRole('link', { name: 'Download runbook logs' });
      const rollback = actions.getByRole('button', { name: 'Rollback' });
      await rollback.waitFor();
      const order = await logs.evaluate((link, button) => Boolean(link.compareDocumentPosition(button!) & Node.DOCUMENT_POSITION_FOLLOWING), await rollback.elementHandle());
      assert.ok(order, 'Download runbook logs comes before Rollback');
      const banner = page.getByRole('alert').filter({ hasText: 'Failed at' });
      assert.ok(!(await banner.innerText()).includes('dataalm '), 'the banner names no shell command');
      await checkAccessibility(page, 'operation page, failed');

      const [download] = await Promise.all([page.waitForEvent('download'), logs.click()]);
      assert.equal(download.suggestedFilename(), `operation-${id}.log`);
      const log = fs.readFileSync(await download.path(), 'utf8');
      assert.match(log, /synchronize/);
      assert.match(log, /customisation cannot handle the refreshed data/);

      await rollback.click();
      await page.getByRole('dialog', { name: `Roll back operation #${id}?` }).getByRole('button', { name: 'Roll back' }).click();
      await operationState().getByText('Rolled back').waitFor({ timeout: REFRESH_TIMEOUT_MS });
      const after = await page.getByRole('alert').filter({ hasText: 'rolled back' }).innerText();
      assert.match(after, /Nothing is left to undo/);
      assert.ok(!/choose Rollback|dataalm /.test(after), `no stale advice after the rollback: ${after}`);
      assert.equal(await page.getByRole('button', { name: 'Rollback' }).count(), 0);
      const [again] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the runbook logs' }).click()]);
      assert.match(fs.readFileSync(await again.path(), 'utf8'), /rollback/);
    } finally {
      assert.equal((await call(service.baseUrl, callers.owner, 'PATCH', `/api/environments/${TARGET}`, { syncCommand: own })).status, 200);
    }
  });

  test('a retail pending action is done with buttons: import the shared asset, then apply it', { timeout: REFRESH_TIMEOUT_MS }, async () => {
    const retail = await runtime.environments.get(RETAIL);
    await runtime.environments.addPendingAction(RETAIL, {
      code: 'RUN_REPROVISIONING_TOOL',
      message: `${RETAIL} was refreshed: run the Environment Reprovisioning Tool so its retail components match the refreshed data`,
      remedy: await reprovisionRemedy(runtime, retail),
      since: new Date().toISOString(),
      operation: null,
    });
    await page.goto(url(`/environments/${RETAIL}`));
    const pending = page.locator('section', { has: page.getByRole('heading', { name: `Pending actions on ${RETAIL}` }) });
    await pending.waitFor();
    assert.ok(!(await pending.innerText()).includes('dataalm '), 'no shell command in the pending action');
    await pending.getByRole('button', { name: 'Import the shared asset environment-reprovisioning-tool' }).click();
    await pending.getByRole('button', { name: new RegExp(`^Apply Environment Reprovisioning Tool .* to ${RETAIL}$`) }).click();
    await page.waitForURL(/\/operations\/\d+$/);
    assert.match(await operationEnd(), /Succeeded/);
  });

  test('the owner adds, changes and removes an environment, and imports a package, in the UI', async () => {
    const uatUrl = new URL((await runtime.environments.connectionUrls(TARGET)).application!);
    const admin = new pg.Client({ connectionString: runtime.serverUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE selfservice_app OWNER ${pg.escapeIdentifier(decodeURIComponent(uatUrl.username))}`);
    } finally {
      await admin.end();
    }
    uatUrl.pathname = '/selfservice_app';
    const password = decodeURIComponent(uatUrl.password);

    await page.goto(url('/'));
    await h1('Environments').waitFor();
    assert.equal(await page.getByRole('button', { name: 'Add environment' }).count(), 0, 'a manager adds no environment');
    await signInAsUser('admin', OWNER_PASSWORD);
    await page.getByRole('button', { name: 'Add environment' }).click();
    const form = card('Add an environment');
    await form.getByLabel('Name', { exact: true }).fill('contoso-uat2');
    await form.getByLabel('Tenant').fill('contoso.com');
    await form.getByLabel('Environment Administrator').fill('someone@fabrikam.com');
    await form.getByLabel('Application release').fill('10.0.38');
    await form.getByLabel('Platform update').fill('62');
    await form.getByLabel('Financial reporting version').fill('10.0.38.3');
    await form.getByLabel('Application database URL', { exact: true }).fill(uatUrl.toString());
    await form.getByRole('button', { name: 'Add environment' }).click();
    const refused = form.getByRole('alert');
    await refused.waitFor();
    // The rule and words of `dataalm env add` (the route checks the body with the same schema first).
    assert.match(await refused.innerText(), /administrator( \(--admin\))?: must belong to the tenant contoso\.com \(got fabrikam\.com\)/);
    await checkAccessibility(page, 'add environment form with an error');
    await form.getByLabel('Environment Administrator').fill('admin@contoso.com');
    await form.getByRole('button', { name: 'Add environment' }).click();
    await h1('contoso-uat2').waitFor();
    await card('Overview').getByText('admin@contoso.com').waitFor();
    assert.ok(!(await page.content()).includes(password), 'the password is not on the page');

    const registration = card('Registration');
    await registration.getByRole('button', { name: 'Edit contoso-uat2' }).click();
    await registration.getByLabel('Environment Administrator').fill('ops@contoso.com');
    await registration.getByLabel('New application database URL').fill(uatUrl.toString());
    await checkAccessibility(page, 'edit environment form');
    await registration.getByRole('button', { name: 'Save changes' }).click();
    await registration.getByRole('status').getByText('The changes to contoso-uat2 are saved.').waitFor();
    await card('Overview').getByText('ops@contoso.com').waitFor();
    assert.equal(await page.getByLabel('New application database URL').count(), 0, 'the URL field is gone once saved');
    assert.ok(!(await page.content()).includes(password), 'the password is not on the page');
    const audit = (await call(service.baseUrl, callers.owner, 'GET', '/api/audit?limit=50')).json<{ action: string; target: string; details: { fields?: string[] } }[]>();
    assert.deepEqual(audit.find((e) => e.action === 'environment.change' && e.target === 'contoso-uat2')?.details.fields, ['administrator', 'databaseUrls.application']);

    await registration.getByRole('button', { name: 'Remove contoso-uat2' }).click();
    await page.getByRole('dialog', { name: 'Remove contoso-uat2?' }).getByRole('button', { name: 'Remove' }).click();
    await h1('Environments').waitFor();
    await page.getByRole('link', { name: TARGET, exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'contoso-uat2', exact: true }).count(), 0);
    await checkAccessibility(page, 'environments page');

    await page.goto(url('/assets'));
    const upload = card('Import a package');
    await upload.getByLabel('Package manifest').setInputFiles({
      name: 'asset.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from(['name: Custom notes', 'kind: binary', 'version: 1.0.0', "appliesTo: ['10.0.*']", 'scripts:', '  application:', '    - file: note.sql', ''].join('\n')),
    });
    await upload.getByLabel('Files it names (optional)').setInputFiles({ name: 'note.sql', mimeType: 'text/plain', buffer: Buffer.from('create table if not exists customnote (id int);\n') });
    await upload.getByRole('button', { name: 'Import package' }).click();
    await upload.getByRole('status').getByText(/Imported into the asset library as package \d+: Custom notes 1\.0\.0/).waitFor();
    await card('Packages').getByRole('row', { name: /Custom notes/ }).waitFor();
    await checkAccessibility(page, 'asset library with the import form');

    await page.goto(url('/environments/no-such-environment'));
    const notFound = page.getByRole('alert');
    await notFound.getByRole('link', { name: 'Go to the list of environments' }).waitFor();
    assert.ok(!(await notFound.innerText()).includes('dataalm '));
  });
});
