import { regexProblem } from '../engine/regex.js';
import type { BucketBy, MatchDefinition, RuleValue } from '../engine/types.js';
import { toTime } from '../engine/values.js';
import { Inexpressible } from '../migration.js';

/**
 * Unleash constraints and strategy conditions as Flowline matches, reproducing unleash-client's
 * semantics (see its lib/strategy/strategy.js): values are trimmed and empty ones dropped, a
 * missing attribute never matches (so NOT_IN is `not in`), `inverted` negates the whole test.
 */

/** Matches nobody: a bucket is never below 0. */
export const NEVER: MatchDefinition = { percentage: 0 };
export const ALWAYS: MatchDefinition = { not: NEVER };

/** Unleash's `userId` is OpenFeature's targeting key; other context fields keep their names. */
export function attributeOf(contextName: string): string {
  return contextName === 'userId' ? 'targetingKey' : contextName;
}

/** Unleash's default stickiness for variants: userId, then sessionId, then remoteAddress. */
export const DEFAULT_VARIANT_STICKINESS: BucketBy = ['targetingKey', 'sessionId', 'remoteAddress'];
/** …and for flexibleRollout: userId, then sessionId. */
export const DEFAULT_ROLLOUT_STICKINESS: BucketBy = ['targetingKey', 'sessionId'];

export interface ConstraintNotes {
  dates: boolean;
  numbers: boolean;
}

// Unleash accepts a version only if `semver.valid` does and it has no leading `v`.
const STRICT_SEMVER = '^\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$';

export function constraint(raw: unknown, notes: ConstraintNotes): MatchDefinition {
  if (typeof raw !== 'object' || raw === null) return NEVER;
  const c = raw as Record<string, unknown>;
  const test = positive(c, notes);
  return c.inverted === true ? { not: test } : test;
}

function positive(c: Record<string, unknown>, notes: ConstraintNotes): MatchDefinition {
  const operator = String(c.operator);
  if (typeof c.contextName !== 'string' || c.contextName === '')
    throw new Inexpressible('a constraint without contextName');
  const attribute = attributeOf(c.contextName);
  const values = Array.isArray(c.values)
    ? c.values.filter((v): v is string => typeof v === 'string' && v !== '').map((v) => v.trim())
    : [];
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
    case 'NUM_GTE': {
      const value = Number(c.value);
      if (Number.isNaN(value) || !Number.isFinite(value)) return NEVER;
      notes.numbers = true;
      if (operator === 'NUM_EQ') {
        return { all: [num(attribute, 'gte', value), num(attribute, 'lte', value)] };
      }
      const op = { NUM_LT: 'lt', NUM_LTE: 'lte', NUM_GT: 'gt', NUM_GTE: 'gte' }[operator] as
        | 'lt'
        | 'lte'
        | 'gt'
        | 'gte';
      return num(attribute, op, value);
    }
    case 'DATE_AFTER':
    case 'DATE_BEFORE': {
      const at = typeof c.value === 'string' || typeof c.value === 'number' ? toTime(c.value) : undefined;
      if (at === undefined) return NEVER;
      notes.dates = true;
      return { attribute: '$now', op: operator === 'DATE_AFTER' ? 'after' : 'before', values: [at] };
    }
    case 'SEMVER_EQ':
    case 'SEMVER_LT':
    case 'SEMVER_LTE':
    case 'SEMVER_GT':
    case 'SEMVER_GTE': {
      const value = typeof c.value === 'string' ? c.value.trim() : '';
      if (!new RegExp(STRICT_SEMVER).test(value)) return NEVER;
      const op = {
        SEMVER_EQ: 'semverEq',
        SEMVER_LT: 'semverLt',
        SEMVER_LTE: 'semverLte',
        SEMVER_GT: 'semverGt',
        SEMVER_GTE: 'semverGte',
      }[operator] as 'semverEq';
      return {
        all: [
          { attribute, op: 'matches', values: [STRICT_SEMVER] },
          { attribute, op, values: [value] },
        ],
      };
    }
    case 'REGEX': {
      if (typeof c.value !== 'string') return NEVER;
      const problem = regexProblem(c.value, ignoreCase ? 'i' : '');
      if (problem !== undefined)
        throw new Inexpressible(`REGEX ${JSON.stringify(c.value)}: ${problem.message}`);
      return { attribute, op: 'matches', values: [c.value], ...(ignoreCase ? { ignoreCase } : {}) };
    }
    default:
      throw new Inexpressible(`the constraint operator ${operator}`);
  }
}

function num(attribute: string, op: 'lt' | 'lte' | 'gt' | 'gte', value: number): MatchDefinition {
  return { attribute, op, values: [value] };
}

/** The condition a built-in strategy adds to its constraints; undefined when it adds none. */
export function strategyCondition(
  name: string,
  parameters: Record<string, unknown>,
): MatchDefinition | undefined {
  switch (name) {
    case 'default':
      return undefined;
    case 'flexibleRollout': {
      const stickiness =
        typeof parameters.stickiness === 'string' && parameters.stickiness !== ''
          ? parameters.stickiness
          : 'default';
      const groupId = typeof parameters.groupId === 'string' ? parameters.groupId : '';
      return percentage(Number(parameters.rollout), stickiness, groupId);
    }
    case 'gradualRolloutUserId':
    case 'gradualRolloutSessionId': {
      const stickiness = name === 'gradualRolloutUserId' ? 'userId' : 'sessionId';
      return percentage(Number(parameters.percentage), stickiness, String(parameters.groupId ?? ''));
    }
    case 'userWithId': {
      const ids =
        typeof parameters.userIds === 'string' && parameters.userIds !== ''
          ? parameters.userIds.split(/\s*,\s*/)
          : [];
      const list = ids.filter((id) => id !== '');
      return list.length === 0 ? NEVER : { attribute: 'targetingKey', op: 'in', values: list as RuleValue[] };
    }
    case 'remoteAddress': {
      const ips =
        typeof parameters.IPs === 'string' ? parameters.IPs.split(/\s*,\s*/).filter((ip) => ip !== '') : [];
      if (ips.some((ip) => !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)))
        throw new Inexpressible('remoteAddress with IP ranges (CIDR)');
      return ips.length === 0 ? NEVER : { attribute: 'remoteAddress', op: 'in', values: ips };
    }
    default:
      throw new Inexpressible(`the strategy \`${name}\``);
  }
}

/** unleash-client: `percentage > 0 && normalizedStrategyValue(id, groupId) <= percentage`. */
function percentage(rollout: number, stickiness: string, groupId: string): MatchDefinition | undefined {
  if (stickiness === 'random') throw new Inexpressible('random stickiness (not sticky, so not reproducible)');
  if (!(rollout > 0)) return NEVER;
  // Default stickiness falls back to a random id, which is always in a 100% rollout.
  if (rollout >= 100 && stickiness === 'default') return undefined;
  const bucketBy = stickiness === 'default' ? DEFAULT_ROLLOUT_STICKINESS : attributeOf(stickiness);
  return { percentage: Math.min(100, rollout), bucketBy, salt: groupId, bucketing: 'unleash' };
}
