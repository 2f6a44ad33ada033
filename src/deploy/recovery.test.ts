import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AuditLog, createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog } from '../catalog/index.js';
import type { BlueGreenStrategy, CanaryStrategy, Strategy } from '../config/index.js';
import { createEventBus, type FlowlineEvent } from '../core/events.js';
import { tempStore } from '../store/testing.js';
import { DeployController } from './controller.js';
import type { RevisionRuntime, RevisionSpec, TrafficRouter } from './ports.js';
import { DeployRecords, type StoredTarget } from './records.js';
import { recover } from './recovery.js';
import type { ResumableRelease } from './resume.js';

/**
 * What a restarted Flowline decides for a canary it finds at a step: carry it on when both its
 * revisions are healthy and its plan was recorded, else fail safe as before. A real store, a
 * fake runtime (healthy instances per revision) and a fake router (the routes it was given).
 */

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const HOST = 'production.shop.localhost';
const where = { host: 'h' };
const BLUE_GREEN: BlueGreenStrategy = {
  kind: 'blueGreen',
  autoPromotionEnabled: true,
  postPromotionAnalysis: { templates: ['errors'] },
  scaleDownDelay: 30_000,
};
const CANARY: CanaryStrategy = {
  kind: 'canary',
  steps: [{ kind: 'setWeight', weight: 50 }, { kind: 'pause' }],
  trafficRouting: { sticky: false },
};

let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let audit: AuditLog;
let records: DeployRecords;
let healthy: Map<string, number>;
let stopped: string[];
let routed: Map<string, StoredTarget['backends']>;
let runtime: RevisionRuntime;
let router: TrafficRouter;

function spec(revision: string, instances = 2): RevisionSpec {
  return { revision, instances, artifact: revision === 'stable' ? A : B } as RevisionSpec;
}

/**
 * Records what a killed Flowline leaves of a release: `stable` live with its route, and a
 * deployment of `canary` at `phase` (a canary at 50% by default) that never finished.
 */
async function interrupted(
  options: { phase?: string; strategy?: Strategy | null; weight?: number } = {},
): Promise<string> {
  const env = await catalog.ensureEnvironment('shop', 'production', 'persistent');
  const ids = { serviceId: (await catalog.getService('shop')).id, environmentId: env.id };
  const first = await catalog.startDeployment({
    service: 'shop',
    environment: 'production',
    artifactId: A,
    strategy: 'allAtOnce',
    actor: 'alice',
  });
  await catalog.setDeploymentStatus(first.id, 'succeeded');
  const d = await catalog.startDeployment({
    service: 'shop',
    environment: 'production',
    artifactId: B,
    strategy: 'canary',
    actor: 'alice',
  });
  const strategy = options.strategy === undefined ? CANARY : options.strategy;
  await t.store.write(async (tx) => {
    await records.insertRevision(tx, {
      revision: 'stable',
      ...ids,
      deploymentId: first.id,
      artifactId: A,
      spec: spec('stable'),
    });
    await records.markStarting(tx, d.id, {
      revision: 'canary',
      previousRevision: 'stable',
      host: HOST,
      keepWarmMs: 0,
      ...(strategy === null ? {} : { plan: { strategy, analysisTemplates: {} } }),
    });
    await records.insertRevision(tx, {
      revision: 'canary',
      ...ids,
      deploymentId: d.id,
      artifactId: B,
      spec: spec('canary'),
    });
  });
  await records.setRevisionState('stable', 'live');
  await records.setRevisionState('canary', 'ready');
  const weight = options.weight ?? 50;
  await records.setPhase(d.id, options.phase ?? 'step:1', { state: { step: 1, weight } });
  await records.saveRoute(HOST, ids, {
    service: 'shop',
    environment: 'production',
    backends: [
      { revision: 'stable', weight: 100 - weight },
      { revision: 'canary', weight },
    ],
  });
  healthy.set('stable', 2);
  healthy.set('canary', 2);
  return d.id;
}

