import type { CanaryStrategy } from '../config/index.js';
import { others, splitAt } from './baseline.js';
import { withinDeadline } from './deadline.js';
import type {
  Analyze,
  AnalyzeOutcome,
  CanaryResumePoint,
  DeployControllerDeps,
  FailureCause,
  ReleaseProgress,
  Rollout,
  RolloutOutcome,
} from './deps.js';
import { holdInconclusive, type ReleaseControl } from './release-control.js';
import { abandon, promote, switchTraffic } from './traffic.js';

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime' | 'router' | 'clock' | 'incidents'> & {
  readonly analyze?: Analyze | undefined;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Announces release events (`release.step.completed`, `release.paused`) on the event bus. */
  readonly announce?: ((type: string, message: string) => void) | undefined;
};

/** Background analysis under way: stopped when the steps are done, then judged as it stands. */
interface Background {
  readonly stop: AbortController;
  readonly done: Promise<AnalyzeOutcome>;
  /** It ended by itself (failed, or inconclusive and held the release): its verdict was acted on. */
  ended: boolean;
}

/**
 * A canary release, step by step as in Argo Rollouts: `setWeight` shifts traffic, `pause` waits
 * (for a duration, or until promoted), `analysis` measures and may fail the release. Background
 * analysis runs alongside from `startingStep`. Any failure or an abort sends all traffic back to
 * the stable revision at once and stops the canary. An analysis that ends Inconclusive (a step's,
 * or the background's) holds the release where it is, traffic unchanged, until promoted (carry on;
 * background analysis then measures again) or aborted (roll back). With `from`, steps before it are
 * taken as done (a restarted Flowline carrying the release on, see recovery.ts).
 */
