import { createAuditLog } from '../audit/index.js';
import { type Catalog, createCatalog, type Deployment } from '../catalog/index.js';
import { type AnalysisTemplate, type CanaryStrategy, parseConfig, type Strategy } from '../config/index.js';
import { createEventBus, type FlowlineEvent } from '../core/events.js';
import { createIncidents, type Incident, type Incidents } from '../incidents/index.js';
import type { tempStore } from '../store/testing.js';
import {
  type Analyze,
  type AnalyzeOutcome,
  type DeployControllerDeps,
  type Rollout,
  type RolloutOutcome,
  SYSTEM_ACTOR,
} from './deps.js';
import type { RevisionRuntime, RevisionSpec, TrafficRouter } from './ports.js';
import { DeployRecords, type StoredTarget } from './records.js';
import { ReleaseControl } from './release-control.js';
import { runRollout } from './rollout.js';

/**
 * A release run for tests of the rollout: a real store (the test's temp store), `stable` live with all traffic, a deployment of `canary` about to start, a runtime whose
 * instances are always healthy and a router that keeps the last route it was given. Waits end only
 * when the release is acted on: the sleep never elapses by itself.
 */

export type AnalyzeCall = Parameters<Analyze>[0];

/** What a person reading the progress sees of the release, and can act on. */
export interface ReleaseView {
  readonly control: ReleaseControl;
  readonly records: DeployRecords;
  /** The route the router has now. */
  routed(): StoredTarget['backends'];
  /** Moves the store's manual clock (the release's `now`). */
  advance(ms: number): void;
  /** Takes every instance of a revision out of health (a crash). */
  crash(revision: string): void;
}

export interface ReleaseRun {
  readonly outcome: RolloutOutcome;
  readonly lines: readonly string[];
  readonly events: readonly { readonly type: string; readonly message: string }[];
  /** `release.weight.changed` as the bus carried it: every weight the router was given. */
  readonly weights: readonly FlowlineEvent[];
  readonly calls: readonly AnalyzeCall[];
  readonly deployment: Deployment | undefined;
  /** Every incident of the environment afterwards (the controller opens them as the system). */
  readonly incidents: readonly Incident[];
  /** What the release ran with, to run its failure path again. */
  readonly rollout: Rollout;
  readonly deps: Pick<DeployControllerDeps, 'records' | 'runtime' | 'router' | 'clock' | 'incidents'>;
  readonly routed: StoredTarget['backends'];
  /** The specs the runtime was asked to start, in order. */
  readonly started: readonly RevisionSpec[];
  readonly stopped: readonly string[];
  readonly records: DeployRecords;
  readonly now: Date;
}

const HOST = 'production.shop.localhost';

/** A release set up and ready to run: its parts, for a test to run it or leave it interrupted. */
export interface StagedRelease {
  readonly catalog: Catalog;
  readonly records: DeployRecords;
  readonly incidents: Incidents;
  readonly rollout: Rollout;
  /** What the rollout runs with; the controller's incidents are opened as the system. */
  readonly deps: Pick<DeployControllerDeps, 'records' | 'runtime' | 'router' | 'clock' | 'events'> & {
    readonly incidents: NonNullable<DeployControllerDeps['incidents']>;
  };
  /** `release.weight.changed` events the bus carried so far. */
  readonly weights: readonly FlowlineEvent[];
  /** Revisions with a healthy instance: the runtime's view. */
  readonly healthy: Set<string>;
  readonly started: readonly RevisionSpec[];
  readonly stopped: readonly string[];
  /** The route the router has now. */
  routed(): StoredTarget['backends'];
}

/**
 * Sets a release of `strategy` up on the test's store: `stable` live with all traffic (deployed by
 * an earlier deployment), a deployment of `canary` starting.
 */