async function deployment(id: string) {
  return (await catalog.listDeployments({ service: 'shop', environment: 'production' })).find(
    (d) => d.id === id,
  );
}

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  audit = createAuditLog({ store: t.store, clock: t.clock });
  records = new DeployRecords(t.store, t.clock);
  healthy = new Map();
  stopped = [];
  routed = new Map();
  await catalog.ensureService('shop');
  for (const id of [A, B]) await catalog.recordArtifact({ id, service: 'shop', cacheKey: id, sizeBytes: 1 });
  runtime = {
    start: async (s) => {
      healthy.set(s.revision, s.instances);
      return [];
    },
    stop: async (revision) => {
      stopped.push(revision);
      healthy.delete(revision);
    },
    removeData: async () => false,
    instances: async (revision) =>
      Array.from({ length: healthy.get(revision) ?? 0 }, (_, i) => ({
        id: `${revision}-${i}`,
        url: 'http://x',
      })),
  };
  router = {
    setRoute: (host, target) => {
      routed.set(
        host,
        target.backends.map((b) => ({ revision: b.revision, weight: b.weight })),
      );
    },
    removeRoute: () => {},
    drain: async () => {},
  };
});
afterEach(async () => {
  await t.cleanup();
});

describe('a canary found at a step after a restart', () => {
  it('is handed on at its step, with its stored route rebuilt and both revisions left running', async () => {
    const id = await interrupted();
    const handed: ResumableRelease[] = [];
    const report = await recover({ records, runtime, router, clock: t.clock }, undefined, async (c) => {
      // The routes are rebuilt before anything resumes, so the two cannot race.
      expect(routed.get(HOST)).toBeDefined();
      handed.push(c);
    });
    expect(report).toMatchObject({ resumed: [id], abandoned: [], routes: [HOST] });
    expect(handed).toHaveLength(1);
    expect(handed[0]?.from).toEqual({ step: 1, weight: 50 });
    expect(handed[0]?.rollout).toMatchObject({
      revision: 'canary',
      stable: 'stable',
      host: HOST,
      strategy: CANARY,
    });
    expect(handed[0]?.note).toBe(
      'resumed after a restart at step 2/2 (pause, 50% on canary): still paused until promoted',
    );
    expect(routed.get(HOST)).toEqual([
      { revision: 'stable', weight: 50 },
      { revision: 'canary', weight: 50 },
    ]);
    expect(stopped).toEqual([]);
    expect((await deployment(id))?.status).toBe('running');
  });

  it('says that an interrupted timed pause, analysis step or background analysis starts again', async () => {
    const strategy: CanaryStrategy = {
      ...CANARY,
      steps: [
        { kind: 'setWeight', weight: 20 },
        { kind: 'pause', duration: 30_000 },
        { kind: 'analysis', templates: ['errors'] },
      ],
      analysis: { templates: ['latency'], startingStep: 1 },
    };
    await interrupted({ strategy, phase: 'step:2', weight: 20 });
    const notes: string[] = [];
    await recover({ records, runtime, router, clock: t.clock }, undefined, async (c) => {
      notes.push(c.note);
    });
    expect(notes).toEqual([
      'resumed after a restart at step 3/3 (analysis, 20% on canary): the interrupted analysis (errors) starts again from its beginning; background analysis starts again',
    ]);
  });

  const failSafe = [
    {
      when: 'the canary lost an instance',
      arrange: async () => healthy.set('canary', 1),
      why: 'not resumed: 1 of the 2 instances of canary were healthy after the restart',
    },
    {
      when: 'the stable revision has no healthy instance',
      arrange: async () => healthy.delete('stable'),
      why: 'not resumed: the stable stable had no healthy instance after the restart',
    },
    {
      when: 'no plan was recorded (an older Flowline started it)',
      strategy: null,
      why: 'not resumed: its strategy was not recorded (started by an older Flowline)',
    },
    {
      when: 'the step is not one of the strategy’s',
      phase: 'step:7',
      why: 'not resumed: step:7 is not one of its 2 steps',
    },
    {
      when: 'the recorded strategy is not a canary',
      strategy: { kind: 'allAtOnce' } as Strategy,
      why: 'not resumed: its recorded strategy is allAtOnce, not a canary',
    },
  ];
  for (const c of failSafe) {
    it(`fails safe as before when ${c.when}, and the journal says why it did not resume`, async () => {
      const id = await interrupted({
        ...(c.phase === undefined ? {} : { phase: c.phase }),
        ...(c.strategy === undefined ? {} : { strategy: c.strategy }),
      });
      await c.arrange?.();
      const handed: ResumableRelease[] = [];
      const report = await recover({ records, runtime, router, clock: t.clock }, undefined, async (r) => {
        handed.push(r);
      });
      expect(handed).toEqual([]);
      expect(report).toMatchObject({ resumed: [], abandoned: [id] });
      const d = await deployment(id);
      expect(d?.status).toBe('failed');
      expect(d?.reason).toBe(
        `Flowline restarted during the canary (${c.phase ?? 'step:1'}); all traffic returned to stable and canary was stopped: deploy again to retry`,
      );
      expect(routed.get(HOST)).toEqual([{ revision: 'stable', weight: 100 }]);
      expect(stopped).toContain('canary');
      expect((await records.journalOf(id)).map((l) => l.message)).toEqual([c.why]);
    });
  }

  it('fails safe when nobody can carry it on (no `resume` given), as before resuming existed', async () => {
    const id = await interrupted();
    const report = await recover({ records, runtime, router, clock: t.clock });
    expect(report).toMatchObject({ resumed: [], abandoned: [id] });
    expect(routed.get(HOST)).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(await records.journalOf(id)).toEqual([]);
  });
});

