import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../app/api.js';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import type { Role } from '../../auth/index.js';
import { loadSettings } from '../../core/settings.js';
import type { Listening } from '../listen.js';

// The secret routes over real HTTP on loopback, with a token of each role and scope.

const VALUE = 'sk_live_51HxT3stV4lu3-never-echo-this';
const SET = '/v1/secrets/shop/production';

let t: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let api: Listening;
const tokens: Record<string, string> = {};
/** Every body the server answered in this file: a value must be in none of them. */
const answers: string[] = [];

const call = async (
  method: string,
  route: string,
  token: string | undefined,
  body?: unknown,
  contentType = 'application/json',
) => {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = contentType;
  const res = await fetch(api.url + route, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  answers.push(text);
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  const json: any = text === '' ? undefined : JSON.parse(text);
  return { status: res.status, body: json, text };
};

beforeAll(async () => {
  t = await tempDir('flowline-secret-routes-');
  flowline = await createFlowline(
    loadSettings({ FLOWLINE_HOME: t.dir, FLOWLINE_SECRET_KEY: randomBytes(32).toString('base64') }, t.dir),
  );
  await flowline.catalog.ensureService('shop');
  api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  const make = async (name: string, role: Role, environments?: string[]) => {
    const created = await flowline.tokens.create(
      { name, role, ...(environments === undefined ? {} : { environments }) },
      flowline.localActor,
    );
    tokens[name] = created.secret;
  };
  await make('admin', 'admin');
  await make('admin-staging', 'admin', ['staging']);
  await make('deployer', 'deploy', ['production']);
  await make('reader', 'read');
  await make('reader-staging', 'read', ['staging']);
  await make('web', 'client', ['production']);
});

afterAll(async () => {
  await api.close();
  await flowline.close();
  await t.cleanup();
});

describe('the secret routes', () => {
  it('let an admin set a value and answer its version, never the value', async () => {
    const first = await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, { value: VALUE });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      secret: {
        service: 'shop',
        environment: 'production',
        name: 'STRIPE_KEY',
        version: 1,
        updatedAt: expect.any(String),
        updatedBy: 'admin',
      },
    });
    expect((await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, { value: VALUE })).body.secret.version).toBe(
      2,
    );
    expect(await flowline.secrets.resolve('shop', 'production', ['STRIPE_KEY'])).toEqual({
      STRIPE_KEY: VALUE,
    });
  });

  it('let a read token list the names of its environments, and nobody below read', async () => {
    const listed = await call('GET', SET, tokens.reader);
    expect(listed.status).toBe(200);
    expect(listed.body.secrets.map((s: { name: string }) => s.name)).toEqual(['STRIPE_KEY']);
    expect((await call('GET', SET, tokens['reader-staging'])).status).toBe(403);
    expect((await call('GET', SET, tokens.web)).status).toBe(403);
    expect((await call('GET', SET, undefined)).body.error.code).toBe('FLOWLINE_AUTH_MISSING');
  });

  it('refuse to set or remove with a deploy token, or an admin token of another environment', async () => {
    for (const who of ['deployer', 'admin-staging', 'reader', 'web']) {
      const put = await call('PUT', `${SET}/STRIPE_KEY`, tokens[who], { value: `${VALUE}-by-${who}` });
      expect([who, put.status, put.body.error.code]).toEqual([who, 403, 'FLOWLINE_FORBIDDEN']);
      const del = await call('DELETE', `${SET}/STRIPE_KEY`, tokens[who]);
      expect([who, del.status]).toEqual([who, 403]);
    }
    expect(await flowline.secrets.resolve('shop', 'production', ['STRIPE_KEY'])).toEqual({
      STRIPE_KEY: VALUE,
    });
    // The same environment-scoped admin may write its own environment.
    const own = await call('PUT', '/v1/secrets/shop/staging/STRIPE_KEY', tokens['admin-staging'], {
      value: `${VALUE}-staging`,
    });
    expect(own.status).toBe(200);
  });

  it('answer every error without the value', async () => {
    const bad = [
      await call('PUT', `${SET}/stripe_key`, tokens.admin, { value: VALUE }),
      await call('PUT', `${SET}/FLOWLINE_X`, tokens.admin, { value: VALUE }),
      await call('PUT', '/v1/secrets/nope/production/STRIPE_KEY', tokens.admin, { value: VALUE }),
      await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, { value: VALUE, note: VALUE }),
      await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, { value: [VALUE] }),
      await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, { value: `${VALUE}\0` }),
      await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, { value: VALUE.repeat(2000) }),
      await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, { value: '' }),
      await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, `{"value": "${VALUE}"`),
      await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, `{"value": "${VALUE}"}`, 'text/plain'),
      await call('PUT', `${SET}/STRIPE_KEY`, `flt_${VALUE}`, { value: VALUE }),
      await call('PUT', `${SET}/STRIPE_KEY`, tokens.admin, `{"value": "${VALUE}\\ud800"}`),
      await call('PUT', '/v1/secrets/shop/pro%20duction/STRIPE_KEY', tokens.admin, { value: VALUE }),
      await call('DELETE', `${SET}/NEVER_SET`, tokens.admin),
    ];
    expect(bad.map((r) => r.status)).toEqual([
      400, 400, 404, 400, 400, 400, 400, 400, 400, 415, 401, 400, 400, 404,
    ]);
    expect(bad.at(-1)?.body.error.code).toBe('FLOWLINE_SECRET_NOT_FOUND');
    for (const answer of bad) expect(answer.text).not.toContain(VALUE);
    expect(await flowline.secrets.resolve('shop', 'production', ['STRIPE_KEY'])).toEqual({
      STRIPE_KEY: VALUE,
    });
  });

  it('remove with an admin token, audited', async () => {
    const removed = await call('DELETE', `${SET}/STRIPE_KEY`, tokens.admin);
    expect(removed.body.secret).toMatchObject({ name: 'STRIPE_KEY', version: 2 });
    expect((await call('GET', SET, tokens.reader)).body.secrets).toEqual([]);
    const actions = (await flowline.audit.list({ action: 'secret' })).map((e) => [e.action, e.actor.name]);
    expect(actions).toEqual([
      ['secret.remove', 'admin'],
      ['secret.set', 'admin-staging'],
      ['secret.set', 'admin'],
      ['secret.set', 'admin'],
    ]);
  });

  it('are documented without a value in any answer, and no answer or stored row ever held one', async () => {
    const doc = (await call('GET', '/v1/openapi.json', undefined)).body;
    expect(doc.paths).toHaveProperty(['/v1/secrets/{service}/{environment}']);
    expect(doc.paths).toHaveProperty(['/v1/secrets/{service}/{environment}/{name}']);
    expect(Object.keys(doc.components.schemas.SecretInfo.properties)).not.toContain('value');

    expect(answers.length).toBeGreaterThan(30);
    for (const answer of answers) expect(answer).not.toContain(VALUE);
    const tables = (await flowline.store.db.introspection.getTables()).map((table) => table.name);
    for (const table of tables) {
      const rows = await flowline.store.db
        .selectFrom(table as 'secrets')
        .selectAll()
        .execute();
      expect([table, JSON.stringify(rows).includes(VALUE)]).toEqual([table, false]);
    }
  });
});
