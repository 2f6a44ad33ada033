import type {
  ConditionDefinition,
  MatchDefinition,
  Operator,
  RolloutDefinition,
  RuleValue,
} from '../engine/types.js';
import { Inexpressible } from '../migration.js';

/**
 * Translates flagd targeting (JsonLogic plus flagd's `fractional`, `sem_ver`, `starts_with`,
 * `ends_with`) into Flowline rules. What has no exact equivalent throws {@link Inexpressible},
 * and the importer reports the flag instead of changing its meaning.
 */

/** A condition, or a constant outcome (`true`/`false` literals in an `if`). */
export type Guard = MatchDefinition | 'always' | 'never';

/** Notes on corner cases where flagd's JsonLogic and Flowline differ (collected per flag). */
export interface LogicNotes {
  coercion: boolean;
  catMissing: boolean;
}

const COMPARISONS: Readonly<Record<string, Operator>> = { '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte' };
const FLIPPED: Readonly<Record<string, string>> = { '<': '>', '<=': '>=', '>': '<', '>=': '<=' };
const TIMESTAMP = '$flagd.timestamp';
const FLAG_KEY = '$flagd.flagKey';

function fail(message: string): never {
  throw new Inexpressible(message);
}

function operator(node: unknown): [string, unknown[]] | undefined {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
  const keys = Object.keys(node);
  if (keys.length !== 1) fail(`a JsonLogic operation has exactly one key, got ${keys.length}`);
  const op = keys[0] as string;
  const raw = (node as Record<string, unknown>)[op];
  return [op, Array.isArray(raw) ? raw : [raw]];
}

/** The attribute named by `{"var": "x"}` / `{"var": ["x"]}`, or undefined for anything else. */
export function varName(node: unknown): string | undefined {
  const found = operator(node);
  if (found === undefined || found[0] !== 'var') return undefined;
  const [, args] = found;
  if (args.length !== 1 || typeof args[0] !== 'string' || args[0] === '') {
    fail('`var` with a default value or a non-text path');
  }
  return args[0];
}

function isLiteral(value: unknown): value is RuleValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Splits a binary operation into its attribute and its literal, noting whether they were swapped. */
function attributeAndLiteral(
  args: unknown[],
  what: string,
): { attribute: string; literal: unknown; swapped: boolean } {
  if (args.length !== 2) fail(`\`${what}\` with ${args.length} arguments`);
  const left = varName(args[0]);
  const right = varName(args[1]);
  if (left !== undefined && right === undefined) return { attribute: left, literal: args[1], swapped: false };
  if (right !== undefined && left === undefined) return { attribute: right, literal: args[0], swapped: true };
  return fail(`\`${what}\` must compare one attribute with one literal value`);
}

function condition(attribute: string, op: Operator, value: RuleValue): ConditionDefinition {
  if (attribute === FLAG_KEY) fail('a condition on `$flagd.flagKey`');
  return { attribute, op, values: [value] };
}

