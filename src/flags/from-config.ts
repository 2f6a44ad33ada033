import type { Condition, FlowlineConfig, Rollout, Serve } from '../config/index.js';
import type {
  ConditionDefinition,
  FlagDefinition,
  FlagSetDefinition,
  MatchDefinition,
  RolloutDefinition,
  RuleDefinition,
  ScheduledChange,
  SegmentDefinition,
  ServeDefinition,
} from './engine/types.js';

/**
 * The flags of flowline.yaml for one environment, as a flag set definition to compile. The file
 * is already validated and normalized by the config part; this only changes the shape:
 *
 * - a flag not configured for the environment is off (it serves its `defaultVariant`);
 * - the environment's `enabled: false` turns the flag off, and a scheduled `enabled: true` turns
 *   it on at its time (the kill switch is separate: it is pulled through the API and CLI);
 * - a rule's `segment` and condition must both match; a scheduled `rollout` replaces what is
 *   served when no rule matches.
 */
export function fromConfig(config: FlowlineConfig, environment: string): FlagSetDefinition {
  const segments: Record<string, SegmentDefinition> = {};
  for (const [name, segment] of Object.entries(config.segments)) {
    const rules = segment.rules.map(condition);
    const when: MatchDefinition | undefined =
      rules.length === 0
        ? undefined
        : rules.length === 1
          ? rules[0]
          : segment.match === 'all'
            ? { all: rules }
            : { any: rules };
    segments[name] = {
      ...(segment.description === undefined ? {} : { description: segment.description }),
      ...(segment.include.length === 0 ? {} : { include: segment.include }),
      ...(when === undefined ? {} : { when }),
    };
  }
  const flags: Record<string, FlagDefinition> = {};
  for (const [key, flag] of Object.entries(config.flags)) {
    const env = flag.environments[environment];
    const metadata = {
      temporary: flag.temporary,
      ...(flag.owner === undefined ? {} : { owner: flag.owner }),
    };
    const base: FlagDefinition = {
      type: flag.type,
      variants: flag.variants,
      defaultVariant: flag.defaultVariant,
      enabled: env?.enabled ?? false,
      ...(flag.description === undefined ? {} : { description: flag.description }),
      metadata,
      ...(flag.prerequisites.length === 0
        ? {}
        : { prerequisites: flag.prerequisites.map((p) => ({ flag: p.flag, variants: [p.variant] })) }),
    };
    if (env === undefined) {
      flags[key] = base;
      continue;
    }
    const rules: RuleDefinition[] = env.rules.map((rule) => {
      const parts: MatchDefinition[] = [];
      if (rule.segment !== undefined) parts.push({ segment: rule.segment });
      if (rule.condition !== undefined) parts.push(condition(rule.condition));
      const when = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : { all: parts };
      return {
        ...(rule.name === undefined ? {} : { name: rule.name }),
        ...(when === undefined ? {} : { when }),
        serve: serve(rule.serve),
      };
    });
    const schedule: ScheduledChange[] = env.schedule.map((change) => ({
      at: change.at,
      change: {
        ...(change.enabled === undefined ? {} : { enabled: change.enabled }),
        ...(change.rollout === undefined ? {} : { fallthrough: { rollout: rollout(change.rollout) } }),
      },
    }));
    flags[key] = {
      ...base,
      ...(rules.length === 0 ? {} : { rules }),
      fallthrough: serve(env.fallthrough),
      ...(schedule.length === 0 ? {} : { schedule }),
    };
  }
  return { service: config.service, environment, segments, flags };
}

function condition(raw: Condition): ConditionDefinition {
  return { attribute: raw.attribute, op: raw.op, values: raw.values };
}

function serve(raw: Serve): ServeDefinition {
  return raw.kind === 'variant' ? { variant: raw.variant } : { rollout: rollout(raw.rollout) };
}

function rollout(raw: Rollout): RolloutDefinition {
  return {
    bucketBy: raw.bucketBy,
    split: Object.entries(raw.variants).map(([variant, weight]) => ({ variant, weight })),
  };
}
