import type { CanaryStep } from '../config/index.js';
import type { CanaryResumePoint } from './canary.js';
import type { DeployControllerDeps } from './controller.js';
import type { UnfinishedDeployment } from './records.js';
import type { Rollout } from './rollout.js';

type Deps = Pick<DeployControllerDeps, 'records' | 'runtime'>;

/** A canary that a restart interrupted and that can carry on from its step. */
export interface ResumableCanary {
  readonly rollout: Rollout;
  readonly from: CanaryResumePoint;
  /** The journal line saying where it resumed and what starts again. */
  readonly note: string;
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
  { readonly ok: true; readonly canary: ResumableCanary } | { readonly ok: false; readonly why: string }
> {
  const no = (why: string) => ({ ok: false, why }) as const;
  const index = Number(/^step:(\d+)$/.exec(d.phase ?? '')?.[1] ?? Number.NaN);
  const strategy = d.plan?.strategy;
  if (strategy === undefined) return no('its strategy was not recorded (started by an older Flowline)');
  if (strategy.kind !== 'canary') return no(`its recorded strategy is ${strategy.kind}, not a canary`);
  const step = strategy.steps[index];
  if (!Number.isInteger(index) || step === undefined)
    return no(`${d.phase ?? 'its phase'} is not one of its ${strategy.steps.length} steps`);
  if (d.revision === null || d.previousRevision === null)
    return no('it has no stable revision to go on from');
  const revision = await deps.records.revision(d.revision);
  if (revision === undefined) return no(`the spec of ${d.revision} was not recorded`);
  const healthy = (await deps.runtime.instances(d.revision)).length;
  if (healthy < revision.spec.instances)
    return no(
      `${healthy} of the ${revision.spec.instances} instances of ${d.revision} were healthy after the restart`,
    );
  if ((await deps.runtime.instances(d.previousRevision)).length === 0)
    return no(`the stable ${d.previousRevision} had no healthy instance after the restart`);

  const stored = Number(d.state.weight ?? 0);
  const weight = Number.isFinite(stored) && stored >= 0 && stored <= 100 ? stored : 0;
  const rollout: Rollout = {
    deploymentId: d.id,
    service: d.service,
    environment: d.environment,
    serviceId: d.serviceId,
    environmentId: d.environmentId,
    host,
    revision: d.revision,
    spec: revision.spec,
    stable: d.previousRevision,
    strategy,
    smoke: [], // passed before the first step
    keepWarmMs: Number(d.state.keepWarmMs ?? 0),
    analysisTemplates: d.plan?.analysisTemplates ?? {},
    startedAt: new Date(d.startedAt),
  };
  const background =
    strategy.analysis !== undefined && index >= strategy.analysis.startingStep
      ? '; background analysis starts again'
      : '';
  const note = `resumed after a restart at step ${index + 1}/${strategy.steps.length} (${step.kind}, ${weight}% on ${d.revision})${again(step)}${background}`;
  return { ok: true, canary: { rollout, from: { step: index, weight }, note } };
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
