import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Catalog, createCatalog } from '../catalog/index.js';
import type { Strategy } from '../config/index.js';
import { tempStore } from '../store/testing.js';
import type { Analyze, AnalyzeOutcome, Rollout, RolloutOutcome } from './deps.js';
import type { RevisionRuntime, RevisionSpec, TrafficRouter } from './ports.js';
import { DeployRecords, type StoredTarget } from './records.js';
import { ReleaseControl } from './release-control.js';
import { runRollout } from './rollout.js';

/**
 * What a release does when its analysis cannot decide: it holds where it is, traffic unchanged,
 * says why (a progress line, a `release.paused` event), and waits for a person — promote carries on,
 * abort rolls back. Never a rollback on no data alone. A real store, a fake runtime and router, an
 * analysis that answers what each test says, and people who act when they read a progress line.
 */

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const HOST = 'production.shop.localhost';
const INCONCLUSIVE: AnalyzeOutcome = {
  ok: false,
  inconclusive: true,
  reason:
    'errors: inconclusive 1 time (limit 0): no data: canary canary served 3 requests in the last 1m (minSamples 20); waited 1m',
};

let t: Awaited<ReturnType<typeof tempStore>>;
let catalog: Catalog;
let records: DeployRecords;
let healthy: Set<string>;
let stopped: string[];
let routed: StoredTarget['backends'];
let runtime: RevisionRuntime;
let router: TrafficRouter;

beforeEach(async () => {
  t = await tempStore();
  catalog = createCatalog({ store: t.store, clock: t.clock });
  records = new DeployRecords(t.store, t.clock);
  healthy = new Set();
  stopped = [];
  routed = [];
  runtime = {
    start: async (spec) => {
      healthy.add(spec.revision);
      return [{ id: `${spec.revision}-0`, url: 'http://x' }];
    },
    stop: async (revision) => {
      stopped.push(revision);
      healthy.delete(revision);
    },
    instances: async (revision) => (healthy.has(revision) ? [{ id: `${revision}-0`, url: 'http://x' }] : []),
  };
  router = {
    setRoute: (_host, target) => {
      routed = target.backends.map((b) => ({ revision: b.revision, weight: b.weight }));
    },
    removeRoute: () => {},
    drain: async () => {},
  };
});

afterEach(async () => {
  await t.cleanup();
});

/** `stable` live with all traffic, and a deployment of `canary` with `strategy` about to start. */
async function rolloutOf(strategy: Strategy): Promise<Rollout> {
  await catalog.ensureService('shop');
  const env = await catalog.ensureEnvironment('shop', 'production', 'persistent');
  const ids = { serviceId: (await catalog.getService('shop')).id, environmentId: env.id };
  for (const id of [A, B]) await catalog.recordArtifact({ id, service: 'shop', cacheKey: id, sizeBytes: 1 });
  const deploy = (artifactId: string) =>
    catalog.startDeployment({
      service: 'shop',
      environment: 'production',
      artifactId,
      strategy: 'x',
      actor: 'alice',
    });
  const first = await deploy(A);
  const d = await deploy(B);
  const spec = (revision: string) => ({ revision, instances: 1 }) as RevisionSpec;
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
  healthy.add('stable');
  const route: StoredTarget = {
    service: 'shop',
    environment: 'production',
    backends: [{ revision: 'stable', weight: 100 }],
  };
  await records.saveRoute(HOST, ids, route);
  routed = route.backends;
  return {
    deploymentId: d.id,
    service: 'shop',
    environment: 'production',
    ...ids,
    host: HOST,
    revision: 'canary',
    spec: spec('canary'),
    stable: 'stable',
    strategy,
    smoke: [],
    keepWarmMs: 60_000,
    analysisTemplates: {},
    startedAt: t.clock.now(),
  };
}

type Call = Parameters<Analyze>[0];

/**
 * Runs a release to its end. `analysis` answers each analysis call; `onLine` is a person reading
 * the progress as it comes, who may act on the release. Waits end only when the release is acted
 * on: the sleep never elapses by itself.
 */
async function release(
  strategy: Strategy,
  analysis: (call: Call, index: number) => Promise<AnalyzeOutcome>,
  onLine: (line: string, control: ReleaseControl) => void = () => {},
) {
  const r = await rolloutOf(strategy);
  const control = new ReleaseControl(() => t.clock.now().getTime());
  const lines: string[] = [];
  const events: { type: string; message: string }[] = [];
  const calls: Call[] = [];
  const outcome: RolloutOutcome = await runRollout(
    {
      records,
      runtime,
      router,
      clock: t.clock,
      analyze: (call) => {
        calls.push(call);
        return analysis(call, calls.length - 1);
      },
      sleep: (_ms, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
        ),
      announce: (type, message) => events.push({ type, message }),
    },
    r,
    control,
    (line) => {
      lines.push(line);
      onLine(line, control);
    },
  );
  const deployment = (await catalog.listDeployments({ service: 'shop', environment: 'production' })).find(
    (d) => d.id === r.deploymentId,
  );
  return { outcome, lines, events, calls, deployment };
}

