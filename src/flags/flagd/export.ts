import { NOW_ATTRIBUTE } from '../engine/index.js';
import type {
  BucketBy,
  FlagDefinition,
  FlagSetDefinition,
  MatchDefinition,
  PercentageDefinition,
  RolloutDefinition,
  RuleValue,
  SegmentDefinition,
  ServeDefinition,
} from '../engine/types.js';
import { toTime } from '../engine/values.js';
import type { ImportedFlagNote } from '../migration.js';
import { Inexpressible } from '../migration.js';

/**
 * Exports a flag set as flagd flag definitions that @openfeature/flagd-core (and flagd) evaluate
 * to the same variants. Flowline splits become `fractional` with weights in 0.001% units, which
 * is the same bucketing. What flagd cannot express (prerequisites, regexes, dates in attributes,
 * case-insensitive text, Unleash bucketing) is left out and reported.
 */
export interface FlagdExport {
  readonly document: { readonly flags: Record<string, unknown>; readonly metadata?: Record<string, unknown> };
  readonly skipped: readonly ImportedFlagNote[];
  readonly notes: readonly ImportedFlagNote[];
}

type Logic = unknown;

interface Scope {
  readonly key: string;
  readonly segments: Readonly<Record<string, SegmentDefinition>>;
  readonly notes: Set<string>;
}

/** `now` picks the scheduled changes already applied (default: the current time). */
export function exportFlagd(definition: FlagSetDefinition, options: { now?: number } = {}): FlagdExport {
  const now = options.now ?? Date.now();
  const flags: Record<string, unknown> = {};
  const skipped: ImportedFlagNote[] = [];
  const notes: ImportedFlagNote[] = [];
  for (const [key, flag] of Object.entries(definition.flags)) {
    const scope: Scope = { key, segments: definition.segments ?? {}, notes: new Set() };
    try {
      Object.defineProperty(flags, key, { value: exportFlag(flag, scope, now), enumerable: true });
      for (const message of scope.notes) notes.push({ flag: key, message });
    } catch (error) {
      if (!(error instanceof Inexpressible)) throw error;
      skipped.push({ flag: key, message: error.message });
    }
  }
  const document =
    definition.metadata === undefined ? { flags } : { flags, metadata: { ...definition.metadata } };
  return { document, skipped, notes };
}

function exportFlag(flag: FlagDefinition, scope: Scope, now: number): Record<string, unknown> {
  if ((flag.prerequisites ?? []).length > 0) throw new Inexpressible('flagd has no prerequisites');
  let enabled = flag.enabled;
  let rules = flag.rules ?? [];
  let fallthrough: ServeDefinition | undefined =
    flag.fallthrough ?? (flag.defaultVariant === undefined ? undefined : { variant: flag.defaultVariant });
  const changes = [...(flag.schedule ?? [])].sort((a, b) => time(a.at) - time(b.at));
  for (const { at, change } of changes) {
    if (time(at) > now) {
      scope.notes.add(`scheduled changes from ${new Date(time(at)).toISOString()} on are not exported`);
      break;
    }
    enabled = change.enabled ?? enabled;
    rules = change.rules ?? rules;
    fallthrough = change.fallthrough ?? fallthrough;
  }
  if (flag.type === 'json' && Object.values(flag.variants).some((v) => typeof v !== 'object' || v === null)) {
    scope.notes.add('flagd object flags expect object values; other JSON values answer TYPE_MISMATCH there');
  }
  const out: Record<string, unknown> = { state: enabled ? 'ENABLED' : 'DISABLED', variants: flag.variants };
  if (flag.defaultVariant !== undefined) out.defaultVariant = flag.defaultVariant;
  if (flag.metadata !== undefined) out.metadata = { ...flag.metadata };
  if (flag.killed === true) {
    // flagd has no kill switch: everyone gets the kill variant, with reason STATIC instead of DISABLED.
    const served = flag.killVariant ?? flag.defaultVariant;
    out.state = 'ENABLED';
    if (served === undefined) delete out.defaultVariant;
    else out.defaultVariant = served;
    scope.notes.add('killed: flagd serves the kill variant with reason STATIC (Flowline says DISABLED)');
    return out;
  }
  if (!enabled) return out; // both answer DISABLED with the caller's default
  if (flag.targeting !== undefined) {
    out.targeting = flag.targeting; // flagd targeting, kept verbatim: the same answers by construction
    return out;
  }
  if (rules.length === 0 && (fallthrough === undefined || 'variant' in fallthrough)) {
    if (fallthrough !== undefined) out.defaultVariant = fallthrough.variant; // no targeting: STATIC
    return out;
  }
  const chain: Logic[] = [];
  let otherwise: Logic = fallthrough === undefined ? null : serve(fallthrough, scope);
  for (const rule of rules) {
    if (rule.when === undefined) {
      otherwise = serve(rule.serve, scope);
      break;
    }
    chain.push(match(rule.when, scope), serve(rule.serve, scope));
  }
  out.targeting = chain.length === 0 ? { if: [true, otherwise] } : { if: [...chain, otherwise] };
  return out;
}

