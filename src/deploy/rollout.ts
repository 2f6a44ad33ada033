import type { AnalysisTemplate, SmokeCheck, Strategy } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import { type CanaryResumePoint, runCanary } from './canary.js';
import type { DeployControllerDeps } from './controller.js';
import type { Backend, InstanceRef, RevisionSpec } from './ports.js';
import type { StoredTarget } from './records.js';
import type { ReleaseControl } from './release-control.js';
import { runSmokeChecks } from './smoke.js';

/** One deployment's plan, as the controller hands it to the rollout. */
export interface Rollout {
  readonly deploymentId: string;
  readonly service: string;
  readonly environment: string;
  readonly serviceId: string;
  readonly environmentId: string;
  readonly host: string;
  readonly revision: string;
  readonly spec: RevisionSpec;
  /** The revision serving now, if any: blue in blue-green, the baseline in a canary. */
  readonly stable: string | undefined;
  readonly strategy: Strategy;
  readonly smoke: readonly SmokeCheck[];
  /** How long the previous revision stays warm for an instant rollback (0: stopped at once). */
  readonly keepWarmMs: number;
  /** The analysis templates of flowline.yaml, by name. */
  readonly analysisTemplates: Readonly<Record<string, AnalysisTemplate>>;
  readonly startedAt: Date;
}

export type RolloutOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime' | 'router' | 'clock'>;
type RolloutDeps = Deps &
  Pick<DeployControllerDeps, 'analyze'> & {
    readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
    readonly announce?: ((type: string, message: string) => void) | undefined;
  };

/**
 * Drives one deployment: start the new revision, wait healthy, smoke-test it directly, then
 * shift traffic as the strategy says. Each phase is written to the store before it is acted
 * on (see recovery.ts for what a restart does with each phase). With `resumeAt`, a canary that
 * a restart interrupted carries on from that step: its revision already runs and passed smoke.
 */
export async function runRollout(
  deps: RolloutDeps,
  r: Rollout,
  control: ReleaseControl,
  progress: (line: string) => void,
  resumeAt?: CanaryResumePoint,
): Promise<RolloutOutcome> {
  try {
    if (resumeAt === undefined) return await drive(deps, r, control, progress);
    if (r.strategy.kind !== 'canary') {
      throw new FlowlineError(
        'FLOWLINE_INTERNAL',
        `Only a canary carries on after a restart, not a ${r.strategy.kind} deployment.`,
      );
    }
    return await runCanary(deps, r, r.strategy, control, progress, resumeAt);
  } catch (error) {
    // Whatever broke mid-way, the deployment must end defined: traffic back on stable, reason kept.
    const reason = error instanceof Error ? error.message : String(error);
    control.abort(reason);
    await abandon(deps, r, reason);
    progress(`✘ ${reason}`);
    return { ok: false, reason };
  }
}

async function drive(
  deps: RolloutDeps,
  r: Rollout,
  control: ReleaseControl,
  progress: (line: string) => void,
): Promise<RolloutOutcome> {
  const fail = async (reason: string): Promise<RolloutOutcome> => {
    await abandon(deps, r, reason);
    progress(`✘ ${reason}`);
    return { ok: false, reason };
  };

  progress(`starting ${r.spec.instances} instance${r.spec.instances === 1 ? '' : 's'} of ${r.revision}`);
  let instances: readonly InstanceRef[];
  try {
    instances = await deps.runtime.start(r.spec, progress);
  } catch (error) {
    return fail((error as Error).message);
  }
  await deps.records.setRevisionState(r.revision, 'ready');
  progress(`✔ ${instances.length} healthy: ${instances.map((i) => i.url).join(' ')}`);

  if (r.smoke.length > 0) {
    await deps.records.setPhase(r.deploymentId, 'smoke');
    progress(`smoke checks: ${r.smoke.map((s) => s.name).join(', ')}`);
    const bad = (
      await runSmokeChecks(
        r.smoke,
        instances.map((i) => i.url),
      )
    ).find((s) => !s.ok);
    if (bad !== undefined) return fail(`smoke check \`${bad.check}\` failed: ${bad.problem ?? 'unknown'}`);
    progress('✔ smoke checks passed');
  }

  switch (r.strategy.kind) {
    case 'allAtOnce':
    case 'blueGreen': {
      const strategy = r.strategy;
      const analysis = async (
        templates: readonly string[] | undefined,
        when: string,
      ): Promise<RolloutOutcome> => {
        if (templates === undefined || templates.length === 0) return { ok: true };
        if (deps.analyze === undefined)
          return { ok: false, reason: `${when} analysis needs metric providers, and none are configured` };
        progress(`${when} analysis: ${templates.join(', ')}`);
        const outcome = await deps.analyze({
          templates,
          rollout: r,
          signal: control.abortSignal,
          background: false,
          onProgress: progress,
        });
        return outcome.ok ? outcome : { ok: false, reason: `${when} analysis failed: ${outcome.reason}` };
      };
      const pre = await analysis(
        strategy.kind === 'blueGreen' ? strategy.prePromotionAnalysis?.templates : undefined,
        'pre-promotion',
      );
      if (!pre.ok) return fail(pre.reason);
      await deps.records.setPhase(r.deploymentId, 'switching');
      await switchTraffic(deps, r, [{ revision: r.revision, weight: 100 }]);
      progress(`✔ traffic switched to ${r.revision} on http://${r.host}`);
      const post = await analysis(
        strategy.kind === 'blueGreen' ? strategy.postPromotionAnalysis?.templates : undefined,
        'post-promotion',
      );
      if (!post.ok) return fail(post.reason);
      await promote(deps, r, r.keepWarmMs);
      if (r.stable !== undefined) {
        progress(
          r.keepWarmMs > 0
            ? `${r.stable} stays warm for instant rollback for ${Math.round(r.keepWarmMs / 1000)}s`
            : `stopping ${r.stable}`,
        );
      }
      if (r.keepWarmMs === 0) await retireDue(deps);
      return { ok: true };
    }
    case 'canary':
      return runCanary(deps, r, r.strategy, control, progress);
  }
}