/** Translates a JsonLogic expression used as a condition (its truthiness). */
export function guard(node: unknown, notes: LogicNotes): Guard {
  if (node === true) return 'always';
  if (node === false || node === null) return 'never';
  const found = operator(node);
  if (found === undefined) fail(`the condition ${JSON.stringify(node)} is not an operation`);
  const [op, args] = found;
  switch (op) {
    case 'and':
    case 'or': {
      const parts = args.map((arg) => guard(arg, notes));
      const absorbing = op === 'and' ? 'never' : 'always';
      if (parts.includes(absorbing)) return absorbing;
      const rest = parts.filter((part): part is MatchDefinition => typeof part !== 'string');
      if (rest.length === 0) return op === 'and' ? 'always' : 'never';
      if (rest.length === 1) return rest[0] as MatchDefinition;
      return op === 'and' ? { all: rest } : { any: rest };
    }
    case '!': {
      const inner = guard(args[0], notes);
      if (inner === 'always') return 'never';
      if (inner === 'never') return 'always';
      return { not: inner };
    }
    case '==':
    case '===':
    case '!=':
    case '!==': {
      const { attribute, literal } = attributeAndLiteral(args, op);
      if (!isLiteral(literal)) fail(`\`${op}\` with ${JSON.stringify(literal)}`);
      notes.coercion = true;
      const equals = condition(attribute, 'equals', literal);
      return op.startsWith('!') ? { not: equals } : equals;
    }
    case 'in': {
      if (args.length !== 2) fail('`in` with other than two arguments');
      const attribute = varName(args[0]);
      const container = varName(args[1]);
      if (attribute !== undefined && Array.isArray(args[1]) && args[1].every(isLiteral)) {
        notes.coercion = true;
        if (args[1].length === 0) return 'never';
        return { attribute, op: 'in', values: args[1] as RuleValue[] };
      }
      if (container !== undefined && typeof args[0] === 'string') {
        return condition(container, 'contains', args[0]);
      }
      return fail('`in` must test an attribute against a list, or a text inside an attribute');
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return comparison(op, args, notes);
    case 'starts_with':
    case 'ends_with': {
      const { attribute, literal, swapped } = attributeAndLiteral(args, op);
      if (swapped || typeof literal !== 'string') fail(`\`${op}\` must take an attribute and then a text`);
      return condition(attribute, op === 'starts_with' ? 'startsWith' : 'endsWith', literal);
    }
    case 'sem_ver':
      return semver(args);
    default:
      return fail(`the operation \`${op}\` has no Flowline equivalent`);
  }
}

function comparison(op: string, args: unknown[], notes: LogicNotes): Guard {
  if (args.length === 3) {
    // {"<": [a, {"var": x}, b]}: a < x < b
    const attribute = varName(args[1]);
    if (attribute === undefined || typeof args[0] !== 'number' || typeof args[2] !== 'number') {
      fail(`\`${op}\` with three arguments must be number, attribute, number`);
    }
    return {
      all: [
        comparison(FLIPPED[op] as string, [args[1], args[0]], notes),
        comparison(op, [args[1], args[2]], notes),
      ] as MatchDefinition[],
    };
  }
  const { attribute, literal, swapped } = attributeAndLiteral(args, op);
  if (typeof literal !== 'number' || !Number.isFinite(literal))
    fail(`\`${op}\` compares with ${JSON.stringify(literal)}, not a number`);
  const effective = swapped ? (FLIPPED[op] as string) : op;
  if (attribute === TIMESTAMP) return timestamp(effective, literal);
  notes.coercion = true;
  return condition(attribute, COMPARISONS[effective] as Operator, literal);
}

/**
 * `$flagd.timestamp` is `floor(now / 1000)`: comparisons with it become exact `before`/`after`
 * tests on the evaluation time (`$now`, in milliseconds).
 */
function timestamp(op: string, seconds: number): Guard {
  switch (op) {
    case '>': // ts > n  ⇔  now ≥ (floor(n) + 1) s
      return { attribute: '$now', op: 'after', values: [(Math.floor(seconds) + 1) * 1000 - 1] };
    case '>=': // ts ≥ n  ⇔  now ≥ ceil(n) s
      return { attribute: '$now', op: 'after', values: [Math.ceil(seconds) * 1000 - 1] };
    case '<': // ts < n  ⇔  now < ceil(n) s
      return { attribute: '$now', op: 'before', values: [Math.ceil(seconds) * 1000] };
    default: // ts ≤ n  ⇔  now < (floor(n) + 1) s
      return { attribute: '$now', op: 'before', values: [(Math.floor(seconds) + 1) * 1000] };
  }
}

const SEMVER_OPS: Readonly<Record<string, Operator>> = {
  '=': 'semverEq',
  '<': 'semverLt',
  '<=': 'semverLte',
  '>': 'semverGt',
  '>=': 'semverGte',
};

function semver(args: unknown[]): Guard {
  if (args.length !== 3) fail('`sem_ver` takes an attribute, an operator and a version');
  const attribute = varName(args[0]);
  const op = args[1];
  const version = args[2];
  if (
    attribute === undefined ||
    typeof op !== 'string' ||
    (typeof version !== 'string' && typeof version !== 'number')
  ) {
    fail('`sem_ver` must be [attribute, operator, version]');
  }
  const text = String(version).replace(/^[vV]/, '');
  const parts = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:[-+].*)?$/.exec(text);
  if (parts === null) fail(`\`sem_ver\` version ${JSON.stringify(version)}`);
  const major = Number(parts[1]);
  const minor = Number(parts[2] ?? 0);
  const range = (from: string, to: string): MatchDefinition => ({
    all: [condition(attribute, 'semverGte', from), condition(attribute, 'semverLt', to)],
  });
  switch (op) {
    case '^':
      return range(`${major}.0.0-0`, `${major + 1}.0.0-0`);
    case '~':
      return range(`${major}.${minor}.0-0`, `${major}.${minor + 1}.0-0`);
    case '!=':
      return { any: [condition(attribute, 'semverLt', text), condition(attribute, 'semverGt', text)] };
    default: {
      const mapped = SEMVER_OPS[op];
      if (mapped === undefined) fail(`\`sem_ver\` operator ${JSON.stringify(op)}`);
      return condition(attribute, mapped, text);
    }
  }
}