export async function stageRelease(
  t: Awaited<ReturnType<typeof tempStore>>,
  strategy: Strategy,
  /** flowline.yaml's analysis templates (a `judge` metric in one gives a canary a fresh baseline). */
  analysisTemplates: Readonly<Record<string, AnalysisTemplate>> = {},
): Promise<StagedRelease> {
  const catalog = createCatalog({ store: t.store, clock: t.clock });
  const records = new DeployRecords(t.store, t.clock);
  const incidents = createIncidents({
    store: t.store,
    audit: createAuditLog({ store: t.store, clock: t.clock }),
    clock: t.clock,
  });
  const healthy = new Set<string>(['stable']);
  const started: RevisionSpec[] = [];
  const stopped: string[] = [];
  let routed: StoredTarget['backends'] = [{ revision: 'stable', weight: 100 }];
  const instance = (revision: string) => [{ id: `${revision}-0`, url: 'http://x' }];
  const runtime: RevisionRuntime = {
    start: async (spec) => {
      started.push(spec);
      healthy.add(spec.revision);
      return instance(spec.revision);
    },
    stop: async (revision) => {
      stopped.push(revision);
      healthy.delete(revision);
    },
    instances: async (revision) => (healthy.has(revision) ? instance(revision) : []),
    removeData: async () => false,
  };
  const router: TrafficRouter = {
    setRoute: (_host, target) => {
      routed = target.backends.map((b) => ({ revision: b.revision, weight: b.weight }));
    },
    removeRoute: () => {},
    drain: async () => {},
  };

  await catalog.ensureService('shop');
  const env = await catalog.ensureEnvironment('shop', 'production', 'persistent');
  const ids = { serviceId: (await catalog.getService('shop')).id, environmentId: env.id };
  const [a, b] = ['a', 'b'].map((c) => `sha256:${c.repeat(64)}`) as [string, string];
  for (const id of [a, b]) await catalog.recordArtifact({ id, service: 'shop', cacheKey: id, sizeBytes: 1 });
  const deploy = (artifactId: string) =>
    catalog.startDeployment({
      service: 'shop',
      environment: 'production',
      artifactId,
      strategy: 'x',
      actor: 'alice',
    });
  const first = await deploy(a);
  await catalog.setDeploymentStatus(first.id, 'succeeded');
  const d = await deploy(b);
  const spec = (revision: string) => ({ revision, instances: 1 }) as RevisionSpec;
  await t.store.write(async (tx) => {
    await records.insertRevision(tx, {
      revision: 'stable',
      ...ids,
      deploymentId: first.id,
      artifactId: a,
      spec: spec('stable'),
    });
    await records.markStarting(tx, d.id, {
      revision: 'canary',
      previousRevision: 'stable',
      host: HOST,
      keepWarmMs: 0,
      plan: { strategy, analysisTemplates },
    });
    await records.insertRevision(tx, {
      revision: 'canary',
      ...ids,
      deploymentId: d.id,
      artifactId: b,
      spec: spec('canary'),
    });
  });
  await records.setRevisionState('stable', 'live');
  await records.saveRoute(HOST, ids, { service: 'shop', environment: 'production', backends: routed });
  const rollout: Rollout = {
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
    progressDeadlineMs: 600_000,
    analysisTemplates,
    startedAt: t.clock.now(),
  };

  const bus = createEventBus();
  const weights: FlowlineEvent[] = [];
  bus.subscribe((event) => {
    if (event.type === 'release.weight.changed') weights.push(event);
  });
  const deps = {
    records,
    runtime,
    router,
    clock: t.clock,
    events: bus,
    incidents: {
      open: (input, tx) => incidents.openAutomatic(input, { actor: SYSTEM_ACTOR, where: { host: 'h' } }, tx),
    } satisfies DeployControllerDeps['incidents'],
  };
  return {
    catalog,
    records,
    incidents,
    rollout,
    deps,
    healthy,
    started,
    stopped,
    routed: () => routed,
    weights,
  };
}

/**
 * Runs a release of `strategy` to its end. `analysis` answers each analysis call (the index counts
 * them); `onLine` is a person reading each progress line as it comes, who may act on the release.
 */
