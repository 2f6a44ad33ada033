import { FlowlineError } from '../core/errors.js';
import { counted } from '../core/plural.js';
import { baselineRevision, resumeBaseline, startBaseline, wantsFreshBaseline } from './baseline.js';
import { runCanary } from './canary.js';
import { withinDeadline } from './deadline.js';
import type {
  AnalyzeOutcome,
  DeployControllerDeps,
  FailureCause,
  ReleaseProgress,
  ResumePoint,
  Rollout,
  RolloutOutcome,
} from './deps.js';
import type { InstanceRef } from './ports.js';
import { holdInconclusive, type ReleaseControl } from './release-control.js';
import { runSmokeChecks } from './smoke.js';
import { abandon, promote, retireDue, switchTraffic } from './traffic.js';

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime' | 'router' | 'clock' | 'urlFor' | 'incidents'>;
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
  progress: ReleaseProgress,
  resumeAt?: ResumePoint,
): Promise<RolloutOutcome> {
  try {
    if (resumeAt === undefined) return await drive(deps, r, control, progress);
    // Measured from the restart: the router's figures of before it are gone.
    if (resumeAt === 'postAnalysis') return await afterSwitch(deps, r, control, progress, undefined);
    if (r.strategy.kind !== 'canary') {
      throw new FlowlineError(
        'FLOWLINE_INTERNAL',
        `Only a canary carries on after a restart, not a ${r.strategy.kind} deployment.`,
      );
    }
    const resumed = await resumeBaseline(deps, r, resumeAt.step, progress);
    return await runCanary(deps, resumed, r.strategy, control, progress, resumeAt);
  } catch (error) {
    // Whatever broke mid-way, the deployment must end defined: traffic back on stable, reason kept,
    // the fresh baseline stopped if the release had one (its name follows from the plan).
    const reason = error instanceof Error ? error.message : String(error);
    control.abort(reason);
    const baseline =
      r.stable !== undefined && wantsFreshBaseline(r, r.analysisTemplates)
        ? baselineRevision(r.stable)
        : undefined;
    await abandon(deps, { ...r, baseline }, reason, control.abortCause);
    progress(`✘ ${reason}`);
    return { ok: false, reason };
  }
}

async function drive(
  deps: RolloutDeps,
  planned: Rollout,
  control: ReleaseControl,
  progress: ReleaseProgress,
): Promise<RolloutOutcome> {
  // Gains its fresh baseline once that started: a failure from then on stops it too.
  let r = planned;
  const fail = async (reason: string, cause: FailureCause = 'automatic'): Promise<RolloutOutcome> => {
    await abandon(deps, r, reason, control.abortCause ?? cause);
    progress(`✘ ${reason}`);
    return { ok: false, reason };
  };

  progress(`starting ${counted(r.spec.instances, 'instance')} of ${r.revision}`);
  // A judged canary's fresh baseline starts at the same time, so both are equally cold.
  const baseline = wantsFreshBaseline(r, r.analysisTemplates)
    ? startBaseline(deps, r, progress).catch((error: unknown) => error as Error)
    : undefined;
  let instances: readonly InstanceRef[] = [];
  let failed: Error | undefined;
  try {
    instances = await deps.runtime.start(r.spec, progress);
  } catch (error) {
    failed = error as Error;
  }
  const fresh = await baseline;
  if (fresh instanceof Error) {
    // A measurement aid, not part of the release: without it the judge compares with the stable instances.
    progress(
      `the fresh baseline did not start (${fresh.message}); the judge compares ${r.revision} with the running ${r.stable} instead`,
    );
  } else if (fresh !== undefined) {
    r = { ...r, baseline: fresh.revision };
    progress(`✔ fresh baseline ${fresh.revision} healthy: ${fresh.instances.map((i) => i.url).join(' ')}`);
  }
  if (failed !== undefined) return fail(failed.message);
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
      const pre = await analysis(
        deps,
        r,
        control,
        progress,
        strategy.kind === 'blueGreen' ? strategy.prePromotionAnalysis?.templates : undefined,
        'pre-promotion',
        undefined,
      );
      if (control.aborted !== undefined) return fail(control.aborted);
      if (!pre.ok && pre.inconclusive !== true) return fail(pre.reason, 'analysis');
      if (!pre.ok) {
        // Nothing has changed for users yet: the new stack waits beside the old one.
        holdInconclusive(
          control,
          { progress, announce: deps.announce },
          {
            at: `pre-promotion analysis, before the switch (${r.stable ?? 'nothing'} serves)`,
            environment: r.environment,
            reason: pre.reason,
            promote: `switches traffic to ${r.revision}`,
            abort: `stops ${r.revision}`,
          },
        );
        if ((await control.whilePaused(deps.sleep)) === 'aborted') return fail(control.aborted ?? 'aborted');
      }
      await deps.records.setPhase(r.deploymentId, 'switching');
      await switchTraffic(deps, r, [{ revision: r.revision, weight: 100 }]);
      const switchedAt = deps.clock.now();
      progress(`✔ traffic switched to ${r.revision} on ${deps.urlFor(r.host)}`);
      return afterSwitch(deps, r, control, progress, switchedAt);
    }
    case 'canary':
      return runCanary(deps, r, r.strategy, control, progress);
  }
}