/**
 * `fractional`: `[bucketBy?, [variant, weight?]…]`. Without a bucketBy expression flagd hashes
 * `flagKey + targetingKey`; `{"var": x}` hashes x; `{"cat": [..., {"var": x}]}` hashes the
 * concatenation (literal texts and `$flagd.flagKey` become the salt).
 */
export function fractional(
  args: unknown[],
  flagKey: string,
  defaultVariant: string,
  notes: LogicNotes,
): RolloutDefinition {
  let bucketBy = 'targetingKey';
  let salt = flagKey;
  let buckets = args;
  if (args.length > 0 && !Array.isArray(args[0])) {
    buckets = args.slice(1);
    const single = varName(args[0]);
    if (single !== undefined) {
      bucketBy = single;
      salt = '';
    } else {
      const cat = operator(args[0]);
      if (cat === undefined || cat[0] !== 'cat')
        fail('`fractional` hashes an expression other than `var` or `cat`');
      const parts = cat[1];
      const last = varName(parts.at(-1));
      if (last === undefined) fail('`fractional` `cat` must end with an attribute');
      salt = parts
        .slice(0, -1)
        .map((part) => {
          if (typeof part === 'string') return part;
          if (varName(part) === FLAG_KEY) return flagKey;
          return fail('`fractional` `cat` mixes attributes');
        })
        .join('');
      bucketBy = last;
      notes.catMissing = true;
    }
  }
  if (buckets.length === 0) fail('`fractional` without buckets');
  const split = buckets.map((bucket) => {
    if (!Array.isArray(bucket) || bucket.length === 0 || bucket.length > 2)
      fail('a `fractional` bucket is [variant, weight]');
    const [variant, weight = 1] = bucket as [unknown, unknown];
    if (typeof weight !== 'number' || !Number.isInteger(weight))
      fail('a `fractional` weight that is not a whole number');
    let name: string;
    if (variant === null) name = defaultVariant;
    else if (isLiteral(variant)) name = String(variant);
    else return fail('a `fractional` variant that is computed');
    return { variant: name, weight: Math.max(0, weight) };
  });
  return { bucketing: 'flagd', bucketBy, salt, split };
}

/** Resolves `{"$ref": name}` against `$evaluators`, as flagd does before parsing. */
export function resolveRefs(
  node: unknown,
  evaluators: Readonly<Record<string, unknown>>,
  depth = 0,
): unknown {
  if (depth > 32) fail('`$ref`s nested deeper than 32 (a cycle?)');
  if (Array.isArray(node)) return node.map((item) => resolveRefs(item, evaluators, depth + 1));
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && keys[0] === '$ref') {
    const name = record.$ref;
    if (typeof name !== 'string' || !Object.hasOwn(evaluators, name))
      fail(`unknown evaluator \`${String(name)}\``);
    return resolveRefs(evaluators[name], evaluators, depth + 1);
  }
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    Object.defineProperty(out, key, {
      value: resolveRefs(record[key], evaluators, depth + 1),
      enumerable: true,
    });
  }
  return out;
}
