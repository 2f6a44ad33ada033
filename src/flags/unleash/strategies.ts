import type { MatchDefinition, RuleValue } from '../engine/types.js';
import { Inexpressible } from '../migration.js';
import {
  attributeOf,
  type ConstraintNotes,
  DEFAULT_ROLLOUT_STICKINESS,
  isIpRange,
  NEVER,
  RANDOM,
} from './constraints.js';

/**
 * The condition each built-in Unleash strategy adds to its constraints, as unleash-client 6
 * evaluates it (lib/strategy/*.js). Undefined: the strategy adds none (it is on for everyone its
 * constraints let through).
 */
export function strategyCondition(
  name: string,
  parameters: Readonly<Record<string, unknown>>,
  notes: ConstraintNotes,
): MatchDefinition | undefined {
  switch (name) {
    case 'default':
      return undefined;
    case 'flexibleRollout': {
      const stickiness = text(parameters.stickiness) ?? 'default';
      // unleash-client: `parameters.groupId || context.featureToggle || ''`; it never sets featureToggle.
      const groupId = text(parameters.groupId) ?? '';
      return flexibleRollout(Number(parameters.rollout), stickiness, groupId, notes);
    }
    case 'gradualRolloutUserId':
    case 'gradualRolloutSessionId': {
      const attribute = name === 'gradualRolloutUserId' ? 'targetingKey' : 'sessionId';
      return percentage(Number(parameters.percentage), attribute, text(parameters.groupId) ?? '');
    }
    case 'gradualRolloutRandom':
      return randomRollout(Number(parameters.percentage), notes);
    case 'userWithId': {
      // `userIds.split(/\s*,\s*/).includes(userId)`: empty entries are kept, as Unleash keeps them.
      const ids =
        typeof parameters.userIds === 'string' && parameters.userIds !== ''
          ? parameters.userIds.split(/\s*,\s*/)
          : [];
      return ids.length === 0 ? NEVER : { attribute: 'targetingKey', op: 'in', values: ids as RuleValue[] };
    }
    case 'remoteAddress':
      return remoteAddress(parameters.IPs);
    case 'applicationHostname':
      throw new Inexpressible(
        'the strategy `applicationHostname` (it tests the host name of the machine the app runs on, which a flag context does not carry)',
      );
    default:
      throw new Inexpressible(
        `the custom strategy \`${name}\` (its code lives in the apps; unleash-client answers false for it where it is not registered)`,
      );
  }
}

/**
 * unleash-client's flexibleRollout: `rollout > 0 && (murmur3(groupId:id) % 100) + 1 <= rollout`,
 * where the id is the stickiness attribute. With `default` stickiness a user without userId and
 * sessionId gets a random id, so they are in the rollout with its probability, on each call; with
 * `random` stickiness everyone does. A custom stickiness attribute that is missing: not in it.
 */
function flexibleRollout(
  rollout: number,
  stickiness: string,
  groupId: string,
  notes: ConstraintNotes,
): MatchDefinition | undefined {
  if (stickiness === 'default' || stickiness === 'random') {
    if (!(rollout > 0)) return NEVER;
    if (rollout >= 100) return undefined; // every id, random or not, is in a 100% rollout
    notes.add(
      stickiness === 'random'
        ? `a rollout with random stickiness: each evaluation is a new draw (${rollout}% chance), as in Unleash`
        : `a rollout by default stickiness: a user without targetingKey and sessionId gets a new random draw on each evaluation (${rollout}% chance), as in Unleash`,
    );
    const bucketBy = stickiness === 'random' ? [RANDOM] : DEFAULT_ROLLOUT_STICKINESS;
    return { percentage: Math.min(100, rollout), bucketBy, salt: groupId, bucketing: 'unleash' };
  }
  return percentage(rollout, attributeOf(stickiness), groupId);
}

/** `percentage > 0 && (murmur3(groupId:value) % 100) + 1 <= percentage`; a missing value is not in it. */
function percentage(rollout: number, attribute: string, groupId: string): MatchDefinition {
  if (!(rollout > 0)) return NEVER;
  return { percentage: Math.min(100, rollout), bucketBy: attribute, salt: groupId, bucketing: 'unleash' };
}

/**
 * gradualRolloutRandom: `percentage >= floor(random × 100) + 1`, a new draw on every evaluation.
 * Deterministic at the ends (below 1: nobody, 100 or more: everyone); in between a random id is
 * hashed to one of 100 buckets, which gives the same probability.
 */
function randomRollout(rollout: number, notes: ConstraintNotes): MatchDefinition | undefined {
  if (!(rollout >= 1)) return NEVER;
  if (rollout >= 100) return undefined;
  notes.add(
    `gradualRolloutRandom: each evaluation is a new draw (${rollout}% chance), as in Unleash; the same user can get different answers`,
  );
  return { percentage: rollout, bucketBy: RANDOM, salt: '', bucketing: 'unleash' };
}

/**
 * remoteAddress: an entry equal to the context's `remoteAddress` matches, and an IPv4 address or
 * range (ip-address's Address4) matches the IPv4 addresses inside it. Entries that are neither are
 * ignored, as in Unleash (they only match the identical text).
 */
function remoteAddress(raw: unknown): MatchDefinition {
  if (typeof raw !== 'string' || raw === '') return NEVER;
  const entries = raw.split(/\s*,\s*/);
  const ipv4 = entries.filter((entry) => isIpRange(entry) && !entry.includes(':'));
  const same: MatchDefinition = { attribute: 'remoteAddress', op: 'in', values: entries };
  if (ipv4.length === 0) return same;
  return { any: [same, { attribute: 'remoteAddress', op: 'inCidr', values: ipv4 }] };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
