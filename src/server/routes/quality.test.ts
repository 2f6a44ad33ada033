import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import { newId } from '../../core/ids.js';
import { loadSettings } from '../../core/settings.js';
import { buildServer } from '../app.js';

// The quality routes in-process (Fastify inject) on a real store, with the attacks on them: a
// runner recording measurements on someone else's run, or after its run ended, a reader signing off.

let t: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let app: Awaited<ReturnType<typeof buildServer>>;
const token = { read: '', deploy: '', ci: '', otherCi: '' };

beforeAll(async () => {
  t = await tempDir('flowline-quality-routes-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir }, t.dir));
  app = await buildServer(flowline);
  for (const role of ['read', 'deploy', 'ci'] as const) {
    token[role] = (await flowline.tokens.create({ name: role, role }, flowline.localActor)).secret;
  }
  token.otherCi = (
    await flowline.tokens.create({ name: 'other-ci', role: 'ci' }, flowline.localActor)
  ).secret;
});
afterAll(async () => {
  await app.close();
  await flowline.close();
  await t.cleanup();
});

const inject = (method: 'GET' | 'POST', url: string, who: string, payload?: object) =>
  app.inject({ method, url, headers: { authorization: `Bearer ${who}` }, ...(payload ? { payload } : {}) });

const startRun = async () => {
  const id = newId('run');
  const started = await inject('POST', '/v1/runs', token.ci, {
    id,
    service: 'shop',
    branch: 'main',
    commit: null,
    where: { host: 'ci-1' },
    startedAt: new Date().toISOString(),
    nodes: [{ name: 'unit', kind: 'stage' }],
  });
  expect(started.statusCode).toBe(201);
  return id;
};

const measurement = {
  deliverable: 'unit-coverage',
  method: 'coverage',
  stage: 'unit',
  values: { lines: 91.5, branches: 80 },
  error: null,
  file: 'coverage/lcov.info',
  sha256: 'a'.repeat(64),
};

describe('recording measurements of a run', () => {
  it('takes them from the token that started the run, and from no other', async () => {
    const id = await startRun();
    const url = `/v1/runs/${id}/quality`;
    expect((await inject('POST', url, token.otherCi, { measurements: [measurement] })).statusCode).toBe(403);
    expect((await inject('POST', url, token.read, { measurements: [measurement] })).statusCode).toBe(403);
    expect((await inject('POST', url, token.deploy, { measurements: [measurement] })).statusCode).toBe(403);
    expect(await flowline.quality.measurements([id])).toEqual([]);

    const failed = {
      ...measurement,
      deliverable: 'audit',
      method: 'vulnerabilities',
      values: null,
      error: {
        code: 'FLOWLINE_QUALITY_REPORT_INVALID',
        message: 'audit.json:1:1 is not JSON',
        file: 'audit.json',
        line: 1,
        column: 1,
      },
      file: 'audit.json',
    };
    expect((await inject('POST', url, token.ci, { measurements: [measurement, failed] })).statusCode).toBe(
      204,
    );
    const stored = await flowline.quality.measurements([id]);
    // Taken in the same millisecond, so compared in name order.
    expect(stored.map((m) => [m.deliverable, m.values, m.error?.line ?? null]).sort()).toEqual([
      ['audit', null, 1],
      ['unit-coverage', { lines: 91.5, branches: 80 }, null],
    ]);
  });

  it('refuses them once the run has finished', async () => {
    const id = await startRun();
    await inject('POST', `/v1/runs/${id}/stages/unit`, token.ci, {});
    const finish = await inject('POST', `/v1/runs/${id}/finish`, token.ci, {
      status: 'failed',
      finishedAt: new Date().toISOString(),
      artifact: null,
      only: null,
    });
    expect(finish.statusCode).toBe(200);
    const late = await inject('POST', `/v1/runs/${id}/quality`, token.ci, { measurements: [measurement] });
    expect(late.json()).toMatchObject({ error: { code: 'FLOWLINE_RUN_CONFLICT' } });
    expect(await flowline.quality.measurements([id])).toEqual([]);
  });

  it('refuses malformed measurements whole, recording none of them', async () => {
    const id = await startRun();
    const url = `/v1/runs/${id}/quality`;
    for (const bad of [
      { ...measurement, sha256: 'not-a-sum' },
      { ...measurement, method: 'vibes' },
      { ...measurement, error: { code: 'FLOWLINE_INTERNAL', message: 'x', file: 'f' } },
      { ...measurement, values: { 'lines; drop table': 1 } },
      { ...measurement, extra: true },
    ]) {
      const answer = await inject('POST', url, token.ci, { measurements: [measurement, bad] });
      expect(answer.statusCode).toBe(400);
    }
    const tooMany = Array.from({ length: 201 }, () => measurement);
    expect((await inject('POST', url, token.ci, { measurements: tooMany })).statusCode).toBe(400);
    expect(await flowline.quality.measurements([id])).toEqual([]);
  });
});

describe('the report and sign-offs', () => {
  it('needs the deploy role to sign off, and refuses a deliverable the plan does not have', async () => {
    const body = {
      service: 'shop',
      deliverable: 'review',
      period: '2026-11',
      signedBy: 'Maria Lopez',
      note: 'read',
    };
    expect((await inject('POST', '/v1/reports/quality/signoffs', token.read, body)).statusCode).toBe(403);
    expect((await inject('POST', '/v1/reports/quality/signoffs', token.ci, body)).statusCode).toBe(403);
    const bad = await inject('POST', '/v1/reports/quality/signoffs', token.deploy, {
      ...body,
      period: '2026-13',
    });
    expect(bad.json()).toMatchObject({ error: { code: 'FLOWLINE_REQUEST_INVALID' } });
    // No trunk build of shop carries a plan here: nothing to sign off (the e2e test signs one).
    const none = await inject('POST', '/v1/reports/quality/signoffs', token.deploy, body);
    expect(none.statusCode).toBe(404);
    expect(none.json()).toMatchObject({ error: { code: 'FLOWLINE_NOT_FOUND' } });
    expect(await flowline.audit.list({ action: 'quality.signoff' })).toEqual([]);
  });

  it('refuses a window whose start is after its end, naming both ends', async () => {
    const answer = await inject(
      'GET',
      '/v1/reports/quality?service=shop&from=2026-11-20&to=2026-11-01',
      token.read,
    );
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ error: { code: 'FLOWLINE_REQUEST_INVALID' } });
    expect(answer.json().error.message).toContain('from');
  });

  it('says there is no plan for a service no run has built one for', async () => {
    const answer = await inject('GET', '/v1/reports/quality?service=shop&period=2026-11', token.read);
    expect(answer.json()).toMatchObject({ error: { code: 'FLOWLINE_QUALITY_NO_PLAN' } });
    expect(answer.statusCode).toBe(404);
  });
});
