import { parseAql, QUALITY_FORMATS } from './aql.js';
import type { ParsedConfig } from './schema.js';
import type {
  AnalysisTemplate,
  CanaryStep,
  Deliverable,
  Environment,
  Flag,
  FlagEnvironment,
  FlagValue,
  FlowlineConfig,
  Provider,
  RunConfig,
  Serve,
  Stage,
  Step,
  Strategy,
} from './types.js';

/**
 * Turns the schema's output into the {@link FlowlineConfig} the other parts consume: defaults that
 * depend on other fields, names copied into records, "one of" shapes tagged with `kind`.
 * It runs only on a config that passed the schema and the rules, so the `??` fallbacks
 * below are for the type checker, not for users.
 */

type Parsed = ParsedConfig;
type ParsedEnvironment = Parsed['environments'][string];
type ParsedFlag = Parsed['flags'][string];

export function normalize(parsed: Parsed): FlowlineConfig {
  const run = parsed.run === undefined ? undefined : normalizeRun(parsed.run);
  return {
    version: parsed.version,
    service: parsed.service,
    build: parsed.build,
    stages: mapValues(
      parsed.stages,
      (stage, name): Stage => ({ name, ...stage, steps: stage.steps.map(step) }),
    ),
    finally: parsed.finally.map(step),
    pipeline: parsed.pipeline,
    secrets: parsed.secrets,
    run,
    environments: mapValues(parsed.environments, (env, name) => environment(env, name, run)),
    analysis: { templates: mapValues(parsed.analysis.templates, template) },
    segments: mapValues(parsed.segments, (segment, name) => ({ name, ...segment })),
    flags: mapValues(parsed.flags, flag),
    quality: { deliverables: parsed.quality.deliverables.map(deliverable) },
  };
}

/** AQL conditions parsed (rules.ts refused any that do not parse), defaults of the method applied. */
function deliverable(raw: Parsed['quality']['deliverables'][number]): Deliverable {
  const { aql, ...rest } = raw;
  const written = aql === undefined ? [] : typeof aql === 'string' ? [aql] : aql;
  const conditions =
    raw.method === 'manual'
      ? []
      : written.flatMap((text) => {
          const parsed = parseAql(text, raw.method);
          return parsed.ok ? [parsed.condition] : [];
        });
  const environment =
    raw.method === 'dora'
      ? (raw.environment ?? 'production')
      : raw.method === 'deployment'
        ? (raw.environment ?? 'staging')
        : undefined;
  const format = raw.format ?? QUALITY_FORMATS[raw.method]?.[0];
  return {
    ...rest,
    aqlText: written.join(' and '),
    conditions,
    ...(environment === undefined ? {} : { environment }),
    ...(raw.method === 'lint' && raw.report === undefined ? {} : format === undefined ? {} : { format }),
  };
}

function step(raw: Parsed['finally'][number]): Step {
  return { ...raw, name: raw.name ?? raw.run };
}

function normalizeRun(raw: NonNullable<Parsed['run']>): RunConfig {
  return {
    ...raw,
    smoke: raw.smoke.map((check) => ({ ...check, name: check.name ?? `${check.method} ${check.path}` })),
  };
}

function environment(raw: ParsedEnvironment, name: string, run: RunConfig | undefined): Environment {
  return {
    name,
    ...raw,
    instances: raw.instances ?? run?.instances ?? 1,
    env: { ...run?.env, ...raw.env },
    strategy: strategy(raw.strategy),
  };
}

function strategy(raw: ParsedEnvironment['strategy']): Strategy {
  if (raw.canary) {
    const { steps, analysis, trafficRouting, baseline } = raw.canary;
    return {
      kind: 'canary',
      steps: steps.map(canaryStep),
      trafficRouting,
      baseline,
      analysis: analysis && { templates: templateNames(analysis), startingStep: analysis.startingStep },
    };
  }
  if (raw.blueGreen) {
    const { prePromotionAnalysis: pre, postPromotionAnalysis: post, ...rest } = raw.blueGreen;
    return {
      kind: 'blueGreen',
      ...rest,
      prePromotionAnalysis: pre && { templates: templateNames(pre) },
      postPromotionAnalysis: post && { templates: templateNames(post) },
    };
  }
  return { kind: 'allAtOnce' };
}

type ParsedCanaryStep = NonNullable<ParsedEnvironment['strategy']['canary']>['steps'][number];

function canaryStep(raw: ParsedCanaryStep): CanaryStep {
  if (raw.setWeight !== undefined) return { kind: 'setWeight', weight: raw.setWeight };
  if (raw.analysis !== undefined) return { kind: 'analysis', templates: templateNames(raw.analysis) };
  if (raw.setCanaryScale !== undefined) return { kind: 'setCanaryScale', ...raw.setCanaryScale };
  return { kind: 'pause', duration: raw.pause?.duration };
}

function templateNames(ref: { templates: readonly { templateName: string }[] }): string[] {
  return ref.templates.map((item) => item.templateName);
}

function template(raw: Parsed['analysis']['templates'][string], name: string): AnalysisTemplate {
  return {
    name,
    description: raw.description,
    metrics: raw.metrics.map((metric) => ({
      ...metric,
      count: metric.count ?? (metric.interval === undefined ? 1 : undefined),
      provider: provider(metric.provider),
    })),
  };
}

function provider(raw: Parsed['analysis']['templates'][string]['metrics'][number]['provider']): Provider {
  if (raw.router) return { kind: 'router', ...raw.router };
  if (raw.prometheus) return { kind: 'prometheus', ...raw.prometheus };
  if (raw.web) return { kind: 'web', ...raw.web };
  if (raw.business) return { kind: 'business', ...raw.business };
  if (raw.judge) return { kind: 'judge', ...raw.judge };
  throw new Error('unreachable: the schema requires exactly one provider');
}

function flag(raw: ParsedFlag, key: string): Flag {
  const variants = (raw.variants ?? { on: true, off: false }) as Record<string, FlagValue>;
  const defaultVariant = raw.defaultVariant ?? 'off';
  return {
    key,
    ...raw,
    variants,
    defaultVariant,
    environments: mapValues(
      raw.environments,
      (env): FlagEnvironment => ({
        enabled: env.enabled,
        rules: env.rules.map(({ name, segment, attribute, op, values, variant, rollout }) => ({
          name,
          segment,
          condition:
            attribute !== undefined && op !== undefined && values ? { attribute, op, values } : undefined,
          serve: serve(variant, rollout, defaultVariant),
        })),
        fallthrough: serve(env.defaultVariant, env.rollout, defaultVariant),
        schedule: env.schedule,
        killOnRollback: env.killOnRollback,
      }),
    ),
  };
}

function serve(
  variant: string | undefined,
  rollout: ParsedFlag['environments'][string]['rollout'],
  fallback: string,
): Serve {
  if (rollout !== undefined) return { kind: 'rollout', rollout };
  return { kind: 'variant', variant: variant ?? fallback };
}

function mapValues<T, U>(
  record: Readonly<Record<string, T>>,
  fn: (value: T, key: string) => U,
): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value, key)]));
}
