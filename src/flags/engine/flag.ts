import { type CompileScope, describe, isRecord, join } from './check.js';
import type { Predicate } from './conditions.js';
import { compileTargeting, hasTargeting } from './logic-targeting.js';
import { compileMatch } from './match.js';
import {
  type CompiledFlag,
  type CompiledRule,
  type CompiledState,
  ResultFactory,
  type Serve,
} from './results.js';
import { checkVariant, compileServe, type ServeEnv } from './serve.js';
import type { FlagType, MetadataValue } from './types.js';
import { toTime } from './values.js';
import { booleanField, compileMetadata, compileVariants } from './variants.js';

/** Compiles one flag definition: variants and their types, rules, schedule, kill switch. */

export const FLAG_TYPES: readonly FlagType[] = ['boolean', 'string', 'number', 'json'];
const FLAG_KEYS = [
  'type',
  'variants',
  'defaultVariant',
  'enabled',
  'killed',
  'killVariant',
  'rules',
  'fallthrough',
  'targeting',
  'prerequisites',
  'schedule',
  'description',
  'metadata',
];

export interface FlagEnv {
  readonly segments: ReadonlyMap<string, Predicate | null>;
  readonly setMetadata: Readonly<Record<string, MetadataValue>> | undefined;
}

/** A compiled flag plus what the set-level checks need: its variant names and prerequisites. */
export interface FlagOutput {
  readonly flag: CompiledFlag;
  readonly variantNames: readonly string[];
  readonly prerequisitePaths: readonly string[];
}

export function compileFlag(
  key: string,
  raw: unknown,
  path: string,
  scope: CompileScope,
  env: FlagEnv,
): FlagOutput | undefined {
  if (!isRecord(raw))
    return scope.error('invalid_type', `a flag must be an object, got ${describe(raw)}`, path);
  scope.onlyKeys(raw, FLAG_KEYS, path);
  scope.conditions = 0;
  scope.conditionsReported = false;
  const type = raw.type as FlagType;
  if (!FLAG_TYPES.includes(type)) {
    return scope.error(
      'invalid_type',
      `unknown flag type ${describe(raw.type)}`,
      join(path, 'type'),
      `use one of ${FLAG_TYPES.join(', ')}`,
    );
  }
  const variants = compileVariants(raw.variants, type, join(path, 'variants'), scope, {
    name: raw.defaultVariant,
    path: join(path, 'defaultVariant'),
  });
  if (variants === undefined) return undefined;
  const variantNames = [...variants.keys()];
  // Without a default variant, default answers carry no value: the caller's default applies.
  const hasDefault = raw.defaultVariant !== undefined;
  const defaultVariant = hasDefault
    ? checkVariant(raw.defaultVariant, join(path, 'defaultVariant'), scope, { flagKey: key, variantNames })
    : undefined;
  const metadata = compileMetadata(raw.metadata, join(path, 'metadata'), scope, env.setMetadata);
  if (raw.description !== undefined && typeof raw.description !== 'string') {
    scope.error('invalid_type', '`description` must be text', join(path, 'description'));
  }
  const enabled = booleanField(raw, 'enabled', path, scope, undefined);
  const killed = booleanField(raw, 'killed', path, scope, false);
  const killVariant =
    raw.killVariant === undefined
      ? defaultVariant
      : checkVariant(raw.killVariant, join(path, 'killVariant'), scope, { flagKey: key, variantNames });
  if (
    (hasDefault && defaultVariant === undefined) ||
    enabled === undefined ||
    killed === undefined ||
    (raw.killVariant !== undefined && killVariant === undefined)
  ) {
    return undefined;
  }
  const results = new ResultFactory(variants, metadata);
  const serveEnv: ServeEnv = { flagKey: key, variantNames, defaultVariant, results };
  const prerequisites = compilePrerequisites(
    raw.prerequisites,
    join(path, 'prerequisites'),
    scope,
    results,
    defaultVariant,
  );
  const schedule = raw.schedule ?? [];
  const rules = raw.rules ?? [];
  const targeting = compileFlagTargeting(raw, path, scope, serveEnv);
  if (targeting === null) return undefined;
  const isStatic =
    targeting === undefined &&
    Array.isArray(rules) &&
    rules.length === 0 &&
    prerequisites.length === 0 &&
    Array.isArray(schedule) &&
    schedule.length === 0;
  const basePaths = { rules: join(path, 'rules'), fallthrough: join(path, 'fallthrough') };
  const fallthrough =
    raw.fallthrough ?? (defaultVariant === undefined ? NO_DEFAULT : { variant: defaultVariant });
  const base = compileState(
    enabled,
    rules,
    fallthrough,
    basePaths,
    scope,
    env,
    serveEnv,
    isStatic,
    targeting,
  );
  const timeline = compileSchedule(schedule, join(path, 'schedule'), scope, base, (change, at, previous) => {
    if (targeting !== undefined && (change.rules !== undefined || change.fallthrough !== undefined)) {
      return scope.error(
        'targeting_schedule',
        'a flag with `targeting` can only change `enabled` on a schedule',
        at,
        'schedule `enabled` only, or express the change in the targeting (`$flagd.timestamp`)',
      );
    }
    return compileState(
      change.enabled ?? previous.enabled,
      change.rules,
      change.fallthrough,
      { rules: join(at, 'rules'), fallthrough: join(at, 'fallthrough') },
      scope,
      env,
      serveEnv,
      false,
      targeting,
      previous,
    );
  });
  if (base === undefined || timeline === undefined) return undefined;
  return {
    flag: {
      key,
      type,
      fixed: killed ? results.serve('DISABLED', killVariant, { killed: true }) : undefined,
      times: timeline.times,
      states: [base.state, ...timeline.states],
      prerequisites,
      invalidContext: results.error(
        'INVALID_CONTEXT',
        'the evaluation context must be an object',
        defaultVariant,
      ),
    },
    variantNames,
    prerequisitePaths: prerequisites.map((_, index) =>
      join(join(join(path, 'prerequisites'), index), 'flag'),
    ),
  };
}

