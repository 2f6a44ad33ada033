import http from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CHROMIUM, describeWith } from '../services.js';
import {
  consoleErrors,
  launchChromium,
  newContext,
  screenshot,
  seriousViolations,
  signIn,
} from './browser.js';
import {
  artifactsBuiltBy,
  type CliResult,
  ERROR_RATE_ANALYSIS,
  type ExampleRepo,
  exampleRepo,
  HELLO_SERVICE,
  routedHello,
  runCli,
  type Served,
  serveExample,
} from './helpers.js';

/**
 * A person's day in the dashboard, in real Chromium against a real `flowline serve`: they sign
 * in, watch a pipeline run recorded by a CI machine finish with its stage log, deploy a broken
 * artifact to production from the page, watch its canary fail the analysis and go back, flip a
 * flag and kill it, and read the audit entry of each. Every main view is checked by axe and kept
 * as a screenshot; the page logs no error on the way.
 */

/** flowline.yaml; `broken` instances in production answer half their requests with 500. */
function config(broken = false): string {
  const fault = broken ? '\n    env: { FAULT_ERROR_RATE: "0.5" }' : '';
  return `${HELLO_SERVICE}stages:
  unit:
    steps:
      - run: node -e "for (let i = 1; i <= 5; i++) console.log('checking part ' + i)"
environments:
  staging: {}
  production:${fault}
    strategy:
      canary:
        steps:
          - setWeight: 50
          - pause: { duration: 1s }
          - analysis: { templates: [{ templateName: errors }] }
${ERROR_RATE_ANALYSIS}`;
}

const describeBrowser = describeWith(CHROMIUM);

