import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type Browser, browserMissing, checkAccessibility, launchBrowser, signIn, signOut } from './helpers/browser.ts';
import { ROOT } from './helpers/cli.ts';
import { PHONE, checkNoSidewaysScroll } from './helpers/layout.ts';
import { OWNER_PASSWORD, type Service, addUsers, startService } from './helpers/service.ts';

// Every page of the web UI on a phone (390 × 844) in Chromium, against a real service with
// the demo project and one finished refresh: no page scrolls sideways, no element reaches out
// of the window, and axe-core finds no serious or critical violation. Then the words: the
// seed's names, history as sentences, units as the CLI writes them.

/** What a page needs: its finished refresh, to name it in a path. */
interface Context {
  readonly refresh: number;
}

/** One page of the UI (or one state of it, such as an open menu), as it is checked here. */
interface LayoutPage {
  readonly name: string;
  readonly path: (context: Context) => string;
  /** The page's h1, which says it is shown. */
  readonly heading: string | RegExp;
  /** Shown signed out (the sign-in page); the others are seen by the project owner. */
  readonly signedOut?: boolean;
  /** Waits for what the page loads (or opens what is to be checked). */
  readonly ready?: (page: Page) => Promise<void>;
}

const TARGET = 'contoso-uat';
const SOURCE = 'contoso-prod';
const MIA_PASSWORD = 'mia-password-layout-1';
const SCREENSHOTS = path.join(ROOT, 'test-artifacts', 'screenshots', 'phone');

const heading = (page: Page, name: string) => page.getByRole('heading', { name, exact: true }).first().waitFor();

/**
 * Every page of web/src/router.tsx, and the states of them that show more (an open menu, a
 * chosen source, a question). A page added to the UI is added here.
 */
const PAGES: readonly LayoutPage[] = [
  { name: 'sign-in', path: () => '/login', heading: 'Sign in to dataalm', signedOut: true },
  { name: 'environments', path: () => '/', heading: 'Environments', ready: (page) => page.getByRole('link', { name: TARGET, exact: true }).waitFor() },
  {
    name: 'sandbox with its mirror card',
    path: () => `/environments/${TARGET}`,
    heading: TARGET,
    ready: async (page) => {
      await heading(page, 'Mirror');
      await page.getByLabel('Source to mirror').waitFor();
      await heading(page, 'History');
    },
  },
  {
    name: 'sandbox with the Maintain menu open',
    path: () => `/environments/${TARGET}`,
    heading: TARGET,
    ready: async (page) => {
      await page.getByRole('button', { name: 'Maintain' }).click();
      await page.getByRole('link', { name: 'Refresh database' }).waitFor();
    },
  },
  { name: 'production', path: () => `/environments/${SOURCE}`, heading: SOURCE, ready: (page) => heading(page, 'History') },
  { name: 'retail sandbox', path: () => '/environments/contoso-test', heading: 'contoso-test', ready: (page) => heading(page, 'History') },
  {
    name: 'refresh with a source chosen',
    path: () => `/environments/${TARGET}/refresh`,
    heading: 'Refresh database',
    ready: async (page) => {
      await page.getByRole('group', { name: 'Source environment' }).getByRole('radio', { name: new RegExp(`^${SOURCE}\\b`) }).check();
      await heading(page, 'Not copied');
    },
  },
  {
    name: 'refresh with every source refused',
    path: () => '/environments/fabrikam-uat/refresh',
    heading: 'Refresh database',
    ready: (page) => page.getByRole('group', { name: 'Source environment' }).waitFor(),
  },
  {
    name: 'finished refresh',
    path: ({ refresh }) => `/operations/${refresh}`,
    heading: /^Refresh #\d+$/,
    ready: async (page) => {
      await page.locator('.card', { has: page.getByRole('heading', { name: 'Summary' }) }).getByText('Succeeded').waitFor();
      await heading(page, 'Verification report');
    },
  },
  {
    name: 'apply updates',
    path: () => '/environments/contoso-test/apply',
    heading: 'Apply updates to contoso-test',
    ready: (page) => page.getByRole('group', { name: 'Packages in the asset library' }).waitFor(),
  },
  { name: 'asset library', path: () => '/assets', heading: 'Asset library', ready: (page) => heading(page, 'Shared assets') },
  { name: 'audit log', path: () => '/audit', heading: 'Audit log', ready: (page) => page.getByRole('columnheader', { name: 'Details' }).waitFor() },
  { name: 'users', path: () => '/users', heading: 'Users and roles', ready: (page) => page.getByRole('row', { name: /mia/ }).waitFor() },
  {
    name: 'users with a question open',
    path: () => '/users',
    heading: 'Users and roles',
    ready: async (page) => {
      await page.getByRole('button', { name: 'Remove mia' }).click();
      await page.getByRole('dialog', { name: 'Remove mia?' }).waitFor();
    },
  },
  { name: 'your account', path: () => '/tokens', heading: 'Your account', ready: (page) => heading(page, 'Create an API token') },
  { name: 'schedules', path: () => '/schedules', heading: 'Schedules', ready: (page) => heading(page, 'Schedule a refresh') },
  { name: 'notifications', path: () => '/notifications', heading: 'Notifications', ready: (page) => heading(page, 'Add a subscription') },
  { name: 'not found', path: () => '/no/such/page', heading: 'Page not found' },
];