describe('a canary resumed by the deploy controller', () => {
  it('runs its remaining steps as any release: paused until promoted, then all traffic on the canary', async () => {
    const id = await interrupted();
    const events = createEventBus();
    const seen: FlowlineEvent[] = [];
    const settled = new Promise<FlowlineEvent>((resolve) => {
      events.subscribe((e) => {
        seen.push(e);
        if (e.type === 'deployment.succeeded' || e.type === 'deployment.failed') resolve(e);
      });
    });
    // Pauses end only when the release is acted on.
    const controller = controllerWith(
      { ok: true },
      events,
      (_ms, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
    );

    const report = await controller.recover({ where });
    expect(report.resumed).toEqual([id]);
    const alice = { kind: 'user' as const, name: 'alice' };
    await expect(
      controller.control({
        service: 'shop',
        environment: 'production',
        action: 'promote',
        actor: alice,
        where,
      }),
    ).resolves.toEqual({ deploymentId: id });
    expect((await settled).type).toBe('deployment.succeeded');

    expect((await deployment(id))?.status).toBe('succeeded');
    expect(routed.get(HOST)).toEqual([{ revision: 'canary', weight: 100 }]);
    expect(await records.route(HOST)).toMatchObject({ backends: [{ revision: 'canary', weight: 100 }] });
    // The manual clock stands still, so journal lines share one time: look for them, not their order.
    const journal = (await records.journalOf(id)).map((l) => l.message);
    expect(journal).toEqual(
      expect.arrayContaining([
        'resumed after a restart at step 2/2 (pause, 50% on canary): still paused until promoted',
        'step 2/2: promoted',
        'succeeded',
      ]),
    );
    expect(seen.map((e) => e.type)).toContain('release.resumed');
    const actions = (await audit.list({})).map((e) => `${e.action} ${e.actor.name}`);
    expect(actions).toEqual(
      expect.arrayContaining(['deploy.resume flowline', 'release.promote alice', 'deploy.succeed flowline']),
    );
  });
});

/** A controller over the test's store, runtime and router, with an analysis that answers `verdict`. */
function controllerWith(
  verdict: { ok: true } | { ok: false; reason: string },
  events = createEventBus(),
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>,
) {
  return new DeployController({
    store: t.store,
    catalog,
    audit,
    clock: t.clock,
    records,
    runtime,
    router,
    events,
    artifactPath: async () => undefined,
    assertTrunkGreen: async () => {},
    policies: {
      get: async () => undefined,
      ensure: async () => {
        throw new Error('no deploys here');
      },
      environment: () => {
        throw new Error('no deploys here');
      },
    },
    authorize: () => {},
    secrets: { resolve: async () => ({}) },
    urlFor: (host) => `http://${host}/`,
    analyze: async () => verdict,
    ...(sleep === undefined ? {} : { sleep }),
  });
}

/** Resolves with the end of the release the controller carries on in the background. */
function settledOf(events: ReturnType<typeof createEventBus>): Promise<FlowlineEvent> {
  return new Promise((resolve) => {
    events.subscribe((e) => {
      if (e.type === 'deployment.succeeded' || e.type === 'deployment.failed') resolve(e);
    });
  });
}

describe('a blue-green deployment interrupted after its switch, before its analysis gave a verdict', () => {
  for (const phase of ['analysis', 'switching']) {
    it(`is not taken for a success (phase ${phase}): its analysis is handed on to run again`, async () => {
      const id = await interrupted({ strategy: BLUE_GREEN, phase, weight: 100 });
      const handed: ResumableRelease[] = [];
      const report = await recover({ records, runtime, router, clock: t.clock }, undefined, async (r) => {
        handed.push(r);
      });
      expect(report).toMatchObject({ completed: [], resumed: [id], abandoned: [] });
      expect(handed[0]?.from).toBe('postAnalysis');
      expect(handed[0]?.note).toMatch(
        /post-promotion analysis \(errors\) was interrupted by a restart: it runs again/,
      );
      expect((await deployment(id))?.status).toBe('running');
    });
  }

  it('fails safe, traffic back on the previous revision, when nobody can run the analysis again', async () => {
    const id = await interrupted({ strategy: BLUE_GREEN, phase: 'analysis', weight: 100 });
    const report = await recover({ records, runtime, router, clock: t.clock });
    expect(report).toMatchObject({ completed: [], abandoned: [id] });
    expect((await deployment(id))?.reason).toMatch(
      /restarted before the analysis after the switch gave its verdict/,
    );
    expect(routed.get(HOST)).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(stopped).toContain('canary');
  });

  it('runs the analysis again through the controller: a failing verdict rolls back, a passing one promotes', async () => {
    const failing = await interrupted({ strategy: BLUE_GREEN, phase: 'analysis', weight: 100 });
    const events = createEventBus();
    const settled = settledOf(events);
    await controllerWith({ ok: false, reason: 'error rate 0.2 > 0.01' }, events).recover({ where });
    expect((await settled).type).toBe('deployment.failed');
    expect(await deployment(failing)).toMatchObject({ status: 'failed' });
    expect(routed.get(HOST)).toEqual([{ revision: 'stable', weight: 100 }]);
    expect((await records.journalOf(failing)).map((l) => l.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/runs again from its beginning/)]),
    );
  });

  it('promotes after the analysis, run again, passes', async () => {
    const id = await interrupted({ strategy: BLUE_GREEN, phase: 'analysis', weight: 100 });
    const events = createEventBus();
    const settled = settledOf(events);
    await controllerWith({ ok: true }, events).recover({ where });
    expect((await settled).type).toBe('deployment.succeeded');
    expect(await deployment(id)).toMatchObject({ status: 'succeeded' });
    expect((await records.revision('canary'))?.state).toBe('live');
    // Kept warm for keepWarmMs (0 here), then retired.
    expect((await records.revision('stable'))?.state).toBe('retired');
  });
});
