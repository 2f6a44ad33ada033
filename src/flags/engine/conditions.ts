import { type CompileScope, describe, join } from './check.js';
import { type IpRange, inRange, parseIpRange } from './cidr.js';
import { MAX_REGEX_INPUT, regexProblem } from './regex.js';
import { compareSemVer, parseSemVer, type SemVer } from './semver.js';
import { OPERATORS, type Operator, SINGLE_VALUE_OPERATORS } from './types.js';
import {
  attributeGetter,
  type Context,
  canonical,
  type Getter,
  NOW_ATTRIBUTE,
  toNumber,
  toTime,
} from './values.js';

/**
 * Conditions compiled into closures: values are parsed once (a Set for `in`, RegExp objects,
 * parsed versions and dates), so an evaluation only reads the attribute and compares.
 */

export type Predicate = (context: Context, now: number) => boolean;

const STRING_OPS = new Set<Operator>([
  'equals',
  'notEquals',
  'in',
  'notIn',
  'contains',
  'startsWith',
  'endsWith',
]);
const CONDITION_KEYS = ['attribute', 'op', 'values', 'ignoreCase'];

export function compileCondition(
  raw: Record<string, unknown>,
  path: string,
  scope: CompileScope,
): Predicate | undefined {
  scope.onlyKeys(raw, CONDITION_KEYS, path);
  const attribute = scope.text(raw.attribute, join(path, 'attribute'), '`attribute`');
  const op = raw.op as Operator;
  if (!OPERATORS.includes(op)) {
    return scope.error(
      'unknown_operator',
      `unknown operator ${describe(raw.op)}`,
      join(path, 'op'),
      `use one of ${OPERATORS.join(', ')}`,
    );
  }
  const ignoreCase = raw.ignoreCase ?? false;
  if (typeof ignoreCase !== 'boolean') {
    return scope.error('invalid_type', '`ignoreCase` must be true or false', join(path, 'ignoreCase'));
  }
  const values = raw.values;
  const valuesPath = join(path, 'values');
  if (!Array.isArray(values) || values.length === 0) {
    return scope.error('invalid_values', '`values` must be a non-empty list', valuesPath);
  }
  if (values.length > scope.limits.maxValuesPerCondition) {
    return scope.error(
      'too_many_values',
      `${values.length} values, more than ${scope.limits.maxValuesPerCondition}`,
      valuesPath,
      'move long lists of user ids into a segment',
    );
  }
  if (SINGLE_VALUE_OPERATORS.has(op) && values.length > 1) {
    return scope.error(
      'too_many_values',
      `\`${op}\` compares with one value, got ${values.length}`,
      valuesPath,
      op === 'equals' ? 'use `op: in` to match any of several values' : 'keep one value',
    );
  }
  if (attribute === undefined) return undefined;
  if (attribute === NOW_ATTRIBUTE && op !== 'before' && op !== 'after') {
    return scope.error(
      'invalid_attribute',
      `\`${NOW_ATTRIBUTE}\` (the evaluation time) only works with \`before\` and \`after\``,
      join(path, 'attribute'),
    );
  }
  if (attribute === NOW_ATTRIBUTE) scope.usesNow = true;
  const parsed = parseValues(op, values, valuesPath, scope, ignoreCase);
  if (parsed === undefined) return undefined;
  return build(op, attributeGetter(attribute), parsed, ignoreCase);
}

type Parsed = string[] | number[] | SemVer[] | RegExp[] | IpRange[];

function parseValues(
  op: Operator,
  values: readonly unknown[],
  path: string,
  scope: CompileScope,
  ignoreCase: boolean,
): Parsed | undefined {
  const out: unknown[] = [];
  let ok = true;
  values.forEach((value, index) => {
    const at = join(path, index);
    const parsed = parseValue(op, value, at, scope, ignoreCase);
    if (parsed === undefined) ok = false;
    else out.push(parsed);
  });
  return ok ? (out as Parsed) : undefined;
}

function parseValue(
  op: Operator,
  value: unknown,
  path: string,
  scope: CompileScope,
  ignoreCase: boolean,
): string | number | SemVer | RegExp | IpRange | undefined {
  if (typeof value === 'string' && value.length > scope.limits.maxStringLength) {
    return scope.error('too_long', `a value longer than ${scope.limits.maxStringLength} characters`, path);
  }
  if (STRING_OPS.has(op)) {
    const text = canonical(value);
    if (text === undefined) {
      return scope.error('invalid_value', `\`${op}\` compares text; got ${describe(value)}`, path);
    }
    return ignoreCase ? text.toLowerCase() : text;
  }
  if (op === 'matches') {
    if (typeof value !== 'string') {
      return scope.error('invalid_regex', '`matches` takes regular expressions', path, 'quote the pattern');
    }
    const flags = ignoreCase ? 'i' : '';
    const problem = regexProblem(value, flags);
    if (problem !== undefined) return scope.error(problem.code, problem.message, path, problem.hint);
    return new RegExp(value, flags);
  }
  if (op === 'inCidr') {
    const range = typeof value === 'string' ? parseIpRange(value) : undefined;
    if (range !== undefined) return range;
    return scope.error(
      'invalid_cidr',
      `${describe(value)} is not an IP address or CIDR range`,
      path,
      'write e.g. `10.0.0.0/8`, `192.168.1.7` or `2001:db8::/32`',
    );
  }
  if (op === 'lt' || op === 'lte' || op === 'gt' || op === 'gte') {
    if (typeof value === 'number' && Number.isFinite(value)) return value;
    const quoted = typeof value === 'string' && toNumber(value) !== undefined;
    return scope.error(
      'invalid_number',
      `\`${op}\` compares numbers; ${describe(value)} is not a number`,
      path,
      quoted ? 'remove the quotes' : 'use a number, or `semverLt`/`before` for versions and dates',
    );
  }
  if (op === 'before' || op === 'after') {
    const time = typeof value === 'string' || typeof value === 'number' ? toTime(value) : undefined;
    if (time !== undefined) return time;
    return scope.error(
      'invalid_date',
      `${describe(value)} is not an ISO 8601 date`,
      path,
      'write `2026-12-31` or `2026-12-31T09:00:00Z`, or epoch milliseconds',
    );
  }
  const version = parseSemVer(value);
  if (version !== undefined) return version;
  return scope.error(
    'invalid_semver',
    `${describe(value)} is not a semantic version`,
    path,
    'write `MAJOR.MINOR.PATCH`, e.g. `"2.4.0"` (quoted)',
  );
}

