import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline, storeFile } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import { createManualClock } from '../../core/clock.js';
import { loadSettings } from '../../core/settings.js';
import { buildServer } from '../app.js';
import { sessionClearCookie, sessionSetCookie } from '../csrf.js';
import { type Listening, listen } from '../listen.js';

// Dashboard sessions and their CSRF defence, over real HTTP on loopback and a real SQLite file.
// The clock is manual: expiry and the one-second revalidation are moved by hand, never waited for.

let t: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let server: Listening;
const log = new PassThrough();
let logged = '';
const clock = createManualClock('2026-01-01T00:00:00.000Z');
const secret = { read: '', deploy: '', admin: '', client: '', stagingDeploy: '', short: '', doomed: '' };

beforeAll(async () => {
  t = await tempDir('flowline-session-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir }, t.dir), {
    clock,
    dashboardDir: t.dir,
  });
  log.on('data', (chunk: Buffer) => {
    logged += chunk.toString();
  });
  server = await listen(await buildServer(flowline, { logger: true, logStream: log }), {
    port: 0,
    host: '127.0.0.1',
  });
  const by = flowline.localActor;
  const make = async (name: string, input: object) =>
    (await flowline.tokens.create({ name, role: 'read', ...input }, by)).secret;
  secret.read = await make('viewer', {});
  secret.deploy = await make('deployer', { role: 'deploy' });
  secret.admin = await make('boss', { role: 'admin' });
  secret.client = await make('browser-app', { role: 'client', environments: ['production'] });
  secret.stagingDeploy = await make('staging-deployer', { role: 'deploy', environments: ['staging'] });
  secret.short = await make('short', { expiresAt: '2026-01-01T01:00:00.000Z' });
  secret.doomed = await make('doomed', {});
  await flowline.catalog.ensureService('shop');
  const flag = await fetch(`${server.url}/v1/flags/shop/production/checkout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${secret.admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'on',
      enabled: true,
    }),
  });
  expect([flag.status, flag.status === 200 ? '' : await flag.text()]).toEqual([200, '']);
});

afterAll(async () => {
  await server?.close();
  await flowline?.close();
  await t?.cleanup();
});

interface SignedIn {
  readonly cookie: string;
  readonly csrf: string;
  readonly setCookie: string;
  readonly body: Record<string, unknown>;
}

async function signIn(token: string): Promise<SignedIn> {
  const res = await fetch(`${server.url}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  expect(res.status).toBe(201);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: setCookie.split(';')[0] ?? '', csrf: body.csrfToken, setCookie, body };
}

