import {
  bucketer,
  FLOWLINE_BUCKETS,
  pick,
  randomId,
  UNLEASH_VARIANT_SEED,
  unleashVariantRandomId,
  valueReader,
} from './bucketing.js';
import { type CompileScope, describe, isRecord, join } from './check.js';
import { bucketingOptions } from './match.js';
import type { ResultFactory, Serve } from './results.js';
import { suggest } from './suggest.js';
import type { EvaluationResult, MetadataValue, Reason } from './types.js';

/** Compiles what a rule or the fallthrough serves: one variant, or a sticky split. */

export interface ServeEnv {
  readonly flagKey: string;
  readonly variantNames: readonly string[];
  readonly defaultVariant: string | undefined;
  readonly results: ResultFactory;
}

const MAX_INT32 = 2147483647;

export function compileServe(
  raw: unknown,
  path: string,
  scope: CompileScope,
  env: ServeEnv,
  variantReason: Reason,
  extra?: Record<string, MetadataValue>,
): Serve | undefined {
  if (!isRecord(raw)) {
    return scope.error('invalid_type', `\`serve\` must be an object, got ${describe(raw)}`, path);
  }
  if ('variant' in raw) {
    scope.onlyKeys(raw, ['variant'], path);
    const variant = checkVariant(raw.variant, join(path, 'variant'), scope, env);
    if (variant === undefined) return undefined;
    const result = env.results.serve(variantReason, variant, extra);
    return () => result;
  }
  if ('rollout' in raw) {
    scope.onlyKeys(raw, ['rollout'], path);
    return compileRollout(raw.rollout, join(path, 'rollout'), scope, env, extra);
  }
  return scope.error('invalid_serve', '`serve` needs `variant` or `rollout`', path);
}

export function checkVariant(
  value: unknown,
  path: string,
  scope: CompileScope,
  env: Pick<ServeEnv, 'variantNames' | 'flagKey'>,
): string | undefined {
  if (typeof value === 'string' && env.variantNames.includes(value)) return value;
  if (typeof value !== 'string') return scope.error('invalid_type', 'a variant must be a name', path);
  return scope.error(
    'unknown_variant',
    `flag \`${env.flagKey}\` has no variant \`${value}\``,
    path,
    suggest(value, env.variantNames, 'its variants'),
  );
}

function compileRollout(
  raw: unknown,
  path: string,
  scope: CompileScope,
  env: ServeEnv,
  extra: Record<string, MetadataValue> | undefined,
): Serve | undefined {
  if (!isRecord(raw)) return scope.error('invalid_type', '`rollout` must be an object', path);
  scope.onlyKeys(raw, ['bucketBy', 'salt', 'bucketing', 'split'], path);
  const options = bucketingOptions(raw, path, scope, env.flagKey);
  const split = raw.split;
  const splitPath = join(path, 'split');
  if (!Array.isArray(split) || split.length === 0) {
    return scope.error('invalid_split', '`split` must be a non-empty list of { variant, weight }', splitPath);
  }
  if (split.length > scope.limits.maxVariants) {
    return scope.error('too_many_variants', `more than ${scope.limits.maxVariants} entries`, splitPath);
  }
  if (options === undefined) return undefined;
  const flowline = options.bucketing === 'flowline';
  const variants: string[] = [];
  const weights: number[] = [];
  for (const [index, entry] of split.entries()) {
    const at = join(splitPath, index);
    if (!isRecord(entry)) {
      scope.error('invalid_type', 'a split entry is { variant, weight }', at);
      continue;
    }
    scope.onlyKeys(entry, ['variant', 'weight'], at);
    const variant = checkVariant(entry.variant, join(at, 'variant'), scope, env);
    const weight = flowline
      ? percentUnits(entry.weight, join(at, 'weight'), scope)
      : integerWeight(entry.weight, join(at, 'weight'), scope);
    if (variant !== undefined && weight !== undefined) {
      variants.push(variant);
      weights.push(weight);
    }
  }
  if (variants.length !== split.length) return undefined;
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (flowline && total !== FLOWLINE_BUCKETS) {
    return scope.error(
      'weights_sum',
      `split weights sum to ${total / 1000}%, not 100%`,
      splitPath,
      'make the percentages add up to exactly 100',
    );
  }
  if (!flowline && (total <= 0 || total > MAX_INT32)) {
    return scope.error(
      'weights_sum',
      `split weights sum to ${total}; it must be from 1 to ${MAX_INT32}`,
      splitPath,
    );
  }
  const bounds: number[] = [];
  let running = 0;
  for (const weight of weights) {
    running += weight;
    bounds.push(running);
  }
  const seed = options.bucketing === 'unleash' ? UNLEASH_VARIANT_SEED : 0;
  const bucket = bucketer(options.bucketing, options.salt, total, seed);
  const read = valueReader(
    options.bucketBy,
    options.bucketing === 'unleash' ? unleashVariantRandomId : randomId,
  );
  const results = variants.map((variant) => env.results.serve('SPLIT', variant, extra));
  const missing = missingValue(options.bucketBy, env);
  return (context, now) => {
    const value = read(context, now);
    if (value === undefined) return missing;
    return results[pick(bounds, bucket(value))] as EvaluationResult;
  };
}

function missingValue(bucketBy: string | readonly string[], env: ServeEnv): EvaluationResult {
  const names = typeof bucketBy === 'string' ? [bucketBy] : bucketBy;
  const list = names.map((name) => `\`${name}\``).join(' or ');
  if (names.length === 1 && names[0] === 'targetingKey') {
    return env.results.error(
      'TARGETING_KEY_MISSING',
      `flag \`${env.flagKey}\` splits users by targetingKey, which the context lacks`,
      env.defaultVariant,
    );
  }
  return env.results.error(
    'INVALID_CONTEXT',
    `flag \`${env.flagKey}\` splits users by ${list}, which the context lacks (or is not text or a number)`,
    env.defaultVariant,
  );
}

/** A percentage as an integer count of 0.001% units. */
function percentUnits(value: unknown, path: string, scope: CompileScope): number | undefined {
  if (typeof value !== 'number' || !(value >= 0 && value <= 100)) {
    return scope.error(
      'invalid_weight',
      `a weight is a percentage from 0 to 100, got ${describe(value)}`,
      path,
    );
  }
  const units = Math.round(value * 1000);
  if (Math.abs(value * 1000 - units) > 1e-6) {
    return scope.error(
      'weight_precision',
      `weight ${value} is finer than 0.001`,
      path,
      'round it to three decimals',
    );
  }
  return units;
}

function integerWeight(value: unknown, path: string, scope: CompileScope): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_INT32) return value;
  return scope.error('invalid_weight', `a weight here is a whole number ≥ 0, got ${describe(value)}`, path);
}
