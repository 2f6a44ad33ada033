import type { CanaryStrategy } from '../config/index.js';
import type {
  Analyze,
  CanaryResumePoint,
  DeployControllerDeps,
  ReleaseProgress,
  Rollout,
  RolloutOutcome,
} from './deps.js';
import type { ReleaseControl } from './release-control.js';
import { abandon, promote, switchTraffic } from './traffic.js';

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime' | 'router' | 'clock'> & {
  readonly analyze?: Analyze | undefined;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Announces release events (`release.step.completed`, `release.paused`) on the event bus. */
  readonly announce?: ((type: string, message: string) => void) | undefined;
};

/**
 * A canary release, step by step as in Argo Rollouts: `setWeight` shifts traffic, `pause` waits
 * (for a duration, or until promoted), `analysis` measures and may fail the release. Background
 * analysis runs alongside from `startingStep`. Any failure or an abort sends all traffic back to
 * the stable revision at once and stops the canary. With `from`, steps before it are taken as
 * done (a restarted Flowline carrying the release on, see recovery.ts).
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
  const match =
    routing.header !== undefined || routing.cookie !== undefined
      ? {
          match: {
            revision: r.revision,
            ...(routing.header === undefined ? {} : { header: routing.header }),
            ...(routing.cookie === undefined ? {} : { cookie: routing.cookie }),
          },
        }
      : {};
  const setWeight = (weight: number) =>
    switchTraffic(
      deps,
      r,
      [
        { revision: stable, weight: 100 - weight },
        { revision: r.revision, weight },
      ],
      { ...match, sticky: routing.sticky },
    );
  const fail = async (reason: string): Promise<RolloutOutcome> => {
    control.abort(reason);
    await abandon(deps, r, reason);
    progress(`✘ ${reason}; all traffic is back on ${stable}`);
    return { ok: false, reason };
  };

  let weight = from.weight;
  let background: Promise<void> | undefined;
  const steps = strategy.steps;
  for (const [index, step] of steps.entries()) {
    if (index < from.step) continue;
    if (control.aborted !== undefined) return fail(control.aborted);
    if (control.takeFullPromotion()) break;
    const label = `step ${index + 1}/${steps.length}`;
    if (
      background === undefined &&
      strategy.analysis !== undefined &&
      index >= strategy.analysis.startingStep
    ) {
      background = startBackground(deps, r, strategy.analysis.templates, control, progress);
    }
    await deps.records.setPhase(r.deploymentId, `step:${index}`, { state: { step: index, weight } });
    switch (step.kind) {
      case 'setWeight':
        weight = step.weight;
        await setWeight(weight);
        progress(`${label}: setWeight ${weight}% → ${r.revision} (stable ${stable} ${100 - weight}%)`);
        break;
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
        const outcome = await deps.analyze({
          templates: step.templates,
          rollout: r,
          signal: control.abortSignal,
          background: false,
          onProgress: progress,
        });
        if (!outcome.ok) return fail(outcome.reason);
        progress(`${label}: analysis passed`);
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

  await deps.records.setPhase(r.deploymentId, 'switching');
  await switchTraffic(deps, r, [{ revision: r.revision, weight: 100 }]);
  control.abort('released'); // stops background analysis
  await background;
  progress(`✔ promoted: ${r.revision} takes all traffic`);
  await promote(deps, r, r.keepWarmMs);
  return { ok: true };
}

/** Background analysis: a failure aborts the release at once, wherever it is. */
function startBackground(
  deps: Deps,
  r: Rollout,
  templates: readonly string[],
  control: ReleaseControl,
  progress: ReleaseProgress,
): Promise<void> {
  if (deps.analyze === undefined) {
    control.abort('background analysis needs metric providers, and none are configured');
    return Promise.resolve();
  }
  progress(`background analysis: ${templates.join(', ')}`);
  return deps
    .analyze({ templates, rollout: r, signal: control.abortSignal, background: true, onProgress: progress })
    .then((outcome) => {
      if (!outcome.ok && control.aborted === undefined) control.abort(outcome.reason);
    });
}