const missing = browserMissing();
// On CI a missing browser fails the suite (in before); elsewhere these tests are skipped.
const skip = missing !== undefined && !process.env.CI ? `skipped: ${missing}` : false;

describe('web UI on a phone', { skip }, () => {
  let service: Service;
  let browser: Browser;
  let page: Page;
  let context: Context;
  let signedIn = false;

  before(async () => {
    if (missing) throw new Error(`the web UI tests need Chromium: ${missing}`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    service = await startService('ui-layout');
    await addUsers(service, [['mia', 'manager', MIA_PASSWORD]]);
    const refreshed = await service.cli(['refresh', '--source', SOURCE, '--target', TARGET, '--yes', '--json']);
    assert.equal(refreshed.code, 0, refreshed.stderr + refreshed.stdout);
    context = { refresh: (JSON.parse(refreshed.stdout) as { id: number }).id };
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(30_000);
    await page.setViewportSize(PHONE);
  });

  after(async () => {
    await browser?.close();
    await service?.stop();
  });

  async function open(entry: LayoutPage): Promise<void> {
    if (entry.signedOut && signedIn) {
      await signOut(page);
      signedIn = false;
    }
    if (!entry.signedOut && !signedIn) {
      await signIn(page, service.baseUrl, 'admin', OWNER_PASSWORD);
      signedIn = true;
    }
    await page.goto(`${service.baseUrl}${entry.path(context)}`);
    await page.getByRole('heading', { level: 1, name: entry.heading }).waitFor();
    await entry.ready?.(page);
  }

  for (const entry of PAGES) {
    test(`${entry.name}: nothing scrolls sideways at ${PHONE.width} px, and no serious accessibility violation`, async () => {
      await open(entry);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${entry.name.replace(/\W+/g, '-')}.png`), fullPage: true });
      await checkNoSidewaysScroll(page, entry.name);
      await checkAccessibility(page, `${entry.name} at ${PHONE.width} px`);
    });
  }

  test('the header shows every link of the signed-in owner whole', async () => {
    await open(PAGES.find((entry) => entry.name === 'environments')!);
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const name of ['Environments', 'Schedules', 'Asset library', 'Users and roles', 'Audit log', 'Notifications', 'Your account']) {
      const box = await nav.getByRole('link', { name, exact: true }).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `${name} is inside the window: ${JSON.stringify(box)}`);
    }
  });

  test("the seed's names, history as sentences, and sizes in binary units", async () => {
    await open(PAGES.find((entry) => entry.name === 'sandbox with its mirror card')!);
    const overview = page.locator('.card', { has: page.getByRole('heading', { name: 'Overview', exact: true }) });
    await overview.getByText('Environment Administrator', { exact: true }).waitFor();

    const history = page.locator('.card', { has: page.getByRole('heading', { name: 'History', exact: true }) });
    const refreshed = history.getByRole('row').filter({ hasText: `refresh from ${SOURCE}: succeeded` }).first();
    const details = await refreshed.locator('td').last().innerText();
    assert.match(details, /^Operation #\d+, .*offline for \d+ (ms|s)\.$/, 'the refresh in the history, as a sentence');
    const all = await history.locator('td').allInnerTexts();
    for (const text of all) assert.doesNotMatch(text, /[{}[\]"]|\b[a-z]+[A-Z]\w*:/, `no raw key or JSON in the history: ${text}`);

    await open(PAGES.find((entry) => entry.name === 'audit log')!);
    const audit = await page.locator('td.details-cell').allInnerTexts();
    for (const text of audit) assert.doesNotMatch(text, /[{}[\]"]|\b[a-z]+[A-Z]\w*:/, `no raw key or JSON in the audit log: ${text}`);

    await open(PAGES.find((entry) => entry.name === 'refresh with a source chosen')!);
    const estimate = await page.getByRole('main').innerText();
    assert.match(estimate, /\d+(\.\d)? (B|KiB|MiB|GiB), about/, 'the estimate in binary units');
    assert.doesNotMatch(estimate, /\b(kB|KB|MB|GB)\b/, 'no decimal units');
  });

  test('the CLI: a refused dry run says why first, then its long preview', async () => {
    const dry = await service.cli(['refresh', '--source', SOURCE, '--target', 'fabrikam-uat', '--dry-run']);
    assert.equal(dry.code, 12, dry.stderr);
    assert.match(dry.stdout, /^dataalm: refused: .+ \[TENANT_MISMATCH\]\n {2}remedy: /, 'the refusal is the first line');
    const preview = dry.stdout.indexOf('Data elements that are not copied:');
    assert.ok(preview > dry.stdout.lastIndexOf('dataalm: refused:'), `the preview comes after every reason:\n${dry.stdout}`);
  });
});
