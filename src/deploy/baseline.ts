import type { AnalysisTemplate, CanaryStrategy, Strategy } from '../config/index.js';
import type { DeployControllerDeps, ReleaseProgress, Rollout } from './deps.js';
import type { InstanceRef } from './ports.js';
import type { StoredTarget } from './records.js';

/**
 * The fresh baseline of a canary judged statistically (Kayenta's baseline, Argo Rollouts'
 * Experiment): a new instance of the stable revision's artifact, started with the canary and given
 * the same share of traffic, so that the judge compares two equally cold processes. Against the
 * warm stable instance a cold canary of identical code looked slower on a loaded machine (7–15
 * false fails in 100 at load 16; docs/benchmarks.md "Judge").
 *
 * It is a revision of its own to the runtime and the router (`<stable>.baseline`), so its golden
 * signals are not mixed with the stable instances'. It is never recorded as a revision of the
 * environment (it is no version users get to keep); the deployment's state names it before it is
 * started (`state.baseline`), and it is stopped whenever the release ends: promote and abandon
 * (traffic.ts) stop it, and a restart adopts it for a resumed canary or stops it (recovery.ts).
 */

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime' | 'router'>;

const SUFFIX = '.baseline';

/** The revision name of the fresh baseline of `stable`. Real revision names have no dot (plan.ts). */
export function baselineRevision(stable: string): string {
  return `${stable}${SUFFIX}`;
}

/** Whether a revision name is a fresh baseline's. */
export function isBaselineRevision(revision: string): boolean {
  return revision.endsWith(SUFFIX);
}

/** The templates a canary runs: its analysis steps' and its background analysis'. */
function canaryTemplates(strategy: CanaryStrategy): string[] {
  const names = strategy.steps.flatMap((step) => (step.kind === 'analysis' ? step.templates : []));
  return [...names, ...(strategy.analysis?.templates ?? [])];
}

/**
 * Whether a release starts a fresh baseline: a canary with a stable revision to copy, whose
 * analyses compare it with a baseline statistically (a `judge` metric), unless `baseline: stable`.
 * Threshold-only analyses keep the two-way split.
 */
export function wantsFreshBaseline(
  r: Pick<Rollout, 'stable'> & { readonly strategy: Strategy },
  templates: Readonly<Record<string, AnalysisTemplate>>,
): boolean {
  const { strategy } = r;
  if (r.stable === undefined || strategy.kind !== 'canary' || strategy.baseline === 'stable') return false;
  return canaryTemplates(strategy).some((name) =>
    templates[name]?.metrics.some((m) => m.provider.kind === 'judge'),
  );
}

/** The share of traffic the baseline gets at a canary weight: the canary's, capped so stable never goes below 0. */
export function baselineWeight(weight: number): number {
  return Math.max(0, Math.min(weight, 100 - weight));
}

/**
 * The route's backends at a canary weight: stable, baseline, canary, in that order (a sticky user's
 * band only ever moves into the canary, whose band is last; moving between stable and baseline
 * moves between two copies of the same code). Without a baseline (or one with no healthy
 * instance), the two-way split; the baseline's share then stays on stable.
 */
export function canarySplit(
  revisions: { readonly stable: string; readonly canary: string; readonly baseline?: string | undefined },
  weight: number,
): StoredTarget['backends'] {
  const canary = { revision: revisions.canary, weight };
  if (revisions.baseline === undefined) return [{ revision: revisions.stable, weight: 100 - weight }, canary];
  const share = baselineWeight(weight);
  return [
    { revision: revisions.stable, weight: round(100 - weight - share) },
    { revision: revisions.baseline, weight: share },
    canary,
  ];
}

/** Weights have at most two decimals (the router's rule); their difference must too. */
function round(weight: number): number {
  return Math.round(weight * 100) / 100;
}

/**
 * Starts the fresh baseline of `r.stable` with as many instances as the canary (each side then
 * answers the same load per instance), after naming it in the deployment's state so a restart
 * knows it. Resolves with its name once healthy; on failure stops it and rejects, as a canary's
 * start does.
 */
