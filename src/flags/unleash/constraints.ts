import { parseIpRange } from '../engine/cidr.js';
import { regexProblem } from '../engine/regex.js';
import type { BucketBy, MatchDefinition } from '../engine/types.js';
import { toTime } from '../engine/values.js';
import { Inexpressible } from '../migration.js';
import { translateRe2 } from './regex.js';

/**
 * Unleash constraints as Flowline matches, reproducing unleash-client's semantics (its
 * lib/strategy/strategy.js): values are cleaned (empty ones dropped, then trimmed), a missing
 * attribute makes every operator false before `inverted` (so NOT_IN and inverted constraints are
 * true for it), and an operator that cannot read its own value is false.
 */

/** Matches nobody: a bucket is never below 0. */
export const NEVER: MatchDefinition = { percentage: 0 };
export const ALWAYS: MatchDefinition = { not: NEVER };

/** Unleash's `userId` is OpenFeature's targeting key; other context fields keep their names. */
export function attributeOf(contextName: string): string {
  return contextName === 'userId' ? 'targetingKey' : contextName;
}

/** Where unleash-client falls back to a random id when the stickiness attributes are missing. */
export const RANDOM = '$random';
/** Unleash's default stickiness for variants: userId, then sessionId, then remoteAddress, then random. */
export const DEFAULT_VARIANT_STICKINESS: BucketBy = ['targetingKey', 'sessionId', 'remoteAddress', RANDOM];
/** …and for flexibleRollout: userId, then sessionId, then random. */
export const DEFAULT_ROLLOUT_STICKINESS: BucketBy = ['targetingKey', 'sessionId', RANDOM];

/** Corner cases met while translating one feature, reported once per feature as import notes. */
export type ConstraintNotes = Set<string>;

// `semver.valid` (what Unleash checks, plus "no leading v"), in two patterns the regex safety
// check accepts: the shape, then what semver refuses inside it (empty identifiers, numeric
// identifiers with leading zeros).
export const SEMVER_SHAPE =
  '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$';
export const SEMVER_FLAW =
  '^[0-9.]*-(\\.|[^+]*\\.\\.|[^+]*\\.(\\+|$)|([^+]*\\.)?0\\d+(\\.|\\+|$))|\\+(\\.|.*\\.\\.|.*\\.$)';
const isStrictSemver = (text: string): boolean =>
  new RegExp(SEMVER_SHAPE).test(text) && !new RegExp(SEMVER_FLAW).test(text);
// JavaScript's \s is exactly the white space `Number()` skips, so this is "Number() reads 0".
const BLANK = '^\\s*$';
const EARLIEST = -8.64e15;

/** One constraint as a match; throws {@link Inexpressible} when it has no exact equivalent. */
export function constraint(raw: unknown, notes: ConstraintNotes): MatchDefinition {
  if (typeof raw !== 'object' || raw === null) return NEVER; // unleash-client: a null constraint fails
  const c = raw as Record<string, unknown>;
  const test = positive(c, notes);
  return c.inverted === true ? { not: test } : test;
}

function cleanValues(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((v): v is string => typeof v === 'string' && v !== '').map((v) => v.trim());
}

function positive(c: Record<string, unknown>, notes: ConstraintNotes): MatchDefinition {
  const operator = String(c.operator);
  if (operator === 'DATE_AFTER' || operator === 'DATE_BEFORE') return date(operator, c.value, notes);
  if (typeof c.contextName !== 'string' || c.contextName === '')
    throw new Inexpressible(`a ${operator} constraint without contextName`);
  const attribute = attributeOf(c.contextName);
  if (c.contextName === 'appName' || c.contextName === 'environment')
    notes.add(
      `constraints on \`${c.contextName}\`: unleash-client fills it from its own configuration; here the app must pass it in the context`,
    );
  const values = cleanValues(c.values);
  const ignoreCase = c.caseInsensitive === true;
  switch (operator) {
    case 'IN':
    case 'NOT_IN': {
      const test: MatchDefinition = values.length === 0 ? NEVER : { attribute, op: 'in', values };
      return operator === 'IN' ? test : { not: test };
    }
    case 'STR_CONTAINS':
    case 'STR_STARTS_WITH':
    case 'STR_ENDS_WITH': {
      if (values.length === 0) return NEVER;
      const op =
        operator === 'STR_CONTAINS' ? 'contains' : operator === 'STR_STARTS_WITH' ? 'startsWith' : 'endsWith';
      return { attribute, op, values, ...(ignoreCase ? { ignoreCase } : {}) };
    }
    case 'NUM_EQ':
    case 'NUM_LT':
    case 'NUM_LTE':
    case 'NUM_GT':
    case 'NUM_GTE':
      return number(operator, attribute, c.value);
    case 'SEMVER_EQ':
    case 'SEMVER_LT':
    case 'SEMVER_LTE':
    case 'SEMVER_GT':
    case 'SEMVER_GTE': {
      // semver reads the constraint value trimmed, with an optional leading `v` (only the context's
      // value must not have one), and throws on an invalid one, which unleash-client reads as false.
      const value = typeof c.value === 'string' ? c.value.trim().replace(/^v/, '') : '';
      if (!isStrictSemver(value)) return NEVER;
      const op = {
        SEMVER_EQ: 'semverEq',
        SEMVER_LT: 'semverLt',
        SEMVER_LTE: 'semverLte',
        SEMVER_GT: 'semverGt',
        SEMVER_GTE: 'semverGte',
      }[operator] as 'semverEq';
      return {
        all: [
          { attribute, op: 'matches', values: [SEMVER_SHAPE] },
          { not: { attribute, op: 'matches', values: [SEMVER_FLAW] } },
          { attribute, op, values: [value] },
        ],
      };
    }
    case 'REGEX':
      return regex(attribute, c.value, ignoreCase, notes);
    case 'IN_CIDR':
      return cidr(attribute, values);
    default:
      throw new Inexpressible(
        `the constraint operator ${operator}, which unleash-client does not know (it evaluates the constraint as false)`,
      );
  }
}

