import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileOrThrow, randomKeys, uniqueIds } from '../testing.js';
import { evaluate, evaluateAll } from './evaluate.js';
import type { FlagSetDefinition } from './types.js';

/** Every operator, a segment, a percentage, splits by several attributes, prerequisites, a schedule. */
const EVERYTHING: FlagSetDefinition = {
  segments: {
    staff: {
      include: ['alice'],
      exclude: ['eve'],
      when: { attribute: 'email', op: 'endsWith', values: ['@shop.io'], ignoreCase: true },
    },
  },
  flags: {
    base: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      fallthrough: {
        rollout: {
          split: [
            { variant: 'on', weight: 50 },
            { variant: 'off', weight: 50 },
          ],
        },
      },
    },
    everything: {
      type: 'json',
      variants: { a: { n: 1 }, b: [1, 2], c: 'text', d: null },
      defaultVariant: 'd',
      enabled: true,
      prerequisites: [{ flag: 'base', variants: ['on', 'off'] }],
      rules: [
        { when: { segment: 'staff' }, serve: { variant: 'a' } },
        {
          when: {
            all: [
              { attribute: 'plan', op: 'in', values: ['pro', 'team', 1, true] },
              { attribute: 'plan', op: 'notEquals', values: ['free'] },
            ],
          },
          serve: { variant: 'b' },
        },
        {
          when: {
            any: [
              { attribute: 'email', op: 'matches', values: ['^[a-f][0-9a-z]*@', 'x$'] },
              { attribute: 'email', op: 'contains', values: ['+'] },
            ],
          },
          serve: { variant: 'c' },
        },
        {
          when: { not: { attribute: 'age', op: 'lt', values: [18] } },
          serve: {
            rollout: {
              bucketBy: ['user.id', 'targetingKey'],
              split: [
                { variant: 'a', weight: 30 },
                { variant: 'b', weight: 70 },
              ],
            },
          },
        },
        { when: { attribute: 'app', op: 'semverGte', values: ['2.0.0-rc.1'] }, serve: { variant: 'b' } },
        {
          when: { attribute: 'signup', op: 'before', values: ['2026-01-01T00:00:00Z'] },
          serve: { variant: 'c' },
        },
        { when: { attribute: '$now', op: 'after', values: ['2030-01-01'] }, serve: { variant: 'a' } },
        { when: { attribute: 'country', op: 'startsWith', values: ['D'] }, serve: { variant: 'b' } },
        { when: { percentage: 12.345, bucketBy: 'country', salt: 's' }, serve: { variant: 'c' } },
      ],
      fallthrough: {
        rollout: {
          split: [
            { variant: 'a', weight: 0.001 },
            { variant: 'b', weight: 99.999 },
          ],
        },
      },
      schedule: [{ at: '2027-01-01T00:00:00Z', change: { fallthrough: { variant: 'c' } } }],
    },
  },
};

const KEYS = [
  'targetingKey',
  'email',
  'plan',
  'age',
  'app',
  'signup',
  'country',
  'user',
  '__proto__',
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
];
const weird = fc.oneof(
  fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
    withSparseArray: true,
  }),
  fc.string({ minLength: 1000, maxLength: 5000 }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    '',
    ' ',
    '1e400',
    '2.0.0',
    'v9.9.9',
    '2025-12-31',
    'alice',
    'eve',
    'x@SHOP.IO',
  ),
  fc.record({ id: fc.string() }),
);
const context = fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string()), weird, { maxKeys: 8 });
const RESULT_KEYS = new Set(['value', 'variant', 'reason', 'errorCode', 'errorMessage', 'flagMetadata']);

