/** Pure rules of the environments and releases views, kept apart so they are tested in node. */

import type {
  Backend,
  CanaryStep,
  EnvironmentGlance,
  PolicyEnvironment,
  Strategy,
} from '../../api/envrel.js';
import { namedProduction } from '../../production.js';

/**
 * Whether an action on this environment asks for confirmation first: the policy protects it,
 * or (without a policy) its name says production.
 */
export function needsConfirmation(environment: string, policy: PolicyEnvironment | undefined): boolean {
  return policy?.protected === true || namedProduction(environment);
}

/** The health of an environment's live revision in words (never colour alone). */
export function healthWord(health: EnvironmentGlance['health']): 'healthy' | 'unhealthy' | 'unknown' {
  if (health === null) return 'unknown';
  return health.desired > 0 && health.healthy >= health.desired ? 'healthy' : 'unhealthy';
}

/** A canary step in words: `setWeight 20%`, `pause 5m`, `pause until promoted`, `analysis errors`. */
export function stepText(step: CanaryStep, formatDuration: (ms: number) => string): string {
  switch (step.kind) {
    case 'setWeight':
      return `set weight ${step.weight}%`;
    case 'pause':
      return step.duration === undefined ? 'pause until promoted' : `pause ${formatDuration(step.duration)}`;
    case 'analysis':
      return `analysis ${step.templates.join(', ')}`;
    case 'setCanaryScale':
      return step.instances !== undefined
        ? `canary scale ${step.instances} instance${step.instances === 1 ? '' : 's'}`
        : step.weight !== undefined
          ? `canary scale ${step.weight}%`
          : 'canary scale matches traffic';
  }
}

/** `step 2 of 5`, or null when the strategy has no steps or none has begun. */
export function stepPosition(strategy: Strategy | null, step: number | null): string | null {
  if (strategy?.kind !== 'canary' || step === null) return null;
  return `step ${step + 1} of ${strategy.steps.length}`;
}

/**
 * The traffic split as the route has it, the stable revision first; `new` marks the others.
 * Empty when the route sends everything to one revision (nothing to show beyond "all").
 */
export function splitOf(
  traffic: readonly Backend[] | undefined,
  stable: string | null,
): { revision: string; weight: number; role: 'stable' | 'new' }[] {
  if (traffic === undefined || traffic.length < 2) return [];
  return [...traffic]
    .map((b) => ({ ...b, role: b.revision === stable ? ('stable' as const) : ('new' as const) }))
    .sort((a, b) => (a.role === b.role ? b.weight - a.weight : a.role === 'stable' ? -1 : 1));
}

/** What the deploy form says the artifact will be when none is chosen (the API's default). */
export function defaultArtifactText(policy: PolicyEnvironment | undefined): string {
  if (policy?.after != null) return `what runs in ${policy.after} (the policy's default), else the newest`;
  return 'the newest artifact (the default)';
}

/** The actions a release offers now, by its state: controls while under way, rollback after. */
export function releaseActions(input: {
  readonly underway: boolean;
  readonly paused: boolean;
}): readonly ('promote' | 'promote-full' | 'pause' | 'resume' | 'abort' | 'rollback')[] {
  if (!input.underway) return ['rollback'];
  return ['promote', 'promote-full', input.paused ? 'resume' : 'pause', 'abort'];
}

/**
 * The policy that governs an environment, as the server resolves it: a preview by the policy's
 * preview template (its `ephemeral` environment), any other by its own name.
 */
export function policyFor(
  environments: Readonly<Record<string, PolicyEnvironment>> | undefined,
  environment: string,
  ephemeral: boolean,
): PolicyEnvironment | undefined {
  if (environments === undefined) return undefined;
  if (ephemeral) return Object.values(environments).find((e) => e.ephemeral);
  return environments[environment];
}

/**
 * The constant a simple condition holds the result to (`result < 0.05` → 0.05), to draw as a
 * line beside the measurements; null for anything richer (baseline terms, `&&`), which the
 * view shows only as text.
 */
export function thresholdOf(condition: string | null): number | null {
  if (condition === null) return null;
  const match = /^\s*result\s*(?:<|<=|>|>=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/i.exec(condition);
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** `Ada Lovelace <ada@example.com>` → `Ada Lovelace`: the name alone fits a card. */
export function authorName(author: string): string {
  const name = author.replace(/\s*<[^>]*>\s*$/, '').trim();
  return name === '' ? author : name;
}
