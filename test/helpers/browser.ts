/// <reference lib="dom" />
// playwright-core's types name DOM classes (the page side of evaluate and locators).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { AxeResults, Result } from 'axe-core';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium; the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Why the browser tests cannot run here, or undefined when they can (on CI they must). */
export function browserMissing(): string | undefined {
  return fs.existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is not installed (apt-get install chromium)`;
}

/** Headless Chromium in a fresh profile that is removed on close; downloads are kept for the test. */
export async function launchBrowser(): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** axe-core's browser bundle, injected into the page under test. */
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** WCAG 2.0 and 2.1 A and AA, and axe's best practices. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

export interface AccessibilityOptions {
  /** axe rule ids to leave out of this one check, each a false positive explained where it is passed. */
  readonly disableRules?: readonly string[];
}

/**
 * Runs axe-core on the page as it is now and fails on every serious or critical violation,
 * naming the rule, its impact, its help text and the first few elements it found.
 */
export async function checkAccessibility(page: Page, label: string, options: AccessibilityOptions = {}): Promise<void> {
  // Evaluated rather than added as a <script> tag: the service's Content-Security-Policy
  // (script-src 'self') refuses inline scripts, and the browser tests keep that policy on.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(fs.readFileSync(AXE_SCRIPT, 'utf8'));
  const rules = Object.fromEntries((options.disableRules ?? []).map((id) => [id, { enabled: false }]));
  const results = await page.evaluate(
    ({ tags, rules }) => {
      const { axe } = window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } };
      return axe.run(document, { runOnly: tags, rules, resultTypes: ['violations'] });
    },
    { tags: AXE_TAGS, rules },
  );
  const serious = results.violations.filter((v: Result) => v.impact === 'serious' || v.impact === 'critical');
  const describe = (v: Result) => {
    const targets = v.nodes.slice(0, 3).map((node) => node.target.map(String).join(' > '));
    const more = v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : '';
    return `  ${v.id} (${v.impact}): ${v.help}\n    at ${targets.join(', ')}${more}`;
  };
  assert.equal(serious.length, 0, `${label}: ${serious.length} serious or critical accessibility violations\n${serious.map(describe).join('\n')}`);
}

/** Signs in on the web UI at `baseUrl` and waits for the environments list. */
export async function signIn(page: Page, baseUrl: string, name: string, password: string): Promise<void> {
  const h1 = (title: string) => page.getByRole('heading', { level: 1, name: title });
  await page.goto(`${baseUrl}/`);
  await h1('Sign in to dataalm').waitFor();
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await h1('Environments').waitFor();
}

/** Signs out and waits for the sign-in page. */
export async function signOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { level: 1, name: 'Sign in to dataalm' }).waitFor();
}
