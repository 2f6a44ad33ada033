import { flagdJsHash, scaleToBuckets } from './hash.js';
import { compareLogicVersions, logicVersion } from './logic-semver.js';
import type { LogicState } from './logic-types.js';

/**
 * flagd's own operations (`fractional`, `sem_ver`, `starts_with`, `ends_with`) as
 * `@openfeature/flagd-core` defines them. Each answers null where flagd-core logs "invalid
 * configuration", which makes the flag serve its default variant.
 */

export type Custom = (args: readonly unknown[], state: LogicState) => unknown;

const MAX_WEIGHT = 2147483647;

function fractional(args: readonly unknown[], state: LogicState): unknown {
  if (args.length < 1) return null;
  let bucketBy: string;
  let buckets: readonly unknown[];
  if (typeof args[0] === 'string') {
    bucketBy = args[0];
    buckets = args.slice(1);
  } else {
    const context = state.context;
    const key = Object.hasOwn(context, 'targetingKey') ? context.targetingKey : undefined;
    if (!key) return null;
    bucketBy = `${state.flagd.flagKey}${String(key)}`;
    buckets = args;
  }
  const variants: unknown[] = [];
  const weights: number[] = [];
  let total = 0;
  for (const entry of buckets) {
    if (!Array.isArray(entry) || entry.length === 0 || entry.length > 2) return null;
    const name: unknown = entry[0];
    if (typeof name === 'string' || typeof name === 'number' || typeof name === 'boolean')
      variants.push(name);
    else if (name === null || name === undefined) variants.push(null);
    else return null;
    let weight = 1;
    if (entry.length === 2) {
      const raw: unknown = entry[1];
      if (typeof raw !== 'number' || !Number.isInteger(raw)) return null;
      weight = Math.max(0, raw);
    }
    weights.push(weight);
    total += weight;
  }
  if (total > MAX_WEIGHT) return null;
  const bucket = scaleToBuckets(flagdJsHash(bucketBy) >>> 0, total);
  let sum = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += weights[i] as number;
    if (sum > bucket) return variants[i];
  }
  return null;
}

function semVer(args: readonly unknown[]): unknown {
  if (args.length !== 3) return null;
  const a = logicVersion(args[0]);
  const b = logicVersion(args[2]);
  if (a === undefined || b === undefined) return null;
  const order = compareLogicVersions(a, b);
  switch (String(args[1])) {
    case '=':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>=':
      return order >= 0;
    case '>':
      return order > 0;
    case '^':
      return a.major === b.major;
    case '~':
      return a.major === b.major && a.minor === b.minor;
    default:
      return null;
  }
}

function textTest(ends: boolean): Custom {
  return (args) => {
    const [text, affix] = args;
    if (args.length !== 2 || typeof text !== 'string' || typeof affix !== 'string') return null;
    return ends ? text.endsWith(affix) : text.startsWith(affix);
  };
}

export const CUSTOM: Readonly<Record<string, Custom>> = Object.freeze({
  fractional,
  sem_ver: semVer,
  starts_with: textTest(false),
  ends_with: textTest(true),
});