/** unleash-client: `Number(attribute) <op> Number(value)`, false when either is NaN. */
function number(operator: string, attribute: string, raw: unknown): MatchDefinition {
  const value = Number(raw);
  if (Number.isNaN(value)) return NEVER;
  if (!Number.isFinite(value)) throw new Inexpressible(`${operator} with the value ${String(raw)}`);
  const op = { NUM_EQ: 'equals', NUM_LT: 'lt', NUM_LTE: 'lte', NUM_GT: 'gt', NUM_GTE: 'gte' }[operator];
  const test: MatchDefinition =
    op === 'equals'
      ? {
          all: [
            { attribute, op: 'gte', values: [value] },
            { attribute, op: 'lte', values: [value] },
          ],
        }
      : { attribute, op: op as 'lt', values: [value] };
  const zeroPasses = {
    NUM_EQ: 0 === value,
    NUM_LT: 0 < value,
    NUM_LTE: 0 <= value,
    NUM_GT: 0 > value,
    NUM_GTE: 0 >= value,
  }[operator];
  // Number('') and Number('  ') are 0 in JavaScript, so Unleash compares an empty attribute as 0.
  return zeroPasses ? { any: [test, { attribute, op: 'matches', values: [BLANK] }] } : test;
}

/**
 * unleash-client: `currentTime > value` (DATE_AFTER) with `currentTime` from the context when it is
 * set, else now. A value `new Date` cannot read makes the constraint false.
 */
function date(operator: 'DATE_AFTER' | 'DATE_BEFORE', raw: unknown, notes: ConstraintNotes): MatchDefinition {
  const text = typeof raw === 'string' || typeof raw === 'number' ? raw : undefined;
  const at = text === undefined ? undefined : toTime(text);
  if (at === undefined) {
    if (text !== undefined && !Number.isNaN(new Date(text).getTime()))
      throw new Inexpressible(
        `${operator} ${JSON.stringify(raw)}: not an ISO 8601 date, which JavaScript engines read differently`,
      );
    return NEVER;
  }
  if (typeof text === 'string' && /[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text))
    throw new Inexpressible(
      `${operator} ${JSON.stringify(raw)}: a time without a zone, which Unleash reads in the app's local time`,
    );
  notes.add(
    'DATE_* constraints read `currentTime` from the context when it is an ISO 8601 text, epoch milliseconds or a Date (Unleash also reads other texts JavaScript can parse), else the evaluation time',
  );
  const op = operator === 'DATE_AFTER' ? 'after' : 'before';
  const given: MatchDefinition = {
    any: [
      { attribute: 'currentTime', op: 'after', values: [EARLIEST] },
      { attribute: 'currentTime', op: 'matches', values: ['[\\s\\S]'] },
    ],
  };
  return {
    any: [
      { attribute: 'currentTime', op, values: [at] },
      { all: [{ not: given }, { attribute: '$now', op, values: [at] }] },
    ],
  };
}

/** unleash-client compiles the pattern with RE2 and searches the attribute as text. */
function regex(
  attribute: string,
  raw: unknown,
  ignoreCase: boolean,
  notes: ConstraintNotes,
): MatchDefinition {
  if (typeof raw !== 'string') return NEVER;
  const translated = translateRe2(raw, ignoreCase);
  if (!translated.ok) {
    if (translated.never) {
      notes.add(
        `REGEX ${JSON.stringify(raw)}: RE2 cannot compile it (${translated.reason}), so Unleash never matches it; neither does Flowline`,
      );
      return NEVER;
    }
    throw new Inexpressible(
      `REGEX ${JSON.stringify(raw)} uses ${translated.reason}, which has no exact JavaScript equivalent here`,
    );
  }
  const problem = regexProblem(translated.pattern);
  if (problem !== undefined)
    throw new Inexpressible(
      `REGEX ${JSON.stringify(raw)}: ${problem.message} (RE2 runs it in linear time; JavaScript might not)`,
    );
  notes.add('REGEX constraints: values longer than 1,024 characters never match here (Unleash tests them)');
  return { attribute, op: 'matches', values: [translated.pattern] };
}

/** IN_CIDR: ranges ip-address cannot read are ignored, as unleash-client does. */
function cidr(attribute: string, values: readonly string[]): MatchDefinition {
  const ranges = values.filter(isIpRange);
  return ranges.length === 0 ? NEVER : { attribute, op: 'inCidr', values: ranges };
}

/** True when ip-address (what unleash-client uses) reads the text as an address or range. */
export function isIpRange(value: string): boolean {
  return parseIpRange(value) !== undefined;
}