/** Resolves when the analysis is stopped (by the release), judged as the caller says. */
function untilStopped(call: Call, judged: AnalyzeOutcome): Promise<AnalyzeOutcome> {
  return new Promise((resolve) =>
    call.signal.addEventListener('abort', () => resolve(judged), { once: true }),
  );
}

const STEPS: Strategy = {
  kind: 'canary',
  steps: [
    { kind: 'setWeight', weight: 25 },
    { kind: 'analysis', templates: ['errors'] },
    { kind: 'setWeight', weight: 75 },
  ],
  trafficRouting: { sticky: false },
};

describe('a canary whose analysis step is inconclusive', () => {
  it('holds at its weight and says why, then carries on when promoted', async () => {
    let heldWith: StoredTarget['backends'] = [];
    const run = await release(
      STEPS,
      async () => INCONCLUSIVE,
      (line, control) => {
        // Time passes between the switch and the analysis: its window still starts at the switch.
        if (line.startsWith('step 1/3: setWeight')) t.clock.advance(5000);
        if (line.startsWith('⏸')) {
          heldWith = routed;
          control.promote(false);
        }
      },
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(heldWith).toEqual([
      { revision: 'stable', weight: 75 },
      { revision: 'canary', weight: 25 },
    ]);
    expect(run.calls[0]?.since?.getTime()).toBe(t.clock.now().getTime() - 5000);
    expect(run.lines).toEqual(
      expect.arrayContaining([
        `⏸ step 2/3 (25% on canary): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}. \`flowline release promote production\` carries on; \`flowline release abort production\` sends all traffic back to stable`,
        'step 2/3: promoted past the inconclusive analysis',
        '✔ promoted: canary takes all traffic',
      ]),
    );
    expect(run.events).toContainEqual({
      type: 'release.paused',
      message: `step 2/3 (25% on canary): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}`,
    });
    expect(routed).toEqual([{ revision: 'canary', weight: 100 }]);
    expect(run.deployment?.status).toBe('succeeded');
  });

  it('says it in the words docs/analysis.md shows', async () => {
    const docs = await readFile(new URL('../../docs/analysis.md', import.meta.url), 'utf8');
    const shown = docs.split('\n').filter((line) => line.startsWith('⏸'));
    const run = await release(
      STEPS,
      async () => INCONCLUSIVE,
      (line, control) => {
        if (line.startsWith('⏸')) control.promote(false);
      },
    );
    // The page's revisions are r2 (canary) and r1 (stable), its figures others.
    const shape = (line: string) =>
      line.replaceAll('r2', 'canary').replaceAll('r1', 'stable').replace(/\d+/g, '#');
    expect(shown.map(shape)).toEqual(run.lines.filter((line) => line.startsWith('⏸')).map(shape));
  });

  it('rolls back when aborted while held', async () => {
    const run = await release(
      STEPS,
      async () => INCONCLUSIVE,
      (line, control) => {
        if (line.startsWith('⏸')) control.abort('aborted by alice');
      },
    );
    expect(run.outcome).toEqual({ ok: false, reason: 'aborted by alice' });
    expect(routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(stopped).toEqual(['canary']);
    expect(run.deployment).toMatchObject({ status: 'failed', reason: 'aborted by alice' });
  });

  it('is not held when the analysis failed: that rolls back at once', async () => {
    const failed = {
      ok: false,
      reason: 'errors: errorRate 0.2 broke `result < 0.01` 1 time (limit 0)',
    } as const;
    const run = await release(STEPS, async () => failed);
    expect(run.outcome).toEqual(failed);
    expect(run.lines.some((line) => line.startsWith('⏸'))).toBe(false);
    expect(run.events.map((e) => e.type)).not.toContain('release.paused');
    expect(routed).toEqual([{ revision: 'stable', weight: 100 }]);
  });
});

describe('a canary whose background analysis is inconclusive', () => {
  const strategy: Strategy = {
    kind: 'canary',
    steps: [
      { kind: 'setWeight', weight: 20 },
      { kind: 'pause' },
      { kind: 'setWeight', weight: 60 },
      { kind: 'pause' },
    ],
    trafficRouting: { sticky: false },
    analysis: { templates: ['errors'], startingStep: 0 },
  };

  it('holds the release, which a promote ends without also ending the pause it was in; then it measures again', async () => {
    let endFirst: (outcome: AnalyzeOutcome) => void = () => {};
    let promotes = 0;
    const seen: string[] = [];
    const run = await release(
      strategy,
      (call, index) =>
        index === 0 ? new Promise((resolve) => (endFirst = resolve)) : untilStopped(call, { ok: true }),
      (line, control) => {
        seen.push(`${promotes} ${line}`);
        const promote = () => {
          promotes += 1;
          control.promote(false);
        };
        // The first background run ends inconclusive while the release waits in its first pause.
        if (line === 'step 2/4: pause until promoted (flowline release promote)') endFirst(INCONCLUSIVE);
        if (line.startsWith('⏸')) {
          promote(); // ends the hold...
          setImmediate(promote); // ...and a second promote ends the pause
        }
        if (line === 'step 4/4: pause until promoted (flowline release promote)') promote();
      },
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(seen).toEqual(
      expect.arrayContaining([
        `0 ⏸ background analysis (20% on canary): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}. \`flowline release promote production\` carries on; \`flowline release abort production\` sends all traffic back to stable`,
        '2 step 2/4: promoted',
        '2 step 3/4: setWeight 60% → canary (stable stable 40%)',
      ]),
    );
    // Started at the first weight, and again once promoted past the inconclusive end.
    expect(run.calls.map((c) => [c.background, c.since?.toISOString()])).toEqual([
      [true, t.clock.now().toISOString()],
      [true, t.clock.now().toISOString()],
    ]);
    expect(routed).toEqual([{ revision: 'canary', weight: 100 }]);
  });

  it('holds after the last step when the background analysis never measured, unless promoted fully', async () => {
    const never: AnalyzeOutcome = {
      ok: false,
      inconclusive: true,
      reason: 'errors: inconclusive 1 time (limit 0): stopped before a measurement completed',
    };
    const held = await release(
      strategy,
      (call) => untilStopped(call, never),
      (line, control) => {
        if (line.includes('pause until promoted') || line.startsWith('⏸')) control.promote(false);
      },
    );
    expect(held.outcome).toEqual({ ok: true });
    expect(held.lines).toContain(
      `⏸ after step 4/4 (60% on canary): paused, the analysis was inconclusive: ${never.reason}. \`flowline release promote production\` carries on; \`flowline release abort production\` sends all traffic back to stable`,
    );

    await t.cleanup();
    t = await tempStore();
    catalog = createCatalog({ store: t.store, clock: t.clock });
    records = new DeployRecords(t.store, t.clock);
    const full = await release(
      strategy,
      (call) => untilStopped(call, never),
      (line, control) => {
        if (line.includes('pause until promoted')) control.promote(true);
      },
    );
    expect(full.outcome).toEqual({ ok: true });
    expect(full.lines.some((line) => line.startsWith('⏸'))).toBe(false);
  });
});

describe('a blue-green deployment whose analysis is inconclusive', () => {
  const blueGreen = (when: 'pre' | 'post'): Strategy => ({
    kind: 'blueGreen',
    autoPromotionEnabled: true,
    scaleDownDelay: 60_000,
    ...(when === 'pre'
      ? { prePromotionAnalysis: { templates: ['errors'] } }
      : { postPromotionAnalysis: { templates: ['errors'] } }),
  });

  it('holds before the switch with traffic on blue; promoted, it switches', async () => {
    let heldWith: StoredTarget['backends'] = [];
    const run = await release(
      blueGreen('pre'),
      async () => INCONCLUSIVE,
      (line, control) => {
        if (!line.startsWith('⏸')) return;
        heldWith = routed;
        control.promote(false);
      },
    );
    expect(heldWith).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.lines).toContain(
      `⏸ pre-promotion analysis, before the switch (stable serves): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}. \`flowline release promote production\` switches traffic to canary; \`flowline release abort production\` stops canary`,
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(routed).toEqual([{ revision: 'canary', weight: 100 }]);
  });

  it('holds after the switch with traffic on green and blue still live; promote finishes, abort switches back', async () => {
    let heldWith: StoredTarget['backends'] = [];
    let blueWhileHeld: string | undefined;
    const finish = await release(
      blueGreen('post'),
      async (call) => {
        expect(call.since?.getTime()).toBe(t.clock.now().getTime()); // measured from the switch
        return INCONCLUSIVE;
      },
      (line, control) => {
        if (!line.startsWith('⏸')) return;
        heldWith = routed;
        void records.revision('stable').then((r) => {
          blueWhileHeld = r?.state;
          control.promote(false);
        });
      },
    );
    expect(heldWith).toEqual([{ revision: 'canary', weight: 100 }]);
    expect(blueWhileHeld).toBe('live');
    expect(finish.outcome).toEqual({ ok: true });
    expect(finish.lines).toContain(
      `⏸ post-promotion analysis, after the switch (canary serves): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}. \`flowline release promote production\` finishes the release; \`flowline release abort production\` switches traffic back to stable`,
    );
    expect((await records.revision('stable'))?.state).toBe('warm');

    await t.cleanup();
    t = await tempStore();
    catalog = createCatalog({ store: t.store, clock: t.clock });
    records = new DeployRecords(t.store, t.clock);
    const back = await release(
      blueGreen('post'),
      async () => INCONCLUSIVE,
      (line, control) => {
        if (line.startsWith('⏸')) control.abort('aborted by alice');
      },
    );
    expect(back.outcome).toEqual({ ok: false, reason: 'aborted by alice' });
    expect(routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(stopped).toContain('canary');
  });
});