function send(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function codeOf(res: Response): Promise<[number, string | undefined]> {
  const text = await res.text();
  return [
    res.status,
    text === '' ? undefined : (JSON.parse(text) as { error?: { code?: string } }).error?.code,
  ];
}

const andonOf = async () => (await flowline.andon.status('shop')).state;
const killedOf = async () => {
  const { document } = await flowline.flags.served('shop', 'production');
  return JSON.stringify(document).includes('"killed":true');
};

describe('signing in with an API token', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie and answers the principal and a CSRF token', async () => {
    const { setCookie, body, cookie } = await signIn(secret.read);
    expect(setCookie).toMatch(
      /^flowline_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/,
    );
    expect(body).toEqual({
      session: {
        actor: { kind: 'token', name: 'viewer' },
        role: 'read',
        environments: null,
        expiresAt: '2026-01-01T12:00:00.000Z',
      },
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    const again = await send('GET', '/v1/session', { cookie });
    expect(again.headers.get('cache-control')).toBe('no-store');
    expect(await again.json()).toEqual(body);
    const whoami = await send('GET', '/v1/whoami', { cookie });
    expect(await whoami.json()).toMatchObject({ actor: { name: 'viewer' }, role: 'read' });
  });

  it('marks the cookie Secure only when the request came over https', () => {
    // Fastify's `request.protocol` is https on a TLS socket (or a trusted proxy's word).
    const over = (protocol: string) => ({ protocol }) as FastifyRequest;
    expect(sessionSetCookie(over('https'), 'v', 60)).toBe(
      'flowline_session=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure',
    );
    expect(sessionSetCookie(over('http'), 'v', 60)).not.toContain('Secure');
    expect(sessionClearCookie(over('https'))).toContain('Max-Age=0; Secure');
  });

  it('ends no later than the token expires', async () => {
    const { body } = await signIn(secret.short);
    expect(body).toMatchObject({ session: { expiresAt: '2026-01-01T01:00:00.000Z' } });
  });

  it.each([
    ['an unknown token', `flt_${'Q'.repeat(43)}`, 'FLOWLINE_AUTH_INVALID'],
    ['a malformed token', 'hello', 'FLOWLINE_AUTH_INVALID'],
  ])('refuses %s with the bearer codes and writes no session', async (_label, token, code) => {
    const before = await sessionRows();
    const res = await send('POST', '/v1/session', {}, { token });
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await codeOf(res)).toEqual([401, code]);
    expect(await sessionRows()).toEqual(before);
  });

  it('refuses a client token: it only evaluates flags', async () => {
    expect(await codeOf(await send('POST', '/v1/session', {}, { token: secret.client }))).toEqual([
      403,
      'FLOWLINE_FORBIDDEN',
    ]);
  });

  it('refuses a sign-in posted from another origin', async () => {
    const res = await send('POST', '/v1/session', { origin: 'https://evil.example' }, { token: secret.read });
    expect(await codeOf(res)).toEqual([403, 'FLOWLINE_CSRF']);
  });

  it('keeps only the hash of the cookie, and never the token secret, in the store, audit trail and log', async () => {
    const { cookie } = await signIn(secret.deploy);
    const value = cookie.split('=')[1] ?? '';
    const rows = JSON.stringify(await flowline.store.db.selectFrom('browser_sessions').selectAll().execute());
    expect(rows).not.toContain(value);
    const audit = await flowline.audit.list({ action: 'session.create' });
    expect(audit[0]).toMatchObject({ actor: { kind: 'token', name: 'deployer' }, target: 'token:deployer' });
    const everything = JSON.stringify(
      await flowline.store.db.selectFrom('audit_events').selectAll().execute(),
    );
    for (const s of Object.values(secret)) expect(everything).not.toContain(s.slice(4));
    expect(everything).not.toContain(value);
    const onDisk = (await readFile(storeFile(flowline.settings))).toString('latin1');
    expect(onDisk).not.toContain(value);
    expect(onDisk).not.toContain(secret.deploy.slice(4));
    for (const s of Object.values(secret)) expect(logged).not.toContain(s.slice(4));
    expect(logged).not.toContain(value);
  });
});

describe('GET and DELETE /v1/session', () => {
  it('answers no session, with the reason coded, without a cookie and for an unknown one', async () => {
    const none = await send('GET', '/v1/session', {});
    expect(none.status).toBe(200);
    expect(await none.json()).toMatchObject({
      session: null,
      csrfToken: null,
      reason: { code: 'FLOWLINE_SESSION_MISSING' },
    });
    const unknown = await send('GET', '/v1/session', { cookie: `flowline_session=${'A'.repeat(43)}` });
    expect(await unknown.json()).toMatchObject({
      session: null,
      reason: { code: 'FLOWLINE_SESSION_EXPIRED' },
    });
    // Other routes still refuse the same cookie.
    expect(
      await codeOf(await send('GET', '/v1/whoami', { cookie: `flowline_session=${'A'.repeat(43)}` })),
    ).toEqual([401, 'FLOWLINE_SESSION_EXPIRED']);
  });

  it('signs out with the CSRF header: the row is gone and the cookie cleared', async () => {
    const { cookie, csrf } = await signIn(secret.read);
    expect(await codeOf(await send('DELETE', '/v1/session', { cookie }))).toEqual([403, 'FLOWLINE_CSRF']);
    const out = await send('DELETE', '/v1/session', { cookie, 'x-flowline-csrf': csrf });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toBe(
      'flowline_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0',
    );
    expect(await codeOf(await send('GET', '/v1/whoami', { cookie }))).toEqual([
      401,
      'FLOWLINE_SESSION_EXPIRED',
    ]);
    expect((await flowline.audit.list({ action: 'session.end' }))[0]).toMatchObject({
      target: 'token:viewer',
    });
  });
});