function serve(definition: ServeDefinition, scope: Scope): Logic {
  if ('variant' in definition) return definition.variant;
  return rollout(definition.rollout, scope);
}

function rollout(definition: RolloutDefinition, scope: Scope): Logic {
  const buckets = definition.split.map(({ variant, weight }) => [
    variant,
    definition.bucketing === undefined || definition.bucketing === 'flowline'
      ? Math.round(weight * 1000)
      : weight,
  ]);
  return fractionalOver(definition, scope, buckets);
}

/** `fractional` over the bucketing attribute(s); null (the default variant) when none is set. */
function fractionalOver(
  options: Pick<RolloutDefinition, 'bucketBy' | 'salt' | 'bucketing'>,
  scope: Scope,
  buckets: Logic[],
): Logic {
  const bucketing = options.bucketing ?? 'flowline';
  if (bucketing === 'unleash') throw new Inexpressible('a split with Unleash bucketing');
  const names = attributes(options.bucketBy);
  const salt = options.salt ?? scope.key;
  if (bucketing === 'flagd') {
    if (names.length !== 1) throw new Inexpressible('a flagd split over several attributes');
    return { fractional: [...flagdHead(names[0] as string, salt, scope.key), ...buckets] };
  }
  if (names.some((name) => name !== 'targetingKey') || names.length > 1 || salt !== scope.key) {
    scope.notes.add(
      'a split over another attribute than targetingKey: a value of 0 or true buckets in flagd but not here',
    );
  }
  scope.notes.add(
    'splits agree with flagd-core for ASCII values; flagd-core (JavaScript) hashes other characters differently from flagd',
  );
  const chain: Logic[] = [];
  for (const name of names) {
    if (name === 'targetingKey' && salt === scope.key) chain.push({ var: name }, { fractional: buckets });
    else chain.push({ var: name }, { fractional: [{ cat: [salt, { var: name }] }, ...buckets] });
  }
  return { if: [...chain, null] };
}

function flagdHead(name: string, salt: string, key: string): Logic[] {
  if (name === 'targetingKey' && salt === key) return [];
  if (salt === '') return [{ var: name }];
  return [{ cat: [salt, { var: name }] }];
}

function attributes(bucketBy: BucketBy | undefined): readonly string[] {
  if (bucketBy === undefined) return ['targetingKey'];
  return typeof bucketBy === 'string' ? [bucketBy] : bucketBy;
}