export async function runRelease(
  t: Awaited<ReturnType<typeof tempStore>>,
  strategy: Strategy,
  analysis: (call: AnalyzeCall, index: number) => Promise<AnalyzeOutcome>,
  onLine: (line: string, view: ReleaseView) => void = () => {},
  options: {
    /** The controller's sleep; by default one that only ends when aborted (nothing times out). */
    readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
    readonly analysisTemplates?: Readonly<Record<string, AnalysisTemplate>>;
  } = {},
): Promise<ReleaseRun> {
  const { catalog, records, incidents, rollout, deps, healthy, started, stopped, routed, weights } =
    await stageRelease(t, strategy, options.analysisTemplates);
  const control = new ReleaseControl(() => t.clock.now().getTime());
  const view: ReleaseView = {
    control,
    records,
    routed,
    advance: (ms) => t.clock.advance(ms),
    crash: (revision) => healthy.delete(revision),
  };
  const lines: string[] = [];
  const events: { type: string; message: string }[] = [];
  const calls: AnalyzeCall[] = [];
  const outcome = await runRollout(
    {
      ...deps,
      urlFor: (host) => `http://${host}:8080/`,
      analyze: (call) => {
        calls.push(call);
        return analysis(call, calls.length - 1);
      },
      sleep: options.sleep ?? untilAborted,
      announce: (type, message) => events.push({ type, message }),
    },
    rollout,
    control,
    (line) => {
      lines.push(line);
      onLine(line, view);
    },
  );
  const deployment = (await catalog.listDeployments({ service: 'shop', environment: 'production' })).find(
    (x) => x.id === rollout.deploymentId,
  );
  return {
    outcome,
    lines,
    events,
    weights,
    calls,
    deployment,
    incidents: await incidents.list({ status: 'all' }),
    rollout,
    deps,
    routed: routed(),
    started,
    stopped,
    records,
    now: t.clock.now(),
  };
}

/** A sleep that never ends by itself: it rejects when aborted. */
export function untilAborted(_ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
  );
}

/** A canary of three steps: 25%, an analysis, 75%. */
export const CANARY_STEPS: Strategy = {
  kind: 'canary',
  steps: [
    { kind: 'setWeight', weight: 25 },
    { kind: 'analysis', templates: ['errors'] },
    { kind: 'setWeight', weight: 75 },
  ],
  trafficRouting: { sticky: false },
};

/** What an analysis that waited for data in vain says (the reason is the engine's). */
export const INCONCLUSIVE = {
  ok: false,
  inconclusive: true,
  reason:
    'errors: inconclusive 1 time (limit 0): no data: canary canary served 3 requests in the last 1m (minSamples 20); waited 1m',
} as const satisfies AnalyzeOutcome;

/** An analysis that runs until the release stops it, then is judged as `judged`. */
export function untilStopped(call: AnalyzeCall, judged: AnalyzeOutcome): Promise<AnalyzeOutcome> {
  return new Promise((resolve) =>
    call.signal.addEventListener('abort', () => resolve(judged), { once: true }),
  );
}

/** Analysis templates as flowline.yaml gives them: `judged` compares with a baseline, `errors` has a threshold. */
export function judgeTemplates(): Record<string, AnalysisTemplate> {
  const yaml = `version: 1
service: shop
analysis:
  templates:
    judged:
      metrics:
        - name: latency
          provider: { judge: { signal: latencyP99 } }
    errors:
      metrics:
        - name: error-rate
          successCondition: result < 0.01
          provider: { router: { signal: errorRate } }
`;
  const parsed = parseConfig(yaml, 'flowline.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { ...parsed.config.analysis.templates };
}

/** A canary judged statistically: 20%, a `judged` analysis, 60%, then promoted. */
export const JUDGED: CanaryStrategy = {
  kind: 'canary',
  steps: [
    { kind: 'setWeight', weight: 20 },
    { kind: 'analysis', templates: ['judged'] },
    { kind: 'setWeight', weight: 60 },
  ],
  trafficRouting: { sticky: true },
};