describeBrowser('the dashboard: a day of delivery in a real browser', () => {
  let example: ExampleRepo;
  let served: Served;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const tokens = { ci: '', deploy: '' };
  let broken = '';

  const cli = (...args: string[]): Promise<CliResult> =>
    runCli(args, { cwd: example.repo, env: example.env });
  const url = (path: string) => `${served.apiUrl}${path}`;

  async function createToken(name: string, role: string): Promise<string> {
    const res = await cli('token', 'create', name, '--role', role, '--json');
    expect(res.code, res.stderr).toBe(0);
    return (JSON.parse(res.stdout) as { secret: string }).secret;
  }

  /** axe finds nothing serious on the page as it stands, and a screenshot is kept. */
  async function checkView(name: string): Promise<void> {
    await screenshot(page, `dashboard-${name}`);
    expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  }

  beforeAll(async () => {
    example = await exampleRepo('flowline-dash-flow-', {
      'flowline.yaml': config(),
      'broken.yaml': config(true),
    });
    const artifactOf = artifactsBuiltBy((...args) => cli(...args));
    const good = await artifactOf('flowline.yaml');
    broken = await artifactOf('broken.yaml');
    served = await serveExample(example);
    for (const environment of ['staging', 'production']) {
      const res = await cli('deploy', environment, '--artifact', good);
      expect(res.code, res.stderr).toBe(0);
    }
    tokens.ci = await createToken('builder', 'ci');
    tokens.deploy = await createToken('dana', 'deploy');
    browser = await launchChromium();
    const context = await newContext(browser);
    page = await context.newPage();
    errors = consoleErrors(page).errors;
    await signIn(page, served.apiUrl, tokens.deploy);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await served?.server.stop();
    await example?.dispose();
  });

  it('shows every environment with its artifact and health', async () => {
    const card = page.getByTestId('env-hello-production');
    await card.waitFor();
    await expect.poll(() => card.getByTestId('env-health').textContent()).toMatch(/healthy/);
    expect(await card.getByTestId('env-commit').textContent()).toMatch(/first/);
    await checkView('environments');
  });

  it('watches a run that a CI machine records finish, with its stage log', async () => {
    await page.goto(url('/runs'));
    // The two runs that built the artifacts are listed first.
    await page.locator('[data-testid^="run-row-"]').nth(1).waitFor();
    const rowsBefore = await page.locator('[data-testid^="run-row-"]').count();
    // The CI way: the pipeline runs here and is recorded on the server with a ci token.
    const run = await runCli(['run', '--json'], {
      cwd: example.repo,
      env: { ...example.env, FLOWLINE_URL: served.apiUrl, FLOWLINE_TOKEN: tokens.ci },
    });
    expect(run.code, run.stderr).toBe(0);
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    // Live: the row arrives without a reload, already finished.
    const row = page.getByTestId(`run-row-${runId}`);
    await row.waitFor();
    expect(await page.locator('[data-testid^="run-row-"]').count()).toBe(rowsBefore + 1);
    await expect.poll(() => row.textContent()).toContain('succeeded');
    await checkView('runs');

    await page.goto(url(`/runs/${runId}?stage=unit`));
    await expect.poll(() => page.getByTestId('run-status').textContent()).toContain('succeeded');
    await expect.poll(() => page.getByTestId('stage-unit').textContent()).toContain('succeeded');
    await expect.poll(() => page.getByTestId('stage-log').textContent()).toContain('checking part 5');
    await checkView('run');
  });

  it('deploys a broken artifact from the page, and watches its canary fail the analysis and go back', async () => {
    await page.goto(url('/'));
    await page.getByTestId('env-deploy-hello-production').click();
    await page.getByTestId('deploy-artifact').selectOption(broken);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    let stop = false;
    const load = (async () => {
      while (!stop) {
        await routedHello(served.routerUrl, 'production.hello.localhost', agent);
        await delay(10);
      }
    })();
    try {
      await page.getByTestId('deploy-start').click();
      // Production asks first, naming the environment.
      const dialog = page.getByTestId('confirm-dialog');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain('production');
      await page.getByTestId('confirm-yes').click();
      await page.getByTestId('deploy-progress').waitFor();
      await expect
        .poll(() => page.getByTestId('release-status').textContent(), { timeout: 60_000 })
        .toContain('failed');
    } finally {
      stop = true;
      await load;
      agent.destroy();
    }
    expect(await page.getByTestId('release-journal').textContent()).toMatch(/error-rate.*broke/);
    const chart = page.getByTestId('measurement-chart').first();
    expect(await chart.locator('[role="img"]').getAttribute('aria-label')).toMatch(/canary/);
    // Back on the stable revision: all the traffic, one backend.
    await expect.poll(() => page.getByTestId('release-weights').textContent()).toContain('100%');
    await checkView('release');
  });

  it('creates a flag, refuses a broken edit with the coded error, turns it on and kills it', async () => {
    await page.goto(url('/flags/hello/production?flag=new-greeting'));
    const editor = page.getByTestId('flag-editor');
    await editor.waitFor();
    await expect.poll(() => page.getByTestId('flag-check').textContent()).toMatch(/^Valid/);
    await page.getByTestId('flag-save').click();
    const state = page.getByTestId('flag-state-new-greeting-production');
    await expect.poll(() => state.textContent()).toContain('off');

    // A default variant the flag does not have: the server's error, and nothing can be saved.
    const text = await editor.inputValue();
    await editor.fill(text.replace('"defaultVariant": "off"', '"defaultVariant": "of"'));
    await expect.poll(() => page.getByTestId('flag-errors').textContent()).toContain('defaultVariant');
    expect(await page.getByTestId('flag-errors').textContent()).toContain('FLOWLINE_');
    expect(await page.getByTestId('flag-save').isDisabled()).toBe(true);
    await checkView('flags-invalid');

    // Flip it on, then pull its kill switch (production asks first).
    await editor.fill(text.replace('"enabled": false', '"enabled": true'));
    await expect.poll(() => page.getByTestId('flag-check').textContent()).toMatch(/^Valid/);
    await page.getByTestId('flag-save').click();
    await expect.poll(() => state.textContent()).toContain('on');
    await page.getByTestId('flag-kill-new-greeting-production').click();
    await page.getByTestId('confirm-dialog').waitFor();
    await page.getByTestId('confirm-yes').click();
    await expect.poll(() => state.textContent()).toContain('killed');
    await checkView('flags');

    const served = await fetch(url('/v1/flags/hello/production/evaluate'), {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.deploy}`, 'content-type': 'application/json' },
      body: JSON.stringify({ flag: 'new-greeting', context: { targetingKey: 'u-1' } }),
    });
    expect(await served.json()).toMatchObject({ value: false });
  });

  it('reads the audit entry of each action, and the chain verifies', async () => {
    await page.goto(url('/audit?actor=dana'));
    await expect.poll(() => page.getByTestId('audit-verify').textContent()).toMatch(/verified/i);
    await page.getByTestId('audit-row').first().waitFor();
    const actions = await page.getByTestId('audit-row').allTextContents();
    for (const action of ['deploy', 'flag.set', 'flag.kill']) {
      expect(
        actions.some((row) => row.includes(action)),
        `an audit row for ${action}`,
      ).toBe(true);
    }
    await checkView('audit');
  });

  it('shows the delivery metrics of the service', async () => {
    // Not /metrics: that path is the router's Prometheus exposition.
    await page.goto(url('/delivery?service=hello&environment=production&since=30d'));
    await page.getByTestId('dora-deploymentFrequency').waitFor();
    expect(await page.getByTestId('dora-deploymentFrequency-value').textContent()).not.toBe('');
    await page.getByTestId('quality-report').waitFor();
    await checkView('metrics');
  });

  it('lifts the kill by keyboard alone: Tab to the switch, Enter, Tab to confirm, Enter', async () => {
    await page.goto(url('/flags/hello/production'));
    const state = page.getByTestId('flag-state-new-greeting-production');
    await expect.poll(() => state.textContent()).toContain('killed');
    const focused = () => page.evaluate('document.activeElement?.getAttribute("data-testid")');
    for (let i = 0; i < 80 && (await focused()) !== 'flag-kill-new-greeting-production'; i++) {
      await page.keyboard.press('Tab');
    }
    expect(await focused()).toBe('flag-kill-new-greeting-production');
    await page.keyboard.press('Enter');
    await page.getByTestId('confirm-dialog').waitFor();
    for (let i = 0; i < 5 && (await focused()) !== 'confirm-yes'; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('confirm-yes');
    await page.keyboard.press('Enter');
    await expect.poll(() => state.textContent()).toContain('on');
  });

  it('offers a read-only token no action on any view, and refuses the action it forges', async () => {
    const context = await newContext(browser);
    const reader = await context.newPage();
    const readerErrors = consoleErrors(reader).errors;
    await signIn(reader, served.apiUrl, await createToken('rita', 'read'));
    const actions =
      '[data-testid^="action-"], [data-testid^="env-deploy-"], [data-testid^="flag-kill-"], [data-testid="flag-save"], [data-testid="deploy-start"]';
    for (const [path, ready] of [
      ['/', 'env-hello-production'],
      ['/releases/hello/production', 'release-journal'],
      ['/flags/hello/production?flag=new-greeting', 'flag-row-new-greeting'],
    ] as const) {
      await reader.goto(url(path));
      await reader.getByTestId(ready).waitFor();
      expect(await reader.locator(actions).count(), `actions offered on ${path}`).toBe(0);
    }
    await reader.goto(url('/releases'));
    await reader.getByTestId('releases-recent').waitFor();
    expect(await seriousViolations(reader), 'axe on /releases').toEqual([]);
    await screenshot(reader, 'dashboard-releases-read-only');
    const forged: { status: number; body: string } = await reader.evaluate(`(async () => {
      const { csrfToken } = await (await fetch('/v1/session')).json();
      const res = await fetch('/v1/flags/hello/production/new-greeting/kill', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-flowline-csrf': csrfToken },
        body: '{}',
      });
      return { status: res.status, body: await res.text() };
    })()`);
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('FLOWLINE_FORBIDDEN');
    expect(readerErrors).toEqual([]);
    await context.close();
  });

  it('moves through the main actions by keyboard alone', async () => {
    await page.goto(url('/'));
    await page.getByTestId('env-hello-production').waitFor();
    await page.keyboard.press('Tab'); // the skip link first
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    // Tab on to the main navigation and open the pipeline by Enter.
    for (let i = 0; i < 10; i++) {
      await page.keyboard.press('Tab');
      if ((await page.evaluate('document.activeElement?.textContent')) === 'Pipeline') break;
    }
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/runs$/);
  });

  it('shows a pulled andon cord on every page at once, without a reload', async () => {
    await page.goto(url('/runs'));
    await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor();
    expect(await page.getByTestId('andon').count()).toBe(0);
    const res = await fetch(url('/v1/andon/hello/pull'), {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.deploy}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'checkout is broken on trunk' }),
    });
    expect(res.status).toBe(200);
    await expect.poll(() => page.getByTestId('andon').textContent()).toContain('Line stopped: hello');
    expect(await page.getByTestId('andon').textContent()).toContain('checkout is broken on trunk');
    await screenshot(page, 'dashboard-andon');
  });

  it('wrote nothing to the console on the way', () => {
    expect(errors).toEqual([]);
  });
});