function match(definition: MatchDefinition, scope: Scope): Logic {
  if ('all' in definition) return { and: definition.all.map((part) => match(part, scope)) };
  if ('any' in definition) return { or: definition.any.map((part) => match(part, scope)) };
  if ('not' in definition) return { '!': match(definition.not, scope) };
  if ('segment' in definition) return segment(definition.segment, scope);
  if ('percentage' in definition) return percentage(definition, scope);
  const { attribute, op, values } = definition;
  if (definition.ignoreCase === true) throw new Inexpressible('case-insensitive conditions');
  const v = { var: attribute };
  const present = { '!=': [v, null] };
  const any = (parts: Logic[]): Logic => (parts.length === 1 ? parts[0] : { or: parts });
  if (attribute === NOW_ATTRIBUTE) return timeCondition(op, values[0] as number | string, scope);
  switch (op) {
    case 'equals':
    case 'in':
      return { in: [v, forms(values)] };
    case 'notEquals':
    case 'notIn':
      return { and: [present, { '!': { in: [v, forms(values)] } }] };
    case 'contains':
      scope.notes.add(
        'text conditions on a number attribute: flagd answers ERROR or does not match; here the number is read as text',
      );
      return any(values.map((value) => ({ in: [String(value), v] })));
    case 'startsWith':
    case 'endsWith':
      scope.notes.add(
        'text conditions on a number attribute: flagd answers ERROR or does not match; here the number is read as text',
      );
      return any(
        values.map((value) => ({ [op === 'startsWith' ? 'starts_with' : 'ends_with']: [v, String(value)] })),
      );
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      scope.notes.add(
        'numeric conditions: flagd answers ERROR for text that is not a number; here it does not match',
      );
      const symbol = { lt: '<', lte: '<=', gt: '>', gte: '>=' }[op];
      return { and: [present, { '!==': [v, ''] }, { [symbol]: [v, values[0]] }] };
    }
    case 'semverEq':
    case 'semverLt':
    case 'semverLte':
    case 'semverGt':
    case 'semverGte': {
      const symbol = { semverEq: '=', semverLt: '<', semverLte: '<=', semverGt: '>', semverGte: '>=' }[op];
      return { sem_ver: [v, symbol, String(values[0])] };
    }
    case 'matches':
      throw new Inexpressible('flagd has no regular expressions');
    default:
      throw new Inexpressible('flagd cannot compare dates in attributes');
  }
}

/** The context value matches in JsonLogic when it is the text or, for numbers and booleans, the value. */
function forms(values: readonly RuleValue[]): RuleValue[] {
  const out: RuleValue[] = [];
  for (const value of values) {
    const text = String(value);
    out.push(text);
    if (text === 'true' || text === 'false') out.push(text === 'true');
    else if (text.trim() !== '' && String(Number(text)) === text) out.push(Number(text));
  }
  return out;
}

function timeCondition(op: string, value: number | string, scope: Scope): Logic {
  const at = time(value);
  const timestamp = { var: '$flagd.timestamp' };
  if (op === 'after') {
    if ((at + 1) % 1000 !== 0) scope.notes.add('times are compared to the second in flagd');
    return { '>=': [timestamp, Math.ceil((at + 1) / 1000)] };
  }
  if (at % 1000 !== 0) scope.notes.add('times are compared to the second in flagd');
  return { '<': [timestamp, Math.ceil(at / 1000)] };
}

function segment(name: string, scope: Scope): Logic {
  const definition = scope.segments[name];
  if (definition === undefined) throw new Inexpressible(`segment \`${name}\` is not defined`);
  const key = { var: definition.keyAttribute ?? 'targetingKey' };
  const include = definition.include ?? [];
  const exclude = definition.exclude ?? [];
  const member: Logic[] = [];
  if (include.length > 0) member.push({ in: [key, forms(include)] });
  if (definition.when !== undefined) member.push(match(definition.when, scope));
  const inside = member.length === 0 ? false : member.length === 1 ? member[0] : { or: member };
  if (exclude.length === 0) return inside;
  return { and: [{ '!': { in: [key, forms(exclude)] } }, inside] };
}

function percentage(definition: PercentageDefinition, scope: Scope): Logic {
  const units = Math.round(definition.percentage * 1000);
  const split = fractionalOver(definition, scope, [
    ['in', units],
    ['out', 100_000 - units],
  ]);
  return { '==': [split, 'in'] };
}

function time(value: string | number): number {
  return toTime(value) ?? Number.NaN;
}
