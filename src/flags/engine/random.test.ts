import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileFlagSet } from './compile.js';
import { evaluate } from './evaluate.js';
import type { FlagSetDefinition } from './types.js';

/** `$random` in `bucketBy` (a non-sticky fallback) and a prerequisite that can never be met. */

function compiled(definition: FlagSetDefinition) {
  const result = compileFlagSet(definition);
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.flagSet;
}

const split = compiled({
  flags: {
    color: {
      type: 'string',
      variants: { red: 'red', blue: 'blue' },
      defaultVariant: 'red',
      enabled: true,
      fallthrough: {
        rollout: {
          bucketBy: ['targetingKey', '$random'],
          split: [
            { variant: 'red', weight: 50 },
            { variant: 'blue', weight: 50 },
          ],
        },
      },
    },
    half: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      rules: [{ when: { percentage: 50, bucketBy: ['sessionId', '$random'] }, serve: { variant: 'on' } }],
    },
    never: {
      type: 'boolean',
      variants: { on: true, off: false },
      defaultVariant: 'off',
      enabled: true,
      fallthrough: { variant: 'on' },
      prerequisites: [{ flag: 'half', variants: [] }],
    },
  },
});

describe('random bucketing fallback', () => {
  afterEach(() => vi.restoreAllMocks());

  it('stays sticky while the attribute is there', () => {
    const first = evaluate(split, 'color', { targetingKey: 'u-1' });
    for (let i = 0; i < 20; i++) expect(evaluate(split, 'color', { targetingKey: 'u-1' })).toBe(first);
  });

  it('still places a user without the attribute, in a random variant (reason SPLIT, no error)', () => {
    const seen = new Set<unknown>();
    for (let i = 0; i < 200; i++) {
      const result = evaluate(split, 'color', {});
      expect(result.reason).toBe('SPLIT');
      seen.add(result.value);
    }
    expect([...seen].sort()).toEqual(['blue', 'red']);
  });

  it('draws from Math.random, so a test can pin it', () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.25);
    const pinned = evaluate(split, 'color', {});
    for (let i = 0; i < 5; i++) expect(evaluate(split, 'color', {})).toBe(pinned);
  });

  it('puts about the given share of users without the attribute in a percentage', () => {
    let on = 0;
    for (let i = 0; i < 4000; i++) if (evaluate(split, 'half', {}).value === true) on++;
    expect(on).toBeGreaterThan(1700);
    expect(on).toBeLessThan(2300);
  });
});

describe('a prerequisite listing no variants', () => {
  it('is never met: the default variant, reason DEFAULT', () => {
    expect(evaluate(split, 'never', { sessionId: 's' })).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'DEFAULT',
      flagMetadata: { prerequisiteFailed: 'half' },
    });
  });
});