describe('attacks on a signed-in browser', () => {
  it('refuses a forged POST without the CSRF header, and nothing changes', async () => {
    const { cookie } = await signIn(secret.read);
    const res = await send('POST', '/v1/andon/shop/pull', { cookie }, { reason: 'forged' });
    expect(await codeOf(res)).toEqual([403, 'FLOWLINE_CSRF']);
    expect(await andonOf()).toBe('green');
  });

  it("refuses the CSRF header of another session (the attacker's own)", async () => {
    const victim = await signIn(secret.deploy);
    const attacker = await signIn(secret.read);
    const res = await send(
      'POST',
      '/v1/flags/shop/production/checkout/kill',
      { cookie: victim.cookie, 'x-flowline-csrf': attacker.csrf },
      {},
    );
    expect(await codeOf(res)).toEqual([403, 'FLOWLINE_CSRF']);
    expect(await killedOf()).toBe(false);
  });

  it('refuses a change from another origin even with the right header', async () => {
    const { cookie, csrf } = await signIn(secret.read);
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:1`]) {
      const res = await send(
        'POST',
        '/v1/andon/shop/pull',
        { cookie, 'x-flowline-csrf': csrf, origin },
        { reason: 'x' },
      );
      expect(await codeOf(res)).toEqual([403, 'FLOWLINE_CSRF']);
    }
    expect(await andonOf()).toBe('green');
  });

  it('lets a read-only session forge nothing its token may not do: a flag kill is FLOWLINE_FORBIDDEN', async () => {
    const { cookie, csrf } = await signIn(secret.read);
    const res = await send(
      'POST',
      '/v1/flags/shop/production/checkout/kill',
      { cookie, 'x-flowline-csrf': csrf, origin: server.url },
      {},
    );
    expect(await codeOf(res)).toEqual([403, 'FLOWLINE_FORBIDDEN']);
    expect(await killedOf()).toBe(false);
  });

  it("keeps the token's environment scope", async () => {
    const { cookie, csrf } = await signIn(secret.stagingDeploy);
    const res = await send(
      'POST',
      '/v1/flags/shop/production/checkout/kill',
      { cookie, 'x-flowline-csrf': csrf },
      {},
    );
    expect(await codeOf(res)).toEqual([403, 'FLOWLINE_FORBIDDEN']);
  });

  it('lets a change through with the header from its own origin', async () => {
    const { cookie, csrf } = await signIn(secret.read);
    const res = await send(
      'POST',
      '/v1/andon/shop/pull',
      { cookie, 'x-flowline-csrf': csrf, origin: server.url },
      { reason: 'seen red on the dashboard' },
    );
    expect(res.status).toBe(200);
    expect(await andonOf()).toBe('red');
  });

  it('needs no CSRF header for bearer requests: they carry no ambient credential', async () => {
    const res = await send('GET', '/v1/andon', { authorization: `Bearer ${secret.read}` });
    expect(res.status).toBe(200);
  });
});

describe('the end of a session', () => {
  it('dies with its token when the token is revoked', async () => {
    const { cookie } = await signIn(secret.doomed);
    expect((await send('GET', '/v1/whoami', { cookie })).status).toBe(200);
    const revoked = await send('DELETE', '/v1/tokens/doomed', { authorization: `Bearer ${secret.admin}` });
    expect(revoked.status).toBe(200);
    expect(await codeOf(await send('GET', '/v1/whoami', { cookie }))).toEqual([
      401,
      'FLOWLINE_SESSION_EXPIRED',
    ]);
    expect(await sessionRows('doomed')).toEqual([]);
  });

  it('dies within the revalidation bound when the token is revoked by another process', async () => {
    const { secret: other } = await flowline.tokens.create(
      { name: 'elsewhere', role: 'read' },
      flowline.localActor,
    );
    const { cookie } = await signIn(other);
    expect((await send('GET', '/v1/whoami', { cookie })).status).toBe(200);
    // Another process on the same store: the CLI, or a second server.
    await flowline.store.db
      .updateTable('api_tokens')
      .set({ revoked_at: clock.now().toISOString() })
      .where('name', '=', 'elsewhere')
      .execute();
    clock.advance(1000);
    expect(await codeOf(await send('GET', '/v1/whoami', { cookie }))).toEqual([
      401,
      'FLOWLINE_SESSION_EXPIRED',
    ]);
  });

  it('expires: 401 FLOWLINE_SESSION_EXPIRED after its lifetime', async () => {
    const { cookie } = await signIn(secret.read);
    expect((await send('GET', '/v1/whoami', { cookie })).status).toBe(200);
    clock.advance(12 * 60 * 60 * 1000);
    expect(await codeOf(await send('GET', '/v1/whoami', { cookie }))).toEqual([
      401,
      'FLOWLINE_SESSION_EXPIRED',
    ]);
    expect(await (await send('GET', '/v1/session', { cookie })).json()).toMatchObject({
      session: null,
      reason: { code: 'FLOWLINE_SESSION_EXPIRED' },
    });
  });
});

async function sessionRows(token?: string) {
  let query = flowline.store.db
    .selectFrom('browser_sessions as s')
    .innerJoin('api_tokens as t', 't.id', 's.token_id')
    .select(['s.id_hash', 't.name']);
  if (token !== undefined) query = query.where('t.name', '=', token);
  return query.execute();
}
