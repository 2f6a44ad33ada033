import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Daemon, startDaemon } from '../../app/daemon.js';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { tempDir } from '../../artifacts/testing.js';
import type { AnalysisTemplate } from '../../config/index.js';
import { loadSettings } from '../../core/settings.js';
import { DeployRecords } from '../../deploy/index.js';

// What the dashboard reads of an environment and its release, over real HTTP from a running
// server on a real store (seeded after it started, so recovery leaves the seeded release alone): the
// live commit's subject and author, when it went live, the traffic split, the canary's step and
// its analysis as one series per metric with the condition beside it.

let t: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let daemon: Daemon;
let reader = '';
const A = `sha256:${'a'.repeat(64)}`;
const SHA = 'c0ffee'.padEnd(40, '0');

const template: AnalysisTemplate = {
  name: 'errors',
  metrics: [
    {
      name: 'error-rate',
      initialDelay: 0,
      successCondition: 'result < 0.05',
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
      sampleTimeout: 60_000,
      provider: { router: { signal: 'errorRate' } },
    } as unknown as AnalysisTemplate['metrics'][number],
  ],
};

beforeAll(async () => {
  t = await tempDir('flowline-env-release-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: t.dir }, t.dir));
  daemon = await startDaemon(flowline, { apiPort: 0, routerPort: 0, host: '127.0.0.1' });
  reader = (await flowline.tokens.create({ name: 'reader', role: 'read' }, flowline.localActor)).secret;
  const { catalog, store } = flowline;
  const service = await catalog.ensureService('shop');
  await catalog.recordArtifact({ id: A, service: 'shop', cacheKey: 'k', sizeBytes: 1 });
  const run = await catalog.startRun({
    service: 'shop',
    commit: { sha: SHA, authorTime: '2026-01-01T00:00:00Z', message: 'Fix checkout\n\nlong body' },
    where: { host: 'ci' },
  });
  await catalog.finishRun(run.id, 'succeeded', A);
  await store.write((tx) =>
    tx
      .insertInto('commits')
      .values({
        service_id: service.id,
        sha: SHA,
        parents_json: '[]',
        author: 'Ada <ada@example.com>',
        authored_at: '2026-01-01T00:00:00Z',
        committed_at: '2026-01-01T00:00:00Z',
        subject: 'Fix checkout',
        lines_added: 1,
        lines_deleted: 0,
        run_id: run.id,
        recorded_at: '2026-01-01T00:00:00Z',
      })
      .execute(),
  );
  const env = await catalog.ensureEnvironment('shop', 'production', 'persistent');
  const d = await catalog.startDeployment({
    service: 'shop',
    environment: 'production',
    artifactId: A,
    strategy: 'canary',
    actor: 'alice',
  });
  const records = new DeployRecords(store, flowline.clock);
  await store.write(async (tx) => {
    await records.insertRevision(tx, {
      revision: 'r2',
      serviceId: service.id,
      environmentId: env.id,
      deploymentId: d.id,
      artifactId: A,
      spec: { instances: 1 } as never,
    });
    await records.markStarting(tx, d.id, {
      revision: 'r2',
      previousRevision: null,
      host: 'production.shop.localhost',
      keepWarmMs: 0,
      plan: {
        strategy: {
          kind: 'canary',
          steps: [
            { kind: 'setWeight', weight: 20 },
            { kind: 'analysis', templates: ['errors'] },
          ],
          trafficRouting: { sticky: false },
        },
        analysisTemplates: { errors: template },
      },
    });
  });
  await records.setRevisionState('r2', 'live');
  await records.saveRoute('production.shop.localhost', { serviceId: service.id, environmentId: env.id }, {
    service: 'shop',
    environment: 'production',
    backends: [
      { revision: 'r2', weight: 80 },
      { revision: 'r3', weight: 20 },
    ],
  } as never);
  await records.setPhase(d.id, 'step:1', { state: { step: 1, weight: 20 } });
  for (const [index, value] of [0.01, 0.2].entries()) {
    const record = {
      template: 'errors',
      metric: 'error-rate',
      index: index + 1,
      phase: value < 0.05 ? 'Successful' : 'Failed',
      value,
      baseline: 0.01,
      startedAt: `2026-01-02T00:0${index}:00.000Z`,
      finishedAt: `2026-01-02T00:0${index}:10.000Z`,
    };
    await records.journal(d.id, 'measurement', `error-rate ${value}`, record);
  }
});
afterAll(async () => {
  await daemon?.stop();
  await flowline.close();
  await t.cleanup();
});

const get = async (url: string) => {
  const response = await fetch(daemon.apiUrl + url, { headers: { authorization: `Bearer ${reader}` } });
  // biome-ignore lint/suspicious/noExplicitAny: the answer's shape is what the test asserts
  return { statusCode: response.status, json: (await response.json()) as any };
};

describe('environment status for the dashboard', () => {
  it("names the live commit's subject and author, when it went live and the traffic split", async () => {
    const answer = await get('/v1/environments/status?service=shop');
    expect(answer.statusCode).toBe(200);
    const [env] = answer.json.environments;
    expect(env).toMatchObject({
      name: 'production',
      commit: SHA,
      commitSubject: 'Fix checkout',
      commitAuthor: 'Ada <ada@example.com>',
      commitAuthoredAt: '2026-01-01T00:00:00Z',
      traffic: [
        { revision: 'r2', weight: 80 },
        { revision: 'r3', weight: 20 },
      ],
    });
    expect(Date.parse(env.liveSince)).not.toBeNaN();
  });
});

describe('release answer for the dashboard', () => {
  it("gives the canary's step and weight, and each metric's measurements against its condition", async () => {
    const answer = await get('/v1/releases/shop/production');
    expect(answer.statusCode).toBe(200);
    const body = answer.json;
    expect(body).toMatchObject({ phase: 'step:1', step: 1, weight: 20, paused: false, revision: 'r2' });
    expect(body.strategy.steps).toHaveLength(2);
    expect(body.analysis).toEqual([
      {
        template: 'errors',
        metric: 'error-rate',
        successCondition: 'result < 0.05',
        failureCondition: null,
        points: [
          {
            at: '2026-01-02T00:00:10.000Z',
            index: 1,
            phase: 'Successful',
            value: 0.01,
            baseline: 0.01,
            message: null,
          },
          {
            at: '2026-01-02T00:01:10.000Z',
            index: 2,
            phase: 'Failed',
            value: 0.2,
            baseline: 0.01,
            message: null,
          },
        ],
      },
    ]);
  });
});