export async function runCanary(
  deps: Deps,
  r: Rollout,
  strategy: CanaryStrategy,
  control: ReleaseControl,
  progress: ReleaseProgress,
  from: CanaryResumePoint = { step: 0, weight: 0 },
): Promise<RolloutOutcome> {
  const { stable } = r;
  if (stable === undefined) {
    progress('first release here: no stable revision to compare with, so it takes all traffic at once');
    await deps.records.setPhase(r.deploymentId, 'switching');
    await switchTraffic(deps, r, [{ revision: r.revision, weight: 100 }]);
    await promote(deps, r, 0);
    return { ok: true };
  }
  const routing = strategy.trafficRouting;
  const pinned = routing.header !== undefined || routing.cookie !== undefined;
  const match = pinned
    ? {
        match: {
          revision: r.revision,
          ...(routing.header === undefined ? {} : { header: routing.header }),
          ...(routing.cookie === undefined ? {} : { cookie: routing.cookie }),
        },
      }
    : {};
  const servesTraffic = (weight: number) => weight > 0 || pinned;
  // When the canary began to take traffic: analysis windows reach back to it, so a first measurement
  // sees what it served since, not only what came after the analysis began. A release carried on
  // after a restart counts from the restart (the router's figures started again then).
  let since = from.step > 0 && servesTraffic(from.weight) ? deps.clock.now() : undefined;
  // A fresh baseline for the judge (baseline.ts) takes the canary's share from stable at each weight.
  const setWeight = async (weight: number) => {
    const backends = await splitAt(
      deps,
      { stable, canary: r.revision, baseline: r.baseline },
      weight,
      progress,
    );
    await switchTraffic(deps, r, backends, { ...match, sticky: routing.sticky });
    if (since === undefined && servesTraffic(weight)) since = deps.clock.now();
    return backends;
  };
  // Carried on after a restart with a fresh baseline (adopted or started again, see rollout.ts): it
  // takes its share back, which the restart gave to stable if it had died.
  if (r.baseline !== undefined && from.step > 0) await setWeight(from.weight);
  // Why it failed: an abort says who aborted (a person, background analysis); else as the caller says.
  const fail = async (reason: string, cause?: FailureCause): Promise<RolloutOutcome> => {
    control.abort(reason, cause);
    await abandon(deps, r, reason, control.abortCause);
    progress(`✘ ${reason}; all traffic is back on ${stable}`);
    return { ok: false, reason };
  };
  let weight = from.weight;
  const hold = (at: string, reason: string) =>
    holdInconclusive(
      control,
      { progress, announce: deps.announce },
      {
        at: `${at} (${weight}% on ${r.revision})`,
        environment: r.environment,
        reason,
        promote: 'carries on',
        abort: `sends all traffic back to ${stable}`,
      },
    );

  let background: Background | undefined;
  const backgroundFrom = (index: number) => {
    if (background !== undefined || strategy.analysis === undefined) return;
    if (index < strategy.analysis.startingStep) return;
    background = startBackground(deps, r, strategy.analysis.templates, since, control, progress, hold);
  };
  const steps = strategy.steps;
  for (const [index, step] of steps.entries()) {
    if (index < from.step) continue;
    if (control.aborted !== undefined) return fail(control.aborted);
    if (control.takeFullPromotion()) break;
    // A person's pause, or a hold by an inconclusive background analysis, stops before the next step.
    if ((await control.whilePaused(deps.sleep)) === 'aborted') return fail(control.aborted ?? 'aborted');
    if (control.takeFullPromotion()) break;
    // Promoted past an inconclusive background analysis: it measures again from here.
    if (background?.ended) background = undefined;
    const label = `step ${index + 1}/${steps.length}`;
    await deps.records.setPhase(r.deploymentId, `step:${index}`, { state: { step: index, weight } });
    // Background analysis starting at a setWeight step measures once that weight is set.
    if (step.kind !== 'setWeight') backgroundFrom(index);
    switch (step.kind) {
      case 'setWeight': {
        weight = step.weight;
        const split = await withinDeadline(deps, control, r.progressDeadlineMs, label, () =>
          setWeight(weight),
        );
        if (control.aborted !== undefined) return fail(control.aborted);
        progress(`${label}: setWeight ${weight}% → ${r.revision} (${others(split, r.revision)})`);
        backgroundFrom(index);
        break;
      }
      case 'pause': {
        deps.announce?.('release.paused', `${label}: paused at ${weight}%`);
        progress(
          `${label}: pause ${step.duration === undefined ? 'until promoted (flowline release promote)' : `${Math.round(step.duration / 1000)}s`}`,
        );
        const woke = await control.wait(step.duration, deps.sleep);
        if (woke === 'aborted') return fail(control.aborted ?? 'aborted');
        if (woke === 'promoted') progress(`${label}: promoted`);
        break;
      }
      case 'analysis': {
        if (deps.analyze === undefined)
          return fail('analysis steps need metric providers, and none are configured');
        progress(`${label}: analysis ${step.templates.join(', ')}`);
        const analyze = deps.analyze;
        const outcome = await withinDeadline(deps, control, r.progressDeadlineMs, `${label}: analysis`, () =>
          analyze({
            templates: step.templates,
            rollout: r,
            signal: control.abortSignal,
            background: false,
            since,
            onProgress: progress,
          }),
        );
        if (control.aborted !== undefined) return fail(control.aborted);
        if (outcome.ok) {
          progress(`${label}: analysis passed`);
          break;
        }
        if (outcome.inconclusive !== true) return fail(outcome.reason, 'analysis');
        hold(label, outcome.reason);
        if ((await control.whilePaused(deps.sleep)) === 'aborted') return fail(control.aborted ?? 'aborted');
        progress(`${label}: promoted past the inconclusive analysis`);
        break;
      }
      case 'setCanaryScale':
        progress(
          `${label}: setCanaryScale is not supported by the local process runtime (the canary keeps its instances); skipped`,
        );
        break;
    }
    deps.announce?.(
      'release.step.completed',
      `${label} (${step.kind}) completed at ${weight}% on ${r.revision}`,
    );
  }
  if (control.aborted !== undefined) return fail(control.aborted);

  // The steps are done: background analysis is judged as it stands. One that never measured
  // anything holds the release, unless a person promoted it fully.
  const full = control.takeFullPromotion();
  const running = background as Background | undefined;
  if (running !== undefined && !running.ended) {
    running.stop.abort();
    const outcome = await running.done;
    if (control.aborted !== undefined) return fail(control.aborted);
    if (!outcome.ok && outcome.inconclusive !== true) return fail(outcome.reason, 'analysis');
    if (!outcome.ok && !full) hold(`after step ${steps.length}/${steps.length}`, outcome.reason);
  }
  if ((await control.whilePaused(deps.sleep)) === 'aborted') return fail(control.aborted ?? 'aborted');

  await deps.records.setPhase(r.deploymentId, 'switching');
  await switchTraffic(deps, r, [{ revision: r.revision, weight: 100 }]);
  progress(`✔ promoted: ${r.revision} takes all traffic`);
  await promote(deps, r, r.keepWarmMs);
  return { ok: true };
}

/**
 * Background analysis: a failure aborts the release at once, wherever it is; an inconclusive end
 * holds it (`hold`). Stopped by the release, it is judged by the caller instead.
 */
function startBackground(
  deps: Deps,
  r: Rollout,
  templates: readonly string[],
  since: Date | undefined,
  control: ReleaseControl,
  progress: ReleaseProgress,
  hold: (at: string, reason: string) => void,
): Background | undefined {
  if (deps.analyze === undefined) {
    control.abort('background analysis needs metric providers, and none are configured');
    return undefined;
  }
  progress(`background analysis: ${templates.join(', ')}`);
  const stop = new AbortController();
  const done = deps
    .analyze({
      templates,
      rollout: r,
      signal: AbortSignal.any([control.abortSignal, stop.signal]),
      background: true,
      since,
      onProgress: progress,
    })
    .catch(
      (error: unknown): AnalyzeOutcome => ({
        ok: false,
        reason: error instanceof Error ? error.message : String(error),
      }),
    );
  const background: Background = { stop, done, ended: false };
  void done.then((outcome) => {
    if (stop.signal.aborted || control.aborted !== undefined || outcome.ok) return;
    background.ended = true;
    if (outcome.inconclusive === true) hold('background analysis', outcome.reason);
    else control.abort(outcome.reason, 'analysis');
  });
  return background;
}