/**
 * After the switch: the post-promotion analysis, then promotion. The phase `analysis` is
 * recorded first, so a restart during the analysis runs it again (recovery.ts) instead of taking
 * an unchecked revision for a good one. An inconclusive analysis holds the release with traffic
 * on the new revision and the old one still running (not yet warm, so not retired): promote
 * finishes the release, abort switches back.
 */
async function afterSwitch(
  deps: RolloutDeps,
  r: Rollout,
  control: ReleaseControl,
  progress: ReleaseProgress,
  switchedAt: Date | undefined,
): Promise<RolloutOutcome> {
  const templates = r.strategy.kind === 'blueGreen' ? r.strategy.postPromotionAnalysis?.templates : undefined;
  if (templates !== undefined && templates.length > 0) {
    await deps.records.setPhase(r.deploymentId, 'analysis');
    const post = await analysis(deps, r, control, progress, templates, 'post-promotion', switchedAt);
    const giveUp = async (reason: string, cause: FailureCause = 'automatic'): Promise<RolloutOutcome> => {
      await abandon(deps, r, reason, control.abortCause ?? cause);
      progress(`✘ ${reason}`);
      return { ok: false, reason };
    };
    if (control.aborted !== undefined) return giveUp(control.aborted);
    if (!post.ok && post.inconclusive !== true) return giveUp(post.reason, 'analysis');
    if (!post.ok) {
      holdInconclusive(
        control,
        { progress, announce: deps.announce },
        {
          at: `post-promotion analysis, after the switch (${r.revision} serves)`,
          environment: r.environment,
          reason: post.reason,
          promote: 'finishes the release',
          abort: r.stable === undefined ? `stops ${r.revision}` : `switches traffic back to ${r.stable}`,
        },
      );
      if ((await control.whilePaused(deps.sleep)) === 'aborted') return giveUp(control.aborted ?? 'aborted');
    }
  }
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

async function analysis(
  deps: RolloutDeps,
  r: Rollout,
  control: ReleaseControl,
  progress: ReleaseProgress,
  templates: readonly string[] | undefined,
  when: string,
  since: Date | undefined,
): Promise<AnalyzeOutcome> {
  if (templates === undefined || templates.length === 0) return { ok: true };
  if (deps.analyze === undefined)
    return { ok: false, reason: `${when} analysis needs metric providers, and none are configured` };
  progress(`${when} analysis: ${templates.join(', ')}`);
  const analyze = deps.analyze;
  const outcome = await withinDeadline(deps, control, r.progressDeadlineMs, `${when} analysis`, () =>
    analyze({
      templates,
      rollout: r,
      signal: control.abortSignal,
      background: false,
      since,
      onProgress: progress,
    }),
  );
  if (outcome.ok || outcome.inconclusive === true) return outcome;
  return { ok: false, reason: `${when} analysis failed: ${outcome.reason}` };
}
