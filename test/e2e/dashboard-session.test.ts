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
  type CliProcess,
  type ExampleRepo,
  exampleRepo,
  runCli,
  type Served,
  serveExample,
  until,
} from './helpers.js';

/**
 * Signing in to the dashboard in real Chromium against a real `flowline serve`: bad tokens, the
 * session cookie, a read-only token that is offered no action and cannot forge one, and a
 * server restart while the page is open.
 */
const describeBrowser = describeWith(CHROMIUM);

describeBrowser('the dashboard: signing in and staying signed in', () => {
  let example: ExampleRepo;
  let served: Served;
  let server: CliProcess;
  let browser: Browser;
  const tokens = { read: '', deploy: '' };

  const cli = (...args: string[]) => runCli(args, { cwd: example.repo, env: example.env });

  async function createToken(name: string, role: string): Promise<string> {
    const res = await cli('token', 'create', name, '--role', role, '--json');
    expect(res.code, res.stderr).toBe(0);
    return (JSON.parse(res.stdout) as { secret: string }).secret;
  }

  beforeAll(async () => {
    example = await exampleRepo('flowline-dash-session-', {});
    served = await serveExample(example);
    server = served.server;
    tokens.read = await createToken('watcher', 'read');
    tokens.deploy = await createToken('releaser', 'deploy');
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await example?.dispose();
  });

  async function page(): Promise<{ page: Page; errors: string[] }> {
    const context = await newContext(browser);
    const page = await context.newPage();
    return { page, errors: consoleErrors(page).errors };
  }

  it('refuses a wrong token with its coded error, then signs in with a good one', async () => {
    const { page: p, errors } = await page();
    await p.goto(served.apiUrl);
    await p.getByLabel('API token').fill('flt_notarealtokenatall000000000000000');
    await p.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => p.getByRole('alert').textContent()).toContain('FLOWLINE_AUTH_INVALID');
    await screenshot(p, 'signin-refused');
    expect(await seriousViolations(p)).toEqual([]);

    await p.getByLabel('API token').fill(tokens.read);
    await p.getByRole('button', { name: 'Sign in' }).click();
    await p.getByRole('navigation', { name: 'Main' }).waitFor();
    await expect.poll(() => p.getByTestId('live-status').textContent()).toBe('Live');

    const cookies = await p.context().cookies();
    const session = cookies.find((c) => c.name === 'flowline_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    // The page never keeps the token where a script could read it.
    const stored: string = await p.evaluate(
      'JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie',
    );
    expect(stored).not.toContain(tokens.read);
    expect(errors).toEqual([]);
  });

  it('offers a read-only token no action, and the API refuses the action it forges', async () => {
    const { page: p } = await page();
    await signIn(p, served.apiUrl, tokens.read);
    await expect
      .poll(() => p.locator('button', { hasText: /^(Deploy|Promote|Abort|Roll back|Kill)/ }).count())
      .toBe(0);
    // A forged request from the page itself, with the session cookie and the right CSRF token.
    const forged: { status: number; body: string } = await p.evaluate(`(async () => {
      const session = await (await fetch('/v1/session')).json();
      const res = await fetch('/v1/andon/hello/release', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-flowline-csrf': session.csrfToken },
        body: JSON.stringify({ reason: 'forged' }),
      });
      return { status: res.status, body: await res.text() };
    })()`);
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('FLOWLINE_FORBIDDEN');
  });

  it('says the server went away while it restarts, and reconnects by itself', async () => {
    const { page: p, errors } = await page();
    await signIn(p, served.apiUrl, tokens.deploy);
    await expect.poll(() => p.getByTestId('live-status').textContent()).toBe('Live');
    await server.stop();
    await expect.poll(() => p.getByTestId('live-status').textContent(), { timeout: 20_000 }).toMatch(/away/);
    await screenshot(p, 'server-away');
    const port = new URL(served.apiUrl).port;
    served = await serveExample(example, ['--port', port]);
    server = served.server;
    await expect.poll(() => p.getByTestId('live-status').textContent(), { timeout: 30_000 }).toBe('Live');
    // The session lives in the store: still signed in after the restart.
    await expect(p.getByRole('navigation', { name: 'Main' }).isVisible()).resolves.toBe(true);
    // EventSource's failed reconnections are logged by Chromium; nothing else may be.
    expect(errors.filter((e) => !/ERR_CONNECTION_REFUSED|events/.test(e))).toEqual([]);
  });

  it('returns to sign-in, saying why, when its token is revoked while the page is open', async () => {
    const { page: p, errors } = await page();
    const doomed = await createToken('doomed', 'read');
    await signIn(p, served.apiUrl, doomed);
    await expect.poll(() => p.getByTestId('live-status').textContent()).toBe('Live');
    const res = await cli('token', 'revoke', 'doomed');
    expect(res.code, res.stderr).toBe(0);
    // No click needed: the live stream ends with the session, and the page finds out why.
    await p.getByLabel('API token').waitFor({ timeout: 20_000 });
    expect(await p.getByRole('status').first().textContent()).toMatch(/session ended/i);
    await screenshot(p, 'session-ended');
    expect(errors).toEqual([]);
  });

  it('signs out, and the old cookie no longer reads anything', async () => {
    const { page: p } = await page();
    await signIn(p, served.apiUrl, tokens.read);
    const cookie = (await p.context().cookies()).find((c) => c.name === 'flowline_session');
    await p.getByRole('button', { name: 'Sign out' }).click();
    await p.getByLabel('API token').waitFor();
    const res = await until(
      'the signed-out cookie refused',
      async () =>
        fetch(`${served.apiUrl}/v1/environments`, {
          headers: { cookie: `flowline_session=${cookie?.value}` },
        }),
      (r) => r.status === 401,
    );
    expect(res.status).toBe(401);
  });
});
