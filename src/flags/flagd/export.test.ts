import { FlagdCore } from '@openfeature/flagd-core';
import { describe, expect, it } from 'vitest';
import { resolveWithFlagd } from '../../../test/flagd-core.js';
import { evaluate, type FlagSetDefinition } from '../engine/index.js';
import { compileOrThrow, prng, randomKeys } from '../testing.js';
import { exportFlagd } from './export.js';
import { importFlagd } from './import.js';

const NATIVE: FlagSetDefinition = {
  segments: {
    staff: {
      include: ['alice', 'bob'],
      exclude: ['mallory'],
      when: { attribute: 'email', op: 'endsWith', values: ['@example.com'] },
    },
  },
  flags: {
    'new-checkout': {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      rules: [
        { name: 'staff', when: { segment: 'staff' }, serve: { variant: 'on' } },
        {
          when: { attribute: 'country', op: 'notIn', values: ['DE', 'FR'] },
          serve: {
            rollout: {
              split: [
                { variant: 'on', weight: 12.5 },
                { variant: 'off', weight: 87.5 },
              ],
            },
          },
        },
      ],
    },
    'price-test': {
      type: 'number',
      variants: { low: 9, mid: 12, high: 15 },
      defaultVariant: 'mid',
      enabled: true,
      rules: [
        {
          when: { all: [{ attribute: 'age', op: 'gte', values: [18] }, { percentage: 30 }] },
          serve: { variant: 'high' },
        },
        { when: { attribute: 'version', op: 'semverLt', values: ['2.0.0'] }, serve: { variant: 'low' } },
        {
          when: {
            any: [
              { attribute: 'plan', op: 'equals', values: ['pro'] },
              { attribute: 'email', op: 'contains', values: ['+test'] },
            ],
          },
          serve: { variant: 'low' },
        },
      ],
      fallthrough: {
        rollout: {
          bucketBy: ['email', 'targetingKey'],
          salt: 'prices-2026',
          split: [
            { variant: 'low', weight: 33.333 },
            { variant: 'mid', weight: 33.333 },
            { variant: 'high', weight: 33.334 },
          ],
        },
      },
    },
    banner: {
      type: 'string',
      variants: { none: '', sale: 'Sale!' },
      defaultVariant: 'none',
      enabled: true,
      fallthrough: { variant: 'sale' },
      schedule: [{ at: '2020-01-01T00:00:00Z', change: { enabled: false } }],
    },
    killed: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      killed: true,
      fallthrough: { variant: 'on' },
    },
    gated: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      prerequisites: [{ flag: 'new-checkout', variants: ['on'] }],
    },
    pattern: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      rules: [{ when: { attribute: 'email', op: 'matches', values: ['^a'] }, serve: { variant: 'on' } }],
    },
  },
};

function contexts(count: number): Record<string, unknown>[] {
  const random = prng(3);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  return randomKeys(count, 9).map((targetingKey, i) => {
    const context: Record<string, unknown> = {
      targetingKey: i % 50 === 0 ? pick(['alice', 'bob', 'mallory']) : targetingKey,
      country: pick(['DE', 'FR', 'US', 'PL']),
      age: pick([12, 18, 30, 70, '42', undefined]),
      version: pick(['1.9.9', '2.0.0', '2.0.0-beta', '3.1.4']),
      plan: pick(['free', 'pro', 'team']),
    };
    if (i % 3 !== 0)
      context.email = `${targetingKey.slice(0, 5)}${pick(['', '+test'])}@${pick(['example.com', 'shop.io'])}`;
    return context;
  });
}

describe('exportFlagd', () => {
  const exported = exportFlagd(NATIVE, { now: Date.parse('2026-01-01T00:00:00Z') });

  it('leaves out what flagd cannot express, saying why', () => {
    expect(exported.skipped).toEqual([
      { flag: 'gated', message: 'flagd has no prerequisites' },
      { flag: 'pattern', message: 'flagd has no regular expressions' },
    ]);
  });

  it('applies the scheduled changes due at export time', () => {
    expect(exported.document.flags.banner).toMatchObject({ state: 'DISABLED' });
  });

  it('gives the same variants in @openfeature/flagd-core as Flowline for 10,000 random users', () => {
    const compiled = compileOrThrow(NATIVE);
    const core = new FlagdCore();
    core.setConfigurations(JSON.stringify(exported.document));
    const keys = Object.keys(exported.document.flags);
    expect(keys).toEqual(['new-checkout', 'price-test', 'banner', 'killed']);
    const seen = new Set<string>();
    for (const context of contexts(10_000)) {
      for (const key of keys) {
        const ours = evaluate(compiled, key, context, { now: Date.parse('2026-01-01T00:00:00Z') });
        const theirs = resolveWithFlagd(core, key, context);
        if (ours.reason === 'DISABLED' && ours.flagMetadata?.killed === true) {
          // flagd has no kill switch: the kill variant is its static answer.
          expect([theirs.variant, theirs.reason]).toEqual([ours.variant, 'STATIC']);
          continue;
        }
        if (ours.reason === 'DISABLED') {
          expect(theirs.reason).toBe('DISABLED');
          continue;
        }
        if (ours.variant !== theirs.variant) {
          throw new Error(
            `${key} for ${JSON.stringify(context)}: ours ${ours.variant} (${ours.reason}), flagd ${theirs.variant}`,
          );
        }
        seen.add(`${key}=${ours.variant}`);
      }
    }
    expect([...seen].sort()).toEqual([
      'new-checkout=off',
      'new-checkout=on',
      'price-test=high',
      'price-test=low',
      'price-test=mid',
    ]);
  });

  it('round-trips an imported flagd document: the export evaluates like the original', () => {
    const original = {
      flags: {
        split: {
          state: 'ENABLED',
          variants: { a: 'a', b: 'b' },
          defaultVariant: 'a',
          targeting: {
            fractional: [
              ['a', 3],
              ['b', 7],
            ],
          },
        },
        byEmail: {
          state: 'ENABLED',
          variants: { a: 'a', b: 'b' },
          defaultVariant: 'a',
          targeting: {
            if: [
              { '>=': [{ var: '$flagd.timestamp' }, 1_000] },
              { fractional: [{ var: 'email' }, ['a'], ['b']] },
            ],
          },
        },
      },
    };
    const imported = importFlagd(original);
    if (!imported.ok) throw new Error(imported.error);
    const again = exportFlagd(imported.definition);
    const before = new FlagdCore();
    before.setConfigurations(JSON.stringify(original));
    const after = new FlagdCore();
    after.setConfigurations(JSON.stringify(again.document));
    for (const targetingKey of randomKeys(10_000, 5).map((key, i) => (i % 2 ? `${key}ü` : key))) {
      const context = { targetingKey, email: `${targetingKey}@x.io` };
      for (const key of ['split', 'byEmail']) {
        expect(resolveWithFlagd(after, key, context).variant).toBe(
          resolveWithFlagd(before, key, context).variant,
        );
      }
    }
  });
});
