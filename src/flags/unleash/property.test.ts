import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileOrThrow } from '../testing.js';
import { importUnleash } from './import.js';
import { answers, type UnleashContext, unleashReference } from './reference.js';

/**
 * Generated Unleash feature sets and contexts, evaluated by unleash-client and by Flowline after
 * import: every imported feature must give the same `isEnabled` (boolean features) or the same
 * `getVariant` (features with variants) on every context. Math.random is pinned per context, since
 * both draw the random stickiness fallback from it the same way.
 */

const USERS = ['ann', 'bob', 'cy', 'dee', 'eve', 'u-1', 'u-22'];
const ATTRIBUTES = ['tenant', 'country', 'version', 'age', 'email', 'userId', 'sessionId', 'remoteAddress'];

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const pick = <T>(...values: T[]) => fc.constantFrom(...values);

const valuePool = pick(
  'ann',
  'bob',
  'de',
  'NL',
  ' fr ',
  '',
  '1.2.3',
  '2.0.0-rc.1',
  '10',
  '3.5',
  'x@acme.com',
  'ACME',
);
const constraintArb = fc.oneof(
  fc.record({
    contextName: pick(...ATTRIBUTES),
    operator: pick('IN', 'NOT_IN', 'STR_CONTAINS', 'STR_STARTS_WITH', 'STR_ENDS_WITH'),
    values: fc.array(valuePool, { maxLength: 3 }),
    inverted: fc.boolean(),
    caseInsensitive: fc.boolean(),
  }),
  fc.record({
    contextName: pick('age', 'version', 'tenant'),
    operator: pick('NUM_EQ', 'NUM_LT', 'NUM_LTE', 'NUM_GT', 'NUM_GTE'),
    value: pick('0', '10', '3.5', '-1', 'abc', ''),
    inverted: fc.boolean(),
  }),
  fc.record({
    contextName: pick('version', 'tenant'),
    operator: pick('SEMVER_EQ', 'SEMVER_LT', 'SEMVER_LTE', 'SEMVER_GT', 'SEMVER_GTE'),
    value: pick('1.2.3', '2.0.0', '2.0.0-rc.1', 'v1.0.0', '1.2'),
    inverted: fc.boolean(),
  }),
  fc.record({
    contextName: pick('currentTime'),
    operator: pick('DATE_AFTER', 'DATE_BEFORE'),
    value: pick('2025-01-01T00:00:00.000Z', '2031-06-01T00:00:00Z', 'not a date'),
    inverted: fc.boolean(),
  }),
  fc.record({
    contextName: pick('email', 'tenant', 'country'),
    operator: pick('REGEX'),
    value: pick('^a', '(?i)acme', '[[:upper:]]{2}', '^\\w+@', '\\s', '^\\pL+$', 'a(?=b)', '^(?P<t>t\\d)$'),
    inverted: fc.boolean(),
    caseInsensitive: fc.boolean(),
  }),
  fc.record({
    contextName: pick('remoteAddress'),
    operator: pick('IN_CIDR'),
    values: fc.array(pick('10.0.0.0/8', '192.168.1.1', '2001:db8::/32', 'junk', '::1'), { maxLength: 3 }),
    inverted: fc.boolean(),
  }),
);

const variantArb = fc.record({
  name: pick('red', 'green', 'blue', 'gold'),
  weight: pick(0, 1, 100, 333, 500, 1000),
  stickiness: maybe(pick('default', 'tenant', 'sessionId', 'random')),
  payload: maybe(fc.record({ type: pick('string'), value: pick('x', 'y') })),
  overrides: maybe(
    fc.array(
      fc.record({
        contextName: pick('userId', 'tenant'),
        values: fc.array(pick(...USERS, 't1'), { maxLength: 2 }),
      }),
      { maxLength: 1 },
    ),
  ),
});
// Variant names are unique within a list, as Unleash's admin API enforces.
const variantsArb = fc.uniqueArray(variantArb, { maxLength: 3, selector: (v) => v.name });

const strategyArb = fc
  .record({
    kind: pick(
      'default',
      'flexibleRollout',
      'gradualRolloutUserId',
      'gradualRolloutSessionId',
      'gradualRolloutRandom',
      'userWithId',
      'remoteAddress',
    ),
    rollout: pick(0, 1, 10, 50, 99, 100),
    stickiness: maybe(pick('default', 'userId', 'sessionId', 'tenant', 'random')),
    groupId: maybe(pick('', 'g1', 'g2')),
    constraints: fc.array(constraintArb, { maxLength: 2 }),
    segments: fc.array(pick(1, 2, 9), { maxLength: 1 }),
    variants: variantsArb,
  })
  .map((s) => ({
    name: s.kind,
    parameters: {
      ...(s.kind === 'flexibleRollout'
        ? { rollout: String(s.rollout), ...(s.stickiness ? { stickiness: s.stickiness } : {}) }
        : {}),
      ...(s.kind.startsWith('gradualRollout')
        ? { percentage: s.kind === 'gradualRolloutRandom' ? (s.rollout >= 50 ? 100 : 0) : s.rollout }
        : {}),
      ...(s.kind === 'userWithId' ? { userIds: 'ann, bob,,u-1' } : {}),
      ...(s.kind === 'remoteAddress' ? { IPs: '10.1.0.0/16, nonsense, 192.168.1.7, ::1' } : {}),
      ...(s.groupId === undefined ? {} : { groupId: s.groupId }),
    },
    constraints: s.constraints,
    segments: s.segments,
    variants: s.variants,
  }));

