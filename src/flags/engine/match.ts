import { bucketer, FLOWLINE_BUCKETS, unleashRolloutRandomId, valueReader } from './bucketing.js';
import { type CompileScope, describe, isRecord, join } from './check.js';
import { compileCondition, type Predicate } from './conditions.js';
import { suggest } from './suggest.js';
import type { Bucketing } from './types.js';

/** Compiles `when` expressions (conditions, all/any/not, segment references, percentages). */

export interface MatchEnv {
  readonly flagKey: string;
  /** Compiled segments (null: it has errors); undefined while compiling a segment (they cannot nest). */
  readonly segments: ReadonlyMap<string, Predicate | null> | undefined;
}

export const BUCKETINGS: readonly Bucketing[] = ['flowline', 'flagd', 'unleash'];
const PERCENTAGE_KEYS = ['percentage', 'bucketBy', 'salt', 'bucketing'];

export function compileMatch(
  raw: unknown,
  path: string,
  scope: CompileScope,
  env: MatchEnv,
  depth = 0,
): Predicate | undefined {
  if (!isRecord(raw)) {
    return scope.error('invalid_type', `a match must be an object, got ${describe(raw)}`, path);
  }
  if (depth > scope.limits.maxDepth) {
    return scope.error(
      'too_deep',
      `\`all\`/\`any\`/\`not\` nested deeper than ${scope.limits.maxDepth}`,
      path,
      'flatten the expression or move part of it into a segment',
    );
  }
  if (!scope.countCondition(path)) return undefined;
  if ('attribute' in raw || 'op' in raw) return compileCondition(raw, path, scope);
  if ('all' in raw || 'any' in raw) {
    const key = 'all' in raw ? 'all' : 'any';
    scope.onlyKeys(raw, [key], path);
    const list = raw[key];
    if (!Array.isArray(list) || list.length === 0) {
      return scope.error('invalid_type', `\`${key}\` must be a non-empty list`, join(path, key));
    }
    const parts = list.map((item, index) =>
      compileMatch(item, join(join(path, key), index), scope, env, depth + 1),
    );
    if (parts.some((part) => part === undefined)) return undefined;
    return key === 'all' ? allOf(parts as Predicate[]) : anyOf(parts as Predicate[]);
  }
  if ('not' in raw) {
    scope.onlyKeys(raw, ['not'], path);
    const inner = compileMatch(raw.not, join(path, 'not'), scope, env, depth + 1);
    return inner === undefined ? undefined : (context, now) => !inner(context, now);
  }
  if ('segment' in raw) {
    scope.onlyKeys(raw, ['segment'], path);
    const name = raw.segment;
    const at = join(path, 'segment');
    if (env.segments === undefined) {
      return scope.error('segment_in_segment', 'a segment cannot refer to another segment', at);
    }
    if (typeof name !== 'string') return scope.error('invalid_type', '`segment` must be a name', at);
    const segment = env.segments.get(name);
    if (segment === null) {
      return scope.error(
        'invalid_segment',
        `segment \`${name}\` has errors`,
        at,
        `fix \`segments.${name}\` first`,
      );
    }
    if (segment === undefined) {
      return scope.error(
        'unknown_segment',
        `segment \`${name}\` is not defined`,
        at,
        suggest(name, [...env.segments.keys()], 'defined segments'),
      );
    }
    return segment;
  }
  if ('percentage' in raw) return compilePercentage(raw, path, scope, env);
  return scope.error(
    'invalid_match',
    'a match needs `attribute`/`op`/`values`, `all`, `any`, `not`, `segment` or `percentage`',
    path,
  );
}

function compilePercentage(
  raw: Record<string, unknown>,
  path: string,
  scope: CompileScope,
  env: MatchEnv,
): Predicate | undefined {
  scope.onlyKeys(raw, PERCENTAGE_KEYS, path);
  const options = bucketingOptions(raw, path, scope, env.flagKey);
  const percentage = raw.percentage;
  const at = join(path, 'percentage');
  if (typeof percentage !== 'number' || !(percentage >= 0 && percentage <= 100)) {
    return scope.error('invalid_percentage', `percentage must be a number from 0 to 100`, at);
  }
  if (options === undefined) return undefined;
  if (options.bucketing === 'unleash') {
    const read = valueReader(options.bucketBy, unleashRolloutRandomId);
    // unleash-client: `percentage > 0 && (hash % 100) + 1 <= percentage`.
    const bucket = bucketer('unleash', options.salt, 100);
    return (context, now) => {
      const value = read(context, now);
      return value !== undefined && percentage > 0 && bucket(value) + 1 <= percentage;
    };
  }
  const units = Math.round(percentage * 1000);
  if (Math.abs(percentage * 1000 - units) > 1e-6) {
    return scope.error('weight_precision', `percentage ${percentage} is finer than 0.001`, at);
  }
  const bucket = bucketer(options.bucketing, options.salt, FLOWLINE_BUCKETS);
  const read = valueReader(options.bucketBy);
  return (context, now) => {
    const value = read(context, now);
    return value !== undefined && bucket(value) < units;
  };
}

export interface BucketingOptions {
  readonly bucketing: Bucketing;
  readonly bucketBy: string | readonly string[];
  readonly salt: string;
}

/** Reads `bucketing`, `bucketBy` and `salt` (shared by percentages and splits). */
export function bucketingOptions(
  raw: Record<string, unknown>,
  path: string,
  scope: CompileScope,
  flagKey: string,
): BucketingOptions | undefined {
  const bucketing = raw.bucketing ?? 'flowline';
  if (!BUCKETINGS.includes(bucketing as Bucketing)) {
    return scope.error(
      'invalid_bucketing',
      `unknown bucketing ${describe(bucketing)}`,
      join(path, 'bucketing'),
      `use one of ${BUCKETINGS.join(', ')}`,
    );
  }
  const rawBy = raw.bucketBy ?? 'targetingKey';
  const byPath = join(path, 'bucketBy');
  let bucketBy: string | readonly string[] | undefined;
  if (Array.isArray(rawBy) && rawBy.length > 0) {
    const names = rawBy.map((name, index) => scope.text(name, join(byPath, index), 'an attribute'));
    bucketBy = names.every((name) => name !== undefined) ? (names as string[]) : undefined;
  } else {
    bucketBy = scope.text(rawBy, byPath, '`bucketBy`');
  }
  const salt = raw.salt ?? flagKey;
  if (typeof salt !== 'string' || salt.length > scope.limits.maxStringLength) {
    return scope.error('invalid_type', '`salt` must be a string', join(path, 'salt'));
  }
  if (bucketBy === undefined) return undefined;
  return { bucketing: bucketing as Bucketing, bucketBy, salt };
}

function allOf(parts: readonly Predicate[]): Predicate {
  if (parts.length === 1) return parts[0] as Predicate;
  if (parts.length === 2) {
    const [a, b] = parts as [Predicate, Predicate];
    return (context, now) => a(context, now) && b(context, now);
  }
  return (context, now) => {
    for (const part of parts) if (!part(context, now)) return false;
    return true;
  };
}

function anyOf(parts: readonly Predicate[]): Predicate {
  if (parts.length === 1) return parts[0] as Predicate;
  if (parts.length === 2) {
    const [a, b] = parts as [Predicate, Predicate];
    return (context, now) => a(context, now) || b(context, now);
  }
  return (context, now) => {
    for (const part of parts) if (part(context, now)) return true;
    return false;
  };
}