function build(op: Operator, get: Getter, values: Parsed, ignoreCase: boolean): Predicate {
  const text: (context: Context, now: number) => string | undefined = ignoreCase
    ? (context, now) => canonical(get(context, now))?.toLowerCase()
    : (context, now) => {
        const value = get(context, now);
        return typeof value === 'string' ? value : canonical(value);
      };
  switch (op) {
    case 'equals': {
      const expected = values[0] as string;
      return (context, now) => text(context, now) === expected;
    }
    case 'notEquals': {
      const expected = values[0] as string;
      return (context, now) => {
        const value = text(context, now);
        return value !== undefined && value !== expected;
      };
    }
    case 'in': {
      const set = new Set(values as string[]);
      return (context, now) => {
        const value = text(context, now);
        return value !== undefined && set.has(value);
      };
    }
    case 'notIn': {
      const set = new Set(values as string[]);
      return (context, now) => {
        const value = text(context, now);
        return value !== undefined && !set.has(value);
      };
    }
    case 'contains':
      return anyString(text, values as string[], (value, part) => value.includes(part));
    case 'startsWith':
      return anyString(text, values as string[], (value, part) => value.startsWith(part));
    case 'endsWith':
      return anyString(text, values as string[], (value, part) => value.endsWith(part));
    case 'matches': {
      const patterns = values as RegExp[];
      return (context, now) => {
        const value = canonical(get(context, now));
        if (value === undefined || value.length > MAX_REGEX_INPUT) return false;
        for (const pattern of patterns) if (pattern.test(value)) return true;
        return false;
      };
    }
    case 'inCidr': {
      const ranges = values as IpRange[];
      return (context, now) => {
        const value = get(context, now);
        const address = typeof value === 'string' ? parseIpRange(value) : undefined;
        if (address === undefined) return false;
        for (const range of ranges) if (inRange(address, range)) return true;
        return false;
      };
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return compare(op, values[0] as number, (context, now) => toNumber(get(context, now)));
    case 'before':
      return compare('lt', values[0] as number, (context, now) => toTime(get(context, now)));
    case 'after':
      return compare('gt', values[0] as number, (context, now) => toTime(get(context, now)));
    default: {
      const expected = values[0] as SemVer;
      const test = SEMVER_TESTS[op as keyof typeof SEMVER_TESTS];
      return (context, now) => {
        const version = parseSemVer(get(context, now));
        return version !== undefined && test(compareSemVer(version, expected));
      };
    }
  }
}

const SEMVER_TESTS: Record<
  'semverEq' | 'semverLt' | 'semverLte' | 'semverGt' | 'semverGte',
  (order: number) => boolean
> = {
  semverEq: (order) => order === 0,
  semverLt: (order) => order < 0,
  semverLte: (order) => order <= 0,
  semverGt: (order) => order > 0,
  semverGte: (order) => order >= 0,
};

function anyString(
  text: (context: Context, now: number) => string | undefined,
  parts: readonly string[],
  test: (value: string, part: string) => boolean,
): Predicate {
  if (parts.length === 1) {
    const part = parts[0] as string;
    return (context, now) => {
      const value = text(context, now);
      return value !== undefined && test(value, part);
    };
  }
  return (context, now) => {
    const value = text(context, now);
    if (value === undefined) return false;
    for (const part of parts) if (test(value, part)) return true;
    return false;
  };
}

function compare(
  op: 'lt' | 'lte' | 'gt' | 'gte',
  bound: number,
  read: (context: Context, now: number) => number | undefined,
): Predicate {
  switch (op) {
    case 'lt':
      return (context, now) => {
        const value = read(context, now);
        return value !== undefined && value < bound;
      };
    case 'lte':
      return (context, now) => {
        const value = read(context, now);
        return value !== undefined && value <= bound;
      };
    case 'gt':
      return (context, now) => {
        const value = read(context, now);
        return value !== undefined && value > bound;
      };
    default:
      return (context, now) => {
        const value = read(context, now);
        return value !== undefined && value >= bound;
      };
  }
}