/** The fallthrough of a flag without a default variant: no value, reason DEFAULT. */
const NO_DEFAULT = Symbol('no default variant');

/**
 * The flag's flagd targeting: undefined when it has none, null when it cannot be compiled.
 * Targeting replaces `rules` and `fallthrough`, so having both is an error.
 */
function compileFlagTargeting(
  raw: Record<string, unknown>,
  path: string,
  scope: CompileScope,
  env: ServeEnv,
): Serve | undefined | null {
  if (!hasTargeting(raw.targeting)) return undefined;
  if (raw.rules !== undefined || raw.fallthrough !== undefined) {
    scope.error(
      'targeting_with_rules',
      'a flag has either `targeting` (flagd JsonLogic) or `rules`/`fallthrough`, not both',
      join(path, 'targeting'),
      'move the rules into the targeting, or remove it',
    );
    return null;
  }
  return compileTargeting(raw.targeting, join(path, 'targeting'), scope, env) ?? null;
}

interface StateOutput {
  readonly state: CompiledState;
  readonly enabled: boolean;
  readonly rules: readonly CompiledRule[];
  readonly fallthrough: Serve;
}

function compileState(
  enabled: boolean,
  rulesRaw: unknown,
  fallRaw: unknown,
  paths: { rules: string; fallthrough: string },
  scope: CompileScope,
  env: FlagEnv,
  serveEnv: ServeEnv,
  isStatic: boolean,
  targeting: Serve | undefined,
  previous?: StateOutput,
): StateOutput | undefined {
  let rules = targeting === undefined ? previous?.rules : [];
  if (rulesRaw !== undefined || rules === undefined)
    rules = compileRules(rulesRaw, paths.rules, scope, env, serveEnv);
  let fallthrough = targeting ?? previous?.fallthrough;
  if (targeting !== undefined) {
    // The targeting is the whole decision: flagd has no rules or fallthrough besides it.
  } else if (fallRaw === NO_DEFAULT && fallthrough === undefined) {
    const none = serveEnv.results.serve('DEFAULT', undefined);
    fallthrough = () => none;
  } else if (fallRaw !== undefined || fallthrough === undefined) {
    fallthrough = compileServe(fallRaw, paths.fallthrough, scope, serveEnv, isStatic ? 'STATIC' : 'DEFAULT');
  }
  if (rules === undefined || fallthrough === undefined) return undefined;
  // OpenFeature: a disabled flag answers DISABLED with the caller's default (no value), as flagd does.
  const disabled = enabled ? undefined : serveEnv.results.serve('DISABLED', undefined);
  return { state: { disabled, rules, fallthrough }, enabled, rules, fallthrough };
}

