import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { loadSettings } from '../../src/core/settings.js';
import type { Listening } from '../../src/server/index.js';
import { tempDir } from '../e2e/helpers.js';

// What the weakest tokens that reach the incident routes can do: a token scoped to staging can
// neither see, open, acknowledge nor resolve an incident of production, and a read token cannot
// resolve one anywhere.

let dir: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let api: Listening;
const tokens = { staging: '', read: '', deploy: '' };
let production = '';

beforeAll(async () => {
  dir = await tempDir('flowline-incidents-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
  api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  const make = async (name: string, role: 'read' | 'deploy', environments?: string[]) =>
    (
      await flowline.tokens.create(
        { name, role, ...(environments === undefined ? {} : { environments }) },
        flowline.localActor,
      )
    ).secret;
  tokens.staging = await make('staging-deployer', 'deploy', ['staging']);
  tokens.read = await make('reader', 'read');
  tokens.deploy = await make('deployer', 'deploy');
  await flowline.catalog.ensureService('shop');
  await flowline.catalog.ensureEnvironment('shop', 'staging', 'persistent');
  await flowline.catalog.ensureEnvironment('shop', 'production', 'persistent');
  production = (
    await flowline.incidents.open(
      { service: 'shop', environment: 'production', title: 'prod is down' },
      { actor: flowline.localActor, where: flowline.where },
    )
  ).id;
});

afterAll(async () => {
  await api.close();
  await flowline.close();
  await dir.dispose();
});

async function call(token: string, method: string, route: string, body?: unknown) {
  const res = await fetch(api.url + route, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { incidents?: { id: string }[]; error?: { code: string } },
  };
}

describe('incidents and token scopes', () => {
  it("a token scoped to staging does not see production's incidents and cannot touch them", async () => {
    expect((await call(tokens.staging, 'GET', '/v1/incidents')).body.incidents).toEqual([]);
    for (const action of ['ack', 'resolve']) {
      const res = await call(tokens.staging, 'POST', `/v1/incidents/${production}/${action}`, {});
      expect([action, res.status, res.body.error?.code]).toEqual([action, 403, 'FLOWLINE_FORBIDDEN']);
    }
    const opened = await call(tokens.staging, 'POST', '/v1/incidents', {
      service: 'shop',
      environment: 'production',
      title: 'x',
    });
    expect(opened.status).toBe(403);
    expect((await flowline.incidents.get(production)).status).toBe('open');
    expect(await flowline.incidents.list({ status: 'all' })).toHaveLength(1);
  });

  it('a read token may report a problem but not resolve one; a deploy token may', async () => {
    const opened = await call(tokens.read, 'POST', '/v1/incidents', {
      service: 'shop',
      environment: 'staging',
      title: 'slow',
    });
    expect(opened.status).toBe(201);
    expect((await call(tokens.read, 'POST', `/v1/incidents/${production}/resolve`, {})).status).toBe(403);
    expect((await call(tokens.deploy, 'POST', `/v1/incidents/${production}/resolve`, {})).status).toBe(200);
    expect(
      (await call(tokens.deploy, 'POST', `/v1/incidents/${production}/resolve`, {})).body.error?.code,
    ).toBe('FLOWLINE_INCIDENT_RESOLVED');
  });
});
