import { FlagdCore } from '@openfeature/flagd-core';
import { describe, expect, it } from 'vitest';
import { resolveDetails } from '../../../test/flagd-core.js';
import { evaluate } from '../engine/index.js';
import { compileOrThrow, prng, randomKeys } from '../testing.js';
import { importFlagd } from './import.js';

/** A flagd document using what real ones use: fractional in its three forms, if-chains, sem_ver… */
const FLAGD = {
  $schema: 'https://flagd.dev/schema/v0/flags.json',
  metadata: { flagSetId: 'shop' },
  $evaluators: {
    isStaff: { ends_with: [{ var: 'email' }, '@example.com'] },
    isMobile: { in: [{ var: 'platform' }, ['ios', 'android']] },
  },
  flags: {
    'static-on': { state: 'ENABLED', variants: { on: true, off: false }, defaultVariant: 'on' },
    'ten-percent': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: {
        fractional: [
          ['on', 10],
          ['off', 90],
        ],
      },
    },
    'header-color': {
      state: 'ENABLED',
      variants: { red: '#c00', blue: '#00c', green: '#0c0', yellow: '#cc0' },
      defaultVariant: 'red',
      targeting: {
        if: [
          { $ref: 'isStaff' },
          'green',
          { and: [{ $ref: 'isMobile' }, { sem_ver: [{ var: 'version' }, '>=', '2.1.0'] }] },
          { fractional: [{ var: 'email' }, ['blue', 1], ['yellow', 3]] },
          { '>': [{ var: 'age' }, 65] },
          'yellow',
        ],
      },
    },
    'checkout-v2': {
      state: 'ENABLED',
      variants: { v1: 'v1', v2: 'v2', v3: 'v3' },
      defaultVariant: 'v1',
      targeting: {
        if: [
          { '!': { in: [{ var: 'country' }, ['DE', 'FR']] } },
          {
            fractional: [
              { cat: [{ var: '$flagd.flagKey' }, { var: 'targetingKey' }] },
              ['v1', 333],
              ['v2', 333],
              ['v3', 334],
            ],
          },
          { starts_with: [{ var: 'targetingKey' }, 'user1'] },
          'v3',
          null,
        ],
      },
    },
    'api-version': {
      state: 'ENABLED',
      variants: { old: 1, new: 2 },
      defaultVariant: 'old',
      targeting: {
        if: [
          { sem_ver: [{ var: 'version' }, '^', '3.0.0'] },
          'new',
          { or: [{ '==': [{ var: 'plan' }, 'pro'] }, { in: ['@corp.', { var: 'email' }] }] },
          {
            fractional: [
              ['new', 50],
              ['old', 50],
              [null, 25],
            ],
          },
        ],
      },
    },
    'launch-banner': {
      state: 'ENABLED',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      targeting: { if: [{ '>=': [{ var: '$flagd.timestamp' }, 1_700_000_000] }, 'on', 'off'] },
    },
    'old-flag': { state: 'DISABLED', variants: { a: 'a', b: 'b' }, defaultVariant: 'b' },
    'from-attribute': {
      state: 'ENABLED',
      variants: { a: 'a', b: 'b' },
      defaultVariant: 'a',
      targeting: { var: 'choice' },
    },
  },
};

const COUNTRIES = ['DE', 'FR', 'US', 'BR', 'JP'];
const PLATFORMS = ['ios', 'android', 'web'];
const VERSIONS = ['1.0.0', '2.0.9', '2.1.0', '2.1.0-beta.1', '3.0.0', '3.9.1', '4.0.0-rc.1', 'v3.2.1'];

function contexts(count: number): Record<string, unknown>[] {
  const random = prng(7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  // Every fourth key has non-ASCII characters: flagd-core's JS hash folds UTF-16 its own way.
  const keys = randomKeys(count, 42).map((key, i) => (i % 4 === 3 ? `${key}-é✓😀ß` : key));
  return keys.map((targetingKey, i) => ({
    targetingKey,
    email:
      i % 5 === 0 ? `${targetingKey.slice(0, 6)}@example.com` : `${targetingKey.slice(0, 8)}@corp.shop.io`,
    country: pick(COUNTRIES),
    platform: pick(PLATFORMS),
    version: pick(VERSIONS),
    plan: pick(['free', 'pro']),
    age: Math.floor(random() * 90),
    ...(i % 3 === 0 ? { choice: pick(['a', 'b', 'c']) } : {}),
  }));
}

describe('importFlagd', () => {
  const imported = importFlagd(JSON.stringify(FLAGD));
  if (!imported.ok) throw new Error(imported.error);

  it('imports every flag, the one whose variant is read from an attribute included', () => {
    expect(imported.skipped).toEqual([]);
    expect(Object.keys(imported.definition.flags)).toContain('from-attribute');
  });

  it('keeps flagd targeting as it is, `$ref`s resolved as flagd resolves them', () => {
    expect(imported.definition.flags['ten-percent']?.targeting).toEqual(FLAGD.flags['ten-percent'].targeting);
    const color = imported.definition.flags['header-color']?.targeting as { if: unknown[] };
    expect(color.if[0]).toEqual(FLAGD.$evaluators.isStaff);
  });

  it('gives the value, variant, reason and error code of @openfeature/flagd-core for 10,000 random users', () => {
    const compiled = compileOrThrow(imported.definition);
    const core = new FlagdCore();
    core.setConfigurations(JSON.stringify(FLAGD));
    let compared = 0;
    for (const context of contexts(10_000)) {
      for (const key of compiled.keys) {
        const flag = imported.definition.flags[key];
        if (flag === undefined) continue;
        const ours = evaluate(compiled, key, context, { now: Date.now() });
        const theirs = resolveDetails(core, key, flag.type, context);
        const mine = {
          value: ours.value,
          variant: ours.variant,
          reason: ours.reason,
          errorCode: ours.errorCode,
        };
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
          throw new Error(
            `${key} for ${JSON.stringify(context)}: ours ${JSON.stringify(mine)}, flagd ${JSON.stringify(theirs)}`,
          );
        }
        compared++;
      }
    }
    expect(compared).toBe(10_000 * 8);
  });

  it('buckets a 10% rollout like flagd for the same 10,000 keys, about 10% on', () => {
    const compiled = compileOrThrow(imported.definition);
    const on = randomKeys(10_000, 1).filter(
      (targetingKey) => evaluate(compiled, 'ten-percent', { targetingKey }).value === true,
    );
    expect(on.length).toBeGreaterThan(900);
    expect(on.length).toBeLessThan(1100);
  });

  it('rejects a document that is not flagd JSON', () => {
    expect(importFlagd('{')).toMatchObject({ ok: false });
    expect(importFlagd({ flagz: {} })).toEqual({ ok: false, error: 'a flagd document has a `flags` object' });
  });
});