function compileRules(
  raw: unknown,
  path: string,
  scope: CompileScope,
  env: FlagEnv,
  serveEnv: ServeEnv,
): CompiledRule[] | undefined {
  if (!Array.isArray(raw)) return scope.error('invalid_type', '`rules` must be a list', path);
  if (raw.length > scope.limits.maxRulesPerFlag) {
    return scope.error(
      'too_many_rules',
      `${raw.length} rules, more than ${scope.limits.maxRulesPerFlag}`,
      path,
      'move shared conditions into segments',
    );
  }
  const matchEnv = { flagKey: serveEnv.flagKey, segments: env.segments };
  const rules: (CompiledRule | undefined)[] = raw.map((rule, index) => {
    const at = join(path, index);
    if (!isRecord(rule)) return scope.error('invalid_type', 'a rule must be an object', at);
    scope.onlyKeys(rule, ['name', 'when', 'serve'], at);
    let name: string | undefined;
    if (rule.name !== undefined) name = scope.text(rule.name, join(at, 'name'), 'a rule name');
    const test =
      rule.when === undefined ? undefined : compileMatch(rule.when, join(at, 'when'), scope, matchEnv);
    const extra = name === undefined ? undefined : { rule: name };
    const serve = compileServe(rule.serve, join(at, 'serve'), scope, serveEnv, 'TARGETING_MATCH', extra);
    if ((rule.when !== undefined && test === undefined) || serve === undefined) return undefined;
    return { test, serve };
  });
  return rules.every((rule) => rule !== undefined) ? (rules as CompiledRule[]) : undefined;
}

interface ChangeRaw {
  readonly enabled?: boolean;
  readonly rules?: unknown;
  readonly fallthrough?: unknown;
}

function compileSchedule(
  raw: unknown,
  path: string,
  scope: CompileScope,
  base: StateOutput | undefined,
  next: (change: ChangeRaw, at: string, previous: StateOutput) => StateOutput | undefined,
): { times: number[]; states: CompiledState[] } | undefined {
  if (!Array.isArray(raw)) return scope.error('invalid_type', '`schedule` must be a list', path);
  if (raw.length > scope.limits.maxScheduledChanges) {
    return scope.error(
      'too_many_changes',
      `more than ${scope.limits.maxScheduledChanges} scheduled changes`,
      path,
    );
  }
  const entries: { time: number; index: number; change: ChangeRaw }[] = [];
  for (const [index, item] of raw.entries()) {
    const at = join(path, index);
    if (!isRecord(item) || !isRecord(item.change)) {
      scope.error(
        'invalid_type',
        'a scheduled change is { at, change: { enabled?, rules?, fallthrough? } }',
        at,
      );
      continue;
    }
    scope.onlyKeys(item, ['at', 'change'], at);
    scope.onlyKeys(item.change, ['enabled', 'rules', 'fallthrough'], join(at, 'change'));
    const time = typeof item.at === 'string' || typeof item.at === 'number' ? toTime(item.at) : undefined;
    if (time === undefined) {
      scope.error(
        'invalid_date',
        `${describe(item.at)} is not an ISO 8601 time`,
        join(at, 'at'),
        'write `2026-12-01T09:00:00Z`',
      );
      continue;
    }
    const enabled = item.change.enabled;
    if (enabled !== undefined && typeof enabled !== 'boolean') {
      scope.error('invalid_type', '`enabled` must be true or false', join(join(at, 'change'), 'enabled'));
      continue;
    }
    entries.push({ time, index, change: item.change as ChangeRaw });
  }
  if (entries.length !== raw.length || base === undefined) return undefined;
  entries.sort((a, b) => a.time - b.time || a.index - b.index);
  const times: number[] = [];
  const states: CompiledState[] = [];
  let previous = base;
  for (const entry of entries) {
    const state = next(entry.change, join(join(path, entry.index), 'change'), previous);
    if (state === undefined) return undefined;
    times.push(entry.time);
    states.push(state.state);
    previous = state;
  }
  return { times, states };
}

function compilePrerequisites(
  raw: unknown,
  path: string,
  scope: CompileScope,
  results: ResultFactory,
  defaultVariant: string | undefined,
): CompiledFlag['prerequisites'] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) return scope.error('invalid_type', '`prerequisites` must be a list', path) ?? [];
  if (raw.length > scope.limits.maxPrerequisites) {
    scope.error('too_many_prerequisites', `more than ${scope.limits.maxPrerequisites} prerequisites`, path);
    return [];
  }
  return raw.flatMap((item, index) => {
    const at = join(path, index);
    if (!isRecord(item)) return scope.error('invalid_type', 'a prerequisite is { flag, variants }', at) ?? [];
    scope.onlyKeys(item, ['flag', 'variants'], at);
    const flag = scope.text(item.flag, join(at, 'flag'), 'a flag key');
    const variants = item.variants;
    // An empty list is a prerequisite that is never met: how an imported Unleash dependency on a
    // variant its parent does not have evaluates (Unleash answers "not satisfied").
    if (!Array.isArray(variants) || !variants.every((v) => typeof v === 'string')) {
      return (
        scope.error('invalid_type', '`variants` must be a list of variant names', join(at, 'variants')) ?? []
      );
    }
    if (flag === undefined) return [];
    const failed = results.serve('DEFAULT', defaultVariant, { prerequisiteFailed: flag });
    return [{ flag, variants: new Set(variants as string[]), failed }];
  });
}