describe('evaluate (property-based)', () => {
  const set = compileOrThrow(EVERYTHING);
  const variants = EVERYTHING.flags.everything?.variants ?? {};

  it('never throws and always answers a well-formed result, whatever the context', () => {
    fc.assert(
      fc.property(fc.oneof(context, fc.anything()), fc.integer({ min: -1e13, max: 4e12 }), (ctx, now) => {
        for (const key of ['everything', 'base', 'missing']) {
          const result = evaluate(set, key, ctx as never, { now });
          expect(Object.keys(result).every((k) => RESULT_KEYS.has(k))).toBe(true);
          if (result.reason !== 'ERROR' && key === 'everything') {
            expect(result.variant).toBeDefined();
            expect(result.value).toEqual(variants[result.variant as string]);
          }
        }
        expect(() => evaluateAll(set, ctx as never, { now })).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });

  it('is deterministic: the same input gives the same answer, also from a set compiled again', () => {
    const again = compileOrThrow(JSON.parse(JSON.stringify(EVERYTHING)));
    fc.assert(
      fc.property(context, fc.integer({ min: 0, max: 4e12 }), (ctx, now) => {
        const first = evaluate(set, 'everything', ctx, { now });
        expect(evaluate(set, 'everything', ctx, { now })).toEqual(first);
        expect(evaluate(again, 'everything', ctx, { now })).toEqual(first);
      }),
      { numRuns: 2000 },
    );
  });
});

function split(weights: readonly number[], salt = 'uniform'): ReturnType<typeof compileOrThrow> {
  return compileOrThrow({
    flags: {
      f: {
        type: 'number',
        variants: Object.fromEntries(weights.map((_, i) => [`v${i}`, i])),
        defaultVariant: 'v0',
        enabled: true,
        fallthrough: { rollout: { salt, split: weights.map((weight, i) => ({ variant: `v${i}`, weight })) } },
      },
    },
  });
}

describe('bucketing (property-based)', () => {
  it('is uniform: 100,000 ids over 10 equal buckets pass a chi-square test at p > 0.001', () => {
    const set = split(Array(10).fill(10));
    const counts = Array(10).fill(0) as number[];
    for (const targetingKey of uniqueIds(100_000, 2026)) {
      const bucket = evaluate(set, 'f', { targetingKey }).value as number;
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    const expected = 10_000;
    const chiSquare = counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    expect(chiSquare).toBeLessThan(27.877); // the 0.999 quantile of chi-square with 9 degrees of freedom
  });

  it('is sticky: an id keeps its bucket across compiled instances, unrelated changes and re-compiles', () => {
    const a = split([25, 25, 50]);
    const b = split([25, 25, 50]);
    const bigger = compileOrThrow({
      ...JSON.parse(JSON.stringify(EVERYTHING)),
      flags: { ...EVERYTHING.flags, ...a.definition.flags },
    });
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (targetingKey) => {
        const variant = evaluate(a, 'f', { targetingKey }).variant;
        expect(evaluate(b, 'f', { targetingKey }).variant).toBe(variant);
        expect(evaluate(bigger, 'f', { targetingKey }).variant).toBe(variant);
      }),
      { numRuns: 5000 },
    );
  });

  it('respects the weights within 4.5 standard deviations', () => {
    const weights = fc
      .array(fc.integer({ min: 0, max: 100_000 }), { minLength: 1, maxLength: 5 })
      .map((cuts) => {
        const sorted = [0, ...cuts.sort((x, y) => x - y), 100_000];
        return sorted.slice(1).map((cut, i) => (cut - (sorted[i] as number)) / 1000);
      });
    const ids = randomKeys(20_000, 99);
    fc.assert(
      fc.property(weights, fc.string(), (percentages, salt) => {
        const set = split(percentages, salt);
        const counts = percentages.map(() => 0);
        for (const targetingKey of ids) {
          const bucket = evaluate(set, 'f', { targetingKey }).value as number;
          counts[bucket] = (counts[bucket] ?? 0) + 1;
        }
        percentages.forEach((percentage, i) => {
          const p = percentage / 100;
          const sigma = Math.sqrt((p * (1 - p)) / ids.length);
          // 4.5σ, plus 3 users of slack where the normal approximation fails (tiny shares).
          expect(Math.abs((counts[i] as number) / ids.length - p)).toBeLessThanOrEqual(
            4.5 * sigma + 3 / ids.length,
          );
        });
      }),
      { numRuns: 25 },
    );
  });

  it('only adds users when a rollout grows: nobody who had the feature loses it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.string({ minLength: 1 }),
        (x, y, targetingKey) => {
          const [low, high] = x < y ? [x / 1000, y / 1000] : [y / 1000, x / 1000];
          const before = split([low, 100 - low], 'grow');
          const after = split([high, 100 - high], 'grow');
          if (evaluate(before, 'f', { targetingKey }).variant === 'v0')
            expect(evaluate(after, 'f', { targetingKey }).variant).toBe('v0');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
