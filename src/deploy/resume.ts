import type { CanaryStep } from '../config/index.js';
import { counted } from '../core/plural.js';
import { DEFAULT_PROGRESS_DEADLINE_MS } from './deadline.js';
import type { DeployControllerDeps, ResumePoint, Rollout } from './deps.js';
import type { UnfinishedDeployment } from './records.js';

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime'>;

/** A release that a restart interrupted and that can carry on: a canary at its step, or an analysis after a switch. */
export interface ResumableRelease {
  readonly rollout: Rollout;
  readonly from: ResumePoint;
  /** The journal line saying where it resumed and what starts again. */
  readonly note: string;
  /** A person had paused it before the restart: it stays paused until resumed. */
  readonly paused: boolean;
}

/**
 * Whether a canary interrupted at phase `step:N` can carry on after a restart, and how. It can
 * when all hold: its plan (strategy, analysis templates) and its revision's spec were recorded,
 * N is one of its steps, every instance its spec asks for was adopted healthy, and the stable
 * revision has a healthy instance. Otherwise `why` says what was missing: the caller fails safe.
 */
export async function resumableCanary(
  deps: Deps,
  d: UnfinishedDeployment,
  host: string,
): Promise<
  { readonly ok: true; readonly release: ResumableRelease } | { readonly ok: false; readonly why: string }
> {
  const no = (why: string) => ({ ok: false, why }) as const;
  const index = Number(/^step:(\d+)$/.exec(d.phase ?? '')?.[1] ?? Number.NaN);
  const strategy = d.plan?.strategy;
  if (strategy === undefined) return no('its strategy was not recorded (started by an older Flowline)');
  if (strategy.kind !== 'canary') return no(`its recorded strategy is ${strategy.kind}, not a canary`);
  const step = strategy.steps[index];
  if (!Number.isInteger(index) || step === undefined)
    return no(`${d.phase ?? 'its phase'} is not one of its ${counted(strategy.steps.length, 'step')}`);
  if (d.revision === null || d.previousRevision === null)
    return no('it has no stable revision to go on from');
  const revision = await deps.records.revision(d.revision);
  if (revision === undefined) return no(`the spec of ${d.revision} was not recorded`);
  const unhealthy = await shortOfInstances(deps, d.revision, revision.spec.instances);
  if (unhealthy !== undefined) return no(unhealthy);
  if ((await deps.runtime.instances(d.previousRevision)).length === 0)
    return no(`the stable ${d.previousRevision} had no healthy instance after the restart`);

  const stored = Number(d.state.weight ?? 0);
  const weight = Number.isFinite(stored) && stored >= 0 && stored <= 100 ? stored : 0;
  const rollout = rolloutOf(d, host, revision.spec, strategy, d.previousRevision);
  const background =
    strategy.analysis !== undefined && index >= strategy.analysis.startingStep
      ? '; background analysis starts again'
      : '';
  const fresh =
    rollout.baseline === undefined
      ? ''
      : `; its fresh baseline ${rollout.baseline} is adopted or started again`;
  const note = `resumed after a restart at step ${index + 1}/${strategy.steps.length} (${step.kind}, ${weight}% on ${d.revision})${again(step)}${background}${fresh}`;
  return {
    ok: true,
    release: { rollout, from: { step: index, weight }, note, paused: d.state.paused === true },
  };
}

/**
 * Whether a blue-green deployment interrupted during its post-promotion analysis (phase
 * `analysis`: traffic already switched, the verdict not yet in) can run that analysis again: its
 * plan and its revision's spec were recorded and every instance of the revision was adopted
 * healthy. Otherwise `why` says what was missing, and the caller fails safe.
 */
export async function resumableAnalysis(
  deps: Deps,
  d: UnfinishedDeployment,
  host: string,
): Promise<
  { readonly ok: true; readonly release: ResumableRelease } | { readonly ok: false; readonly why: string }
> {
  const no = (why: string) => ({ ok: false, why }) as const;
  const strategy = d.plan?.strategy;
  if (strategy === undefined) return no('its strategy was not recorded (started by an older Flowline)');
  const templates = strategy.kind === 'blueGreen' ? strategy.postPromotionAnalysis?.templates : undefined;
  if (templates === undefined || templates.length === 0)
    return no(`its recorded ${strategy.kind} strategy has no post-promotion analysis`);
  if (d.revision === null) return no('its revision was not recorded');
  const revision = await deps.records.revision(d.revision);
  if (revision === undefined) return no(`the spec of ${d.revision} was not recorded`);
  const unhealthy = await shortOfInstances(deps, d.revision, revision.spec.instances);
  if (unhealthy !== undefined) return no(unhealthy);
  const rollout = rolloutOf(d, host, revision.spec, strategy, d.previousRevision ?? undefined);
  const note = `the post-promotion analysis (${templates.join(', ')}) was interrupted by a restart: it runs again from its beginning, and ${d.revision} is promoted only if it passes`;
  return { ok: true, release: { rollout, from: 'postAnalysis', note, paused: d.state.paused === true } };
}

/** Why a revision cannot carry on: fewer healthy instances after the restart than its spec asks. */
async function shortOfInstances(deps: Deps, revision: string, wanted: number): Promise<string | undefined> {
  const healthy = (await deps.runtime.instances(revision)).length;
  return healthy < wanted
    ? `${healthy} of the ${counted(wanted, 'instance')} of ${revision} were healthy after the restart`
    : undefined;
}

/** The rollout an interrupted deployment carries on as; smoke checks passed before it was. */
function rolloutOf(
  d: UnfinishedDeployment,
  host: string,
  spec: Rollout['spec'],
  strategy: Rollout['strategy'],
  stable: string | undefined,
): Rollout {
  // Named in the state before it was started (baseline.ts); a canary's only.
  const baseline =
    strategy.kind === 'canary' && typeof d.state.baseline === 'string' ? d.state.baseline : undefined;
  return {
    ...(baseline === undefined ? {} : { baseline }),
    deploymentId: d.id,
    service: d.service,
    environment: d.environment,
    serviceId: d.serviceId,
    environmentId: d.environmentId,
    host,
    revision: d.revision ?? '',
    spec,
    stable,
    strategy,
    smoke: [],
    keepWarmMs: Number(d.state.keepWarmMs ?? 0),
    progressDeadlineMs: Number(d.state.progressDeadlineMs ?? DEFAULT_PROGRESS_DEADLINE_MS),
    analysisTemplates: d.plan?.analysisTemplates ?? {},
    startedAt: new Date(d.startedAt),
  };
}

/** What an interrupted step does when it runs again: the journal says so. */
function again(step: CanaryStep): string {
  switch (step.kind) {
    case 'pause':
      return step.duration === undefined
        ? ': still paused until promoted'
        : `: the interrupted pause starts again from its beginning (${Math.round(step.duration / 1000)}s)`;
    case 'analysis':
      return `: the interrupted analysis (${step.templates.join(', ')}) starts again from its beginning`;
    case 'setWeight':
      return `: the step is applied again (${step.weight}%)`;
    case 'setCanaryScale':
      return '';
  }
}