export async function startBaseline(
  deps: Deps,
  r: Pick<Rollout, 'deploymentId' | 'stable' | 'spec'>,
  progress: ReleaseProgress,
  /** The deployment's phase now, kept as it is: `starting`, or `step:N` when a resumed canary starts it again. */
  phase = 'starting',
): Promise<{ readonly revision: string; readonly instances: readonly InstanceRef[] }> {
  const stable = r.stable;
  const recorded = stable === undefined ? undefined : await deps.records.revision(stable);
  if (stable === undefined || recorded === undefined)
    throw new Error(`the spec of the stable revision ${stable ?? '(none)'} was not recorded`);
  const revision = baselineRevision(stable);
  await deps.records.setPhase(r.deploymentId, phase, { state: { baseline: revision } });
  progress(`starting a fresh baseline of ${stable} for the judge: ${revision}`);
  try {
    const instances = await deps.runtime.start(
      { ...recorded.spec, revision, instances: r.spec.instances },
      progress,
    );
    return { revision, instances };
  } catch (error) {
    // The release goes on without it: a restart must not bring it back.
    await deps.runtime.stop(revision).catch(() => {});
    await deps.records.setPhase(r.deploymentId, phase, { state: { baseline: null } });
    throw error;
  }
}

/**
 * Stops a release's fresh baseline, if it has one: its in-flight requests finish first. Called
 * once the route no longer sends it traffic.
 */
export async function stopBaseline(deps: Deps, revision: string | undefined): Promise<void> {
  if (revision === undefined) return;
  const instances = await deps.runtime.instances(revision);
  if (instances.length > 0) await deps.router.drain(instances.map((i) => i.id)).catch(() => {});
  await deps.runtime.stop(revision).catch(() => {});
}

/**
 * The backends at a canary weight, as `canarySplit`, with the baseline left out when it has no
 * healthy instance to take its share (a crash): never route to a dead baseline.
 */
export async function splitAt(
  deps: Pick<Deps, 'runtime'>,
  revisions: { readonly stable: string; readonly canary: string; readonly baseline?: string | undefined },
  weight: number,
  progress: ReleaseProgress,
): Promise<StoredTarget['backends']> {
  const { baseline } = revisions;
  if (baseline !== undefined && baselineWeight(weight) > 0) {
    if ((await deps.runtime.instances(baseline)).length === 0) {
      progress(
        `the fresh baseline ${baseline} has no healthy instance: its share stays on ${revisions.stable}`,
      );
      return canarySplit({ stable: revisions.stable, canary: revisions.canary }, weight);
    }
  }
  return canarySplit(revisions, weight);
}

/** What the rest of the traffic goes to, for a progress line: `fresh baseline X 20%, stable Y 60%`. */
export function others(backends: StoredTarget['backends'], canary: string): string {
  return backends
    .filter((b) => b.revision !== canary)
    .map((b) => `${isBaselineRevision(b.revision) ? 'fresh baseline' : 'stable'} ${b.revision} ${b.weight}%`)
    .join(', ');
}

/**
 * A canary carried on after a restart with its fresh baseline: adopted when it still runs healthy,
 * else started again; when that fails, the release goes on without it (the judge then compares
 * with the stable instances) and says so.
 */
export async function resumeBaseline(
  deps: Deps,
  r: Rollout,
  step: number,
  progress: ReleaseProgress,
): Promise<Rollout> {
  const { baseline } = r;
  if (baseline === undefined) return r;
  const running = await deps.runtime.instances(baseline);
  if (running.length >= r.spec.instances) {
    progress(`fresh baseline ${baseline} adopted after the restart (${running.length} healthy)`);
    return r;
  }
  await deps.runtime.stop(baseline).catch(() => {});
  try {
    await startBaseline(deps, r, progress, `step:${step}`);
    progress(`✔ fresh baseline ${baseline} started again after the restart`);
    return r;
  } catch (error) {
    progress(
      `the fresh baseline did not start again (${(error as Error).message}); the judge compares ${r.revision} with the running ${r.stable} instead`,
    );
    const { baseline: _, ...without } = r;
    return without;
  }
}
