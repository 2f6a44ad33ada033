import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../../src/app/daemon.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { loadSettings } from '../../src/core/settings.js';
import { tempDir } from '../e2e/helpers.js';

/**
 * A signed-in dashboard tried as an attacker would, against a real `flowline serve` (API, router,
 * supervisor): a session never does more than its token, and a page of another site cannot make
 * the browser act. The unit-level attacks are in src/server/routes/session.test.ts.
 */

let dir: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let daemon: Daemon;
const session = { read: { cookie: '', csrf: '' }, deploy: { cookie: '', csrf: '' } };

beforeAll(async () => {
  dir = await tempDir('flowline-browser-session-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: path.join(dir.path, 'home') }, dir.path));
  daemon = await startDaemon(flowline, { apiPort: 0, routerPort: 0, host: '127.0.0.1' });
  for (const role of ['read', 'deploy'] as const) {
    const { secret } = await flowline.tokens.create({ name: `${role}-user`, role }, flowline.localActor);
    const res = await fetch(`${daemon.apiUrl}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: secret }),
    });
    const body = (await res.json()) as { csrfToken: string };
    session[role] = {
      cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
      csrf: body.csrfToken,
    };
  }
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await flowline?.close();
  await dir?.dispose();
});

async function post(path: string, who: { cookie: string; csrf: string }, body: object, csrf = true) {
  const res = await fetch(daemon.apiUrl + path, {
    method: 'POST',
    headers: {
      cookie: who.cookie,
      'content-type': 'application/json',
      origin: daemon.apiUrl,
      ...(csrf ? { 'x-flowline-csrf': who.csrf } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return [res.status, (JSON.parse(text) as { error?: { code?: string } }).error?.code];
}

describe('a read-only dashboard session', () => {
  it.each([
    ['a deploy', '/v1/deploy', { service: 'hello', environment: 'production' }],
    ['a rollback', '/v1/rollback', { service: 'hello', environment: 'production' }],
    ['a promote', '/v1/releases/hello/production/promote', {}],
    ['an abort', '/v1/releases/hello/production/abort', {}],
    ['a flag kill', '/v1/flags/hello/production/checkout/kill', {}],
  ])('cannot forge %s, even with its own CSRF token: FLOWLINE_FORBIDDEN', async (_label, target, body) => {
    expect(await post(target, session.read, body)).toEqual([403, 'FLOWLINE_FORBIDDEN']);
  });
});

describe('a deploy session', () => {
  it('is refused a deploy or promote a page of another site forges (no CSRF header)', async () => {
    const body = { service: 'hello', environment: 'production' };
    expect(await post('/v1/deploy', session.deploy, body, false)).toEqual([403, 'FLOWLINE_CSRF']);
    expect(await post('/v1/releases/hello/production/promote', session.deploy, {}, false)).toEqual([
      403,
      'FLOWLINE_CSRF',
    ]);
    expect(await flowline.catalog.listDeployments({ service: 'hello' }).catch(() => [])).toEqual([]);
  });

  it('gets past authentication with its CSRF header (the service does not exist: not found)', async () => {
    const [status] = await post('/v1/releases/hello/production/promote', session.deploy, {});
    expect(status).not.toBe(401);
    expect(status).not.toBe(403);
  });
});