/** Persists the desired route, then applies it to the router with each revision's live instances. */
export async function switchTraffic(
  deps: Deps,
  r: Pick<Rollout, 'host' | 'service' | 'environment' | 'serviceId' | 'environmentId'>,
  backends: StoredTarget['backends'],
  extra: Omit<StoredTarget, 'backends' | 'service' | 'environment'> = {},
): Promise<void> {
  const target: StoredTarget = { service: r.service, environment: r.environment, backends, ...extra };
  // Never send traffic to a revision with nothing healthy to answer it (a crash just before the switch).
  for (const b of backends) {
    if (b.weight > 0 && (await deps.runtime.instances(b.revision)).length === 0) {
      throw new FlowlineError(
        'FLOWLINE_DEPLOY_FAILED',
        `${b.revision} has no healthy instance to take ${b.weight}% of traffic.`,
        {
          hint: 'Its instances crashed or turned unhealthy; see the instance logs under .flowline/logs/instances.',
        },
      );
    }
  }
  await deps.records.saveRoute(r.host, { serviceId: r.serviceId, environmentId: r.environmentId }, target);
  await applyRoute(deps, r.host, target);
}

/** Applies a stored route to the router (also used to rebuild routes after a restart). */
export async function applyRoute(
  deps: Pick<Deps, 'runtime' | 'router'>,
  host: string,
  target: StoredTarget,
): Promise<void> {
  const backends: Backend[] = [];
  for (const b of target.backends) {
    backends.push({
      revision: b.revision,
      weight: b.weight,
      instances: await deps.runtime.instances(b.revision),
    });
  }
  deps.router.setRoute(host, { ...target, backends });
}

/** The new revision is live; the old one is kept warm until `keepWarmMs` from now, then retired. */
export async function promote(
  deps: Deps,
  r: Pick<Rollout, 'deploymentId' | 'revision' | 'stable'>,
  keepWarmMs: number,
): Promise<void> {
  const now = deps.clock.now();
  await deps.records.setRevisionState(r.revision, 'live');
  if (r.stable !== undefined) {
    await deps.records.setRevisionState(r.stable, 'warm', new Date(now.getTime() + keepWarmMs).toISOString());
  }
  await deps.records.setPhase(r.deploymentId, 'done', { status: 'succeeded' });
}

/** Gives up on a deployment: traffic back to stable, the new revision stopped, the reason recorded. */
export async function abandon(
  deps: Deps,
  r: Pick<
    Rollout,
    | 'deploymentId'
    | 'revision'
    | 'stable'
    | 'host'
    | 'service'
    | 'environment'
    | 'serviceId'
    | 'environmentId'
  >,
  reason: string,
): Promise<void> {
  await deps.records.setPhase(r.deploymentId, 'failed', { status: 'failed', reason });
  const route = await deps.records.route(r.host);
  if (route?.backends.some((b) => b.revision === r.revision) && r.stable !== undefined) {
    // Back to stable even if it is momentarily unhealthy: the router answers 503 until it recovers,
    // which beats sending users to the revision we are giving up on.
    const target: StoredTarget = {
      service: route.service,
      environment: route.environment,
      backends: [{ revision: r.stable, weight: 100 }],
    };
    await deps.records.saveRoute(r.host, { serviceId: r.serviceId, environmentId: r.environmentId }, target);
    await applyRoute(deps, r.host, target);
  }
  await deps.records.setRevisionState(r.revision, 'failed');
  await deps.runtime.stop(r.revision).catch(() => {});
}

/**
 * Retires warm revisions whose time is up: drain their in-flight requests at the router, then
 * stop their instances. Safe to call at any time (the daemon calls it every second).
 */
export async function retireDue(
  deps: Pick<Deps, 'records' | 'runtime' | 'router' | 'clock'>,
): Promise<string[]> {
  const now = deps.clock.now().toISOString();
  const due = (await deps.records.revisions({ states: ['warm'] })).filter(
    (r) => r.stopAt !== null && r.stopAt <= now,
  );
  for (const revision of due) {
    await deps.records.setRevisionState(revision.revision, 'retired');
    const instances = await deps.runtime.instances(revision.revision);
    await deps.router.drain(instances.map((i) => i.id));
    await deps.runtime.stop(revision.revision);
  }
  return due.map((r) => r.revision);
}
