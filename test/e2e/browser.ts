import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, findService } from '../services.js';
import { REPO } from './helpers.js';

/**
 * Real Chromium for the dashboard's end-to-end tests: Debian's package driven by playwright-core
 * (no browser download). The flags keep it from reaching for Google's services, which this
 * machine's closed network would refuse many times a second.
 */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findService(CHROMIUM);
  if (executablePath === undefined) throw new Error(`Chromium is not installed: ${CHROMIUM.install}`);
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/**
 * A fresh browser profile (cookies of its own). `bypassCSP` lets the tests inject axe-core: the
 * dashboard's Content-Security-Policy rightly refuses inline scripts, which is how axe is added.
 */
export function newContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ bypassCSP: true });
}

/** Screenshots kept as test artifacts; `.ci/run` leaves this folder in place (it is git-ignored). */
export const SCREENSHOTS = path.join(REPO, 'test-artifacts', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Every error the page wrote to the console, every uncaught exception and every 5xx answer it got:
 * a test asserts this stays empty ("never a blank page or a console error"). Chromium also logs a
 * 4xx answer to `fetch` as "Failed to load resource"; those are answers the page shows by design
 * (a refused action's 403, "no quality plan"'s 404, a stale save's 412), so they are left out here
 * and the tests that cause them check what the page shows instead.
 */
export function consoleErrors(page: Page): { readonly errors: string[] } {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text())) return;
    errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 500) errors.push(`${response.status()} ${response.url()}`);
  });
  return { errors };
}

/** A serious or critical accessibility violation, as axe-core reports it. */
export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/** Runs axe-core inside the page (WCAG 2 A and AA rules) and returns its serious and critical violations. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: axeSource });
  // A string runs in the page as written: the test's own TypeScript has no DOM types.
  const options = {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
    resultTypes: ['violations'],
  };
  const violations: AxeViolation[] = await page.evaluate(
    `axe.run(document, ${JSON.stringify(options)}).then((results) => results.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)),
    })))`,
  );
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Signs in on the page at `baseUrl` with an API token, as a person would. */
export async function signIn(page: Page, baseUrl: string, token: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}