const featureSetArb = fc
  .array(
    fc.record({
      enabled: fc.boolean(),
      strategies: fc.array(strategyArb, { maxLength: 3 }),
      variants: variantsArb,
      dependsOn: fc.array(
        fc.record({
          on: fc.nat(3),
          enabled: maybe(fc.boolean()),
          variants: maybe(fc.array(pick('red', 'blue', 'disabled'), { maxLength: 2 })),
        }),
        { maxLength: 1 },
      ),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((features) => ({
    segments: [
      { id: 1, constraints: [{ contextName: 'country', operator: 'IN', values: ['NL', 'DE'] }] },
      { id: 2, constraints: [] },
    ],
    features: features.map((f, i) => ({
      name: `f${i}`,
      enabled: f.enabled,
      strategies: f.strategies,
      variants: f.variants,
      dependencies: f.dependsOn
        .filter((d) => d.on % features.length !== i)
        .map((d) => ({
          feature: `f${d.on % features.length}`,
          ...(d.enabled === undefined ? {} : { enabled: d.enabled }),
          ...(d.variants === undefined ? {} : { variants: d.variants }),
        })),
    })),
  }));

const contextArb: fc.Arbitrary<UnleashContext> = fc
  .record({
    userId: maybe(pick(...USERS)),
    sessionId: maybe(pick('s1', 's2', 's3', '')),
    remoteAddress: maybe(pick('10.1.2.3', '192.168.1.7', '2001:db8::5', '::1', 'nonsense')),
    currentTime: maybe(pick(new Date('2024-01-01T00:00:00Z'), new Date('2030-01-01T00:00:00Z'))),
    tenant: maybe(pick('t1', 't2', '10', '1.2.3', '')),
    country: maybe(pick('NL', 'DE', 'de', 'fr')),
    version: maybe(pick('1.2.3', '2.0.0-rc.1', '2.0.0', 'v2.0.0', '1.2.3-01', '01.2.3')),
    age: maybe(pick('0', '10', '3.5', ' ', 'x')),
    email: maybe(pick('ann@acme.com', 'Bob@ACME.com', 'x y@z', 'admin')),
  })
  .map(({ userId, sessionId, remoteAddress, currentTime, ...rest }) => {
    const properties = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    return {
      ...(userId === undefined ? {} : { userId }),
      ...(sessionId === undefined ? {} : { sessionId }),
      ...(remoteAddress === undefined ? {} : { remoteAddress }),
      ...(currentTime === undefined ? {} : { currentTime }),
      properties,
    };
  });

afterEach(() => vi.restoreAllMocks());

describe('imported Unleash features against unleash-client', () => {
  it('import the same from a full export and from its delta form (hydration, then updates)', () => {
    fc.assert(
      fc.property(featureSetArb, fc.nat(), (doc, split) => {
        const at = split % (doc.features.length + 1);
        const events = [
          { type: 'hydration', eventId: 1, features: doc.features.slice(0, at), segments: doc.segments },
          ...doc.features
            .slice(at)
            .map((feature, i) => ({ type: 'feature-updated', eventId: 2 + i, feature })),
        ];
        expect(importUnleash({ events })).toEqual(importUnleash(doc));
      }),
      { numRuns: 100 },
    );
  });

  it('give the same isEnabled / getVariant on every generated feature and context the importer accepts', () => {
    const spy = vi.spyOn(Math, 'random');
    let features = 0;
    let accepted = 0;
    let comparisons = 0;
    fc.assert(
      fc.property(
        featureSetArb,
        fc.array(fc.tuple(contextArb, fc.double({ min: 0, max: 0.999, noNaN: true })), {
          minLength: 10,
          maxLength: 10,
        }),
        (doc, contexts) => {
          const imported = importUnleash(doc);
          if (!imported.ok) throw new Error(imported.error);
          features += doc.features.length;
          accepted += Object.keys(imported.definition.flags).length;
          const flags = compileOrThrow(imported.definition);
          const reference = unleashReference(doc);
          for (const [context, random] of contexts) {
            spy.mockReturnValue(random);
            for (const name of flags.keys) {
              const both = answers(reference, flags, name, context);
              comparisons++;
              expect(both.flowline, `${name} in ${JSON.stringify(doc)} for ${JSON.stringify(context)}`).toBe(
                both.unleash,
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    const share = accepted / features;
    console.info(
      `Unleash property test: ${accepted}/${features} generated features imported (${(share * 100).toFixed(1)}%), ${comparisons} answers compared`,
    );
    // The pools include constructs refused on purpose (`\\pL`, cycles through dependencies).
    expect(share).toBeGreaterThan(0.8);
  });
});
