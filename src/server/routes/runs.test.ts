import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import { newId } from '../../core/ids.js';
import { loadSettings } from '../../core/settings.js';
import { buildServer } from '../app.js';

// The run, andon and artifact routes in-process (Fastify inject) on a real store.

let t: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let app: Awaited<ReturnType<typeof buildServer>>;
const token = { read: '', deploy: '', ci: '' };

beforeAll(async () => {
  t = await tempDir('flowline-routes-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir }, t.dir));
  app = await buildServer(flowline);
  for (const role of ['read', 'deploy', 'ci'] as const) {
    token[role] = (await flowline.tokens.create({ name: role, role }, flowline.localActor)).secret;
  }
});
afterAll(async () => {
  await app.close();
  await flowline.close();
  await t.cleanup();
});

const inject = (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, who: string, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${who}` }, ...(payload ? { payload } : {}) });

const start = (id: string) => ({
  id,
  service: 'shop',
  branch: 'main',
  commit: null,
  where: { host: 'ci-1' },
  startedAt: '2026-01-01T00:00:00.000Z',
  nodes: [{ name: 'unit', kind: 'stage' }],
  // Seeds the policy of the new service: its trunk (main) is what moves the andon cord.
  config:
    'version: 1\nservice: shop\nbuild: { command: make, inputs: ["src/**"], output: dist }\npipeline: { trunk: main }\n',
});

describe('the run routes', () => {
  it('are in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/v1/openapi.json' })).json() as {
      paths: Record<string, object>;
    };
    for (const route of [
      '/v1/runs',
      '/v1/runs/{run}',
      '/v1/runs/{run}/stages/{stage}',
      '/v1/runs/{run}/stages/{stage}/log',
      '/v1/runs/{run}/finish',
      '/v1/andon',
      '/v1/andon/{service}/pull',
      '/v1/andon/{service}/release',
      '/v1/artifacts/lookup',
      '/v1/artifacts/{digest}',
      '/v1/artifacts/{digest}/content',
      '/v1/artifacts/{digest}/verify',
    ]) {
      expect(doc.paths).toHaveProperty([route]);
    }
  });

  it('record with the ci role (not read, not deploy) and read with the read role', async () => {
    const id = newId('run');
    expect((await inject('POST', '/v1/runs', token.read, start(id))).statusCode).toBe(403);
    expect((await inject('POST', '/v1/runs', token.deploy, start(id))).statusCode).toBe(403);
    const created = await inject('POST', '/v1/runs', token.ci, start(id));
    expect(created.statusCode).toBe(201);
    const stage = await inject('PATCH', `/v1/runs/${id}/stages/unit`, token.ci, {
      status: 'succeeded',
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: '2026-01-01T00:00:02.000Z',
      exitCode: 0,
    });
    expect(stage.json()).toMatchObject({ stage: { name: 'unit', status: 'succeeded', durationMs: 1000 } });
    const log = await app.inject({
      method: 'PUT',
      url: `/v1/runs/${id}/stages/unit/log`,
      headers: { authorization: `Bearer ${token.ci}`, 'content-type': 'text/plain' },
      payload: '+0.001s one\n+0.002s two\n',
    });
    expect(log.json()).toEqual({ bytes: 24 });
    const page = await inject('GET', `/v1/runs/${id}/stages/unit/log?offset=0`, token.read);
    expect(page.json()).toEqual({ lines: ['+0.001s one', '+0.002s two'], offset: 24 });
    const finished = await inject('POST', `/v1/runs/${id}/finish`, token.ci, {
      status: 'succeeded',
      finishedAt: '2026-01-01T00:00:03.000Z',
      artifact: null,
      only: null,
      trunk: 'main',
    });
    expect(finished.json()).toMatchObject({
      run: { status: 'succeeded' },
      andon: { changed: false, status: { state: 'green' } },
    });
    const view = await inject('GET', `/v1/runs/${id}`, token.read);
    expect(view.json().stages[0]).not.toHaveProperty('logPath');
  });

  it('refuse unknown fields, unknown runs and ids not made by flowline run', async () => {
    const bad = await inject('POST', '/v1/runs', token.ci, { ...start(newId('run')), extra: 1 });
    expect(bad.json()).toMatchObject({ error: { code: 'FLOWLINE_REQUEST_INVALID' } });
    const notId = await inject('POST', '/v1/runs', token.ci, start('run_../../etc'));
    expect(notId.statusCode).toBe(400);
    const unknown = await inject('GET', `/v1/runs/${newId('run')}`, token.read);
    expect(unknown.json()).toMatchObject({ error: { code: 'FLOWLINE_NOT_FOUND' } });
  });
});

describe('what the dashboard reads of runs', () => {
  it("keeps each stage's needs as the runner planned them, and null when a runner sent none", async () => {
    const id = newId('run');
    const nodes = [
      { name: 'build', kind: 'build', needs: [] },
      { name: 'unit', kind: 'stage', needs: ['build'] },
      { name: 'e2e', kind: 'stage', needs: ['build', 'unit'] },
    ];
    expect((await inject('POST', '/v1/runs', token.ci, { ...start(id), nodes })).statusCode).toBe(201);
    const view = (await inject('GET', `/v1/runs/${id}`, token.read)).json();
    expect(view.stages.map((s: { name: string; needs: unknown }) => [s.name, s.needs])).toEqual([
      ['build', []],
      ['unit', ['build']],
      ['e2e', ['build', 'unit']],
    ]);
    const older = newId('run');
    await inject('POST', '/v1/runs', token.ci, start(older));
    expect((await inject('GET', `/v1/runs/${older}`, token.read)).json().stages[0].needs).toBeNull();
  });

  it('lists runs by branch and status, newest first, a page at a time', async () => {
    const service = 'pager';
    const ids: string[] = [];
    for (const [i, branch] of ['main', 'feature', 'main', 'main'].entries()) {
      const id = newId('run');
      ids.push(id);
      const body = { ...start(id), service, branch, startedAt: `2026-02-01T00:00:0${i}.000Z` };
      expect((await inject('POST', '/v1/runs', token.ci, { ...body, config: undefined })).statusCode).toBe(
        201,
      );
    }
    const list = async (q: string) =>
      (await inject('GET', `/v1/runs?service=${service}${q}`, token.read))
        .json()
        .runs.map((r: { id: string }) => r.id);
    expect(await list('&branch=main')).toEqual([ids[3], ids[2], ids[0]]);
    expect(await list('&branch=main&limit=2')).toEqual([ids[3], ids[2]]);
    expect(await list(`&branch=main&limit=2&before=${ids[2]}`)).toEqual([ids[0]]);
    expect(await list('&status=running&branch=feature')).toEqual([ids[1]]);
    expect(await list('&status=succeeded')).toEqual([]);
    const unknown = await inject('GET', `/v1/runs?before=${newId('run')}`, token.read);
    expect(unknown.json()).toMatchObject({ error: { code: 'FLOWLINE_NOT_FOUND' } });
    const badStatus = await inject('GET', '/v1/runs?status=green', token.read);
    expect(badStatus.statusCode).toBe(400);
  });
});

describe('the run events', () => {
  it('announce a recorded run as it starts, moves a stage and finishes, for live displays', async () => {
    const seen: { type: string; subject: string; data?: unknown }[] = [];
    const stop = flowline.events.subscribe((event) => {
      if (event.type.startsWith('run.'))
        seen.push({ type: event.type, subject: event.subject, data: event.data });
    });
    const id = newId('run');
    await inject('POST', '/v1/runs', token.ci, start(id));
    await inject('PATCH', `/v1/runs/${id}/stages/unit`, token.ci, {
      status: 'failed',
      startedAt: '2026-01-01T00:00:01.000Z',
      finishedAt: '2026-01-01T00:00:02.000Z',
      exitCode: 1,
    });
    await inject('POST', `/v1/runs/${id}/finish`, token.ci, {
      status: 'failed',
      finishedAt: '2026-01-01T00:00:03.000Z',
      artifact: null,
      only: null,
    });
    stop();
    expect(seen).toEqual([
      { type: 'run.started', subject: id, data: { service: 'shop', runId: id, status: 'running' } },
      {
        type: 'run.stage.updated',
        subject: id,
        data: { service: 'shop', runId: id, stage: 'unit', status: 'failed' },
      },
      { type: 'run.finished', subject: id, data: { service: 'shop', runId: id, status: 'failed' } },
    ]);
  });
});
