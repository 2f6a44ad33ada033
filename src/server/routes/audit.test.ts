import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import { loadSettings } from '../../core/settings.js';
import { buildServer } from '../app.js';

// The audit routes in-process (Fastify inject) on a real store: the dashboard pages through them.

let t: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let app: Awaited<ReturnType<typeof buildServer>>;
let read = '';

beforeAll(async () => {
  t = await tempDir('flowline-audit-routes-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir }, t.dir));
  app = await buildServer(flowline);
  read = (await flowline.tokens.create({ name: 'reader', role: 'read' }, flowline.localActor)).secret;
  for (const name of ['a', 'b', 'c', 'd']) {
    await flowline.audit.append({
      actor: flowline.localActor,
      action: `test.${name}`,
      target: `thing:${name}`,
      where: { host: 'here' },
      details: {},
    });
  }
});
afterAll(async () => {
  await app.close();
  await flowline.close();
  await t.cleanup();
});

const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${read}` } });
const actions = async (url: string) =>
  ((await get(url)).json() as { events: { action: string }[] }).events.map((e) => e.action);

describe('the audit routes', () => {
  it('page to older events with `before`, a seq, with prefixes and globs alike', async () => {
    const page = (await get('/v1/audit?action=test.&limit=2')).json() as { events: { seq: number }[] };
    expect(page.events).toHaveLength(2);
    const last = page.events.at(-1)?.seq;
    expect(await actions(`/v1/audit?action=test.&limit=2&before=${last}`)).toEqual(['test.b', 'test.a']);
    expect(await actions(`/v1/audit?action=test.*&before=${last}`)).toEqual(['test.b', 'test.a']);
    expect((await get('/v1/audit?before=0')).statusCode).toBe(400);
  });

  it('answer whether the chain verifies', async () => {
    expect((await get('/v1/audit/verify')).json()).toMatchObject({ ok: true, anchored: 0 });
  });
});
