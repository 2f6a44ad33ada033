import { FlagdCore } from '@openfeature/flagd-core';
import { describe, expect, it } from 'vitest';
import { type FlagdDetails, resolveDetails } from '../../../test/flagd-core.js';
import { compileFlagSet, evaluate } from '../engine/index.js';
import { importFlagd } from './import.js';

/**
 * flagd's published semantics (flagd.dev flag definitions, custom operations), one case each:
 * the expected answer is written out, and @openfeature/flagd-core must give it too.
 */

const VARIANTS = { on: 'ON', off: 'OFF' };

/** Imports `flags`, and answers `key` for `context` in Flowline and in flagd-core. */
function answers(document: Record<string, unknown>, key: string, context: Record<string, unknown> = {}) {
  const imported = importFlagd(document);
  if (!imported.ok) throw new Error(imported.error);
  const compiled = compileFlagSet(imported.definition);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  const result = evaluate(compiled.flagSet, key, context, { now: Date.now() });
  const ours: FlagdDetails = {
    value: result.value,
    variant: result.variant,
    reason: result.reason,
    errorCode: result.errorCode,
  };
  const core = new FlagdCore();
  core.setConfigurations(JSON.stringify(document));
  return { ours, theirs: resolveDetails(core, key, 'string', context), imported };
}

function flag(targeting: unknown, extra: Record<string, unknown> = {}) {
  return {
    flags: { f: { state: 'ENABLED', variants: VARIANTS, defaultVariant: 'off', targeting, ...extra } },
  };
}

const served = (variant: string, reason: string) => ({
  value: VARIANTS[variant as keyof typeof VARIANTS],
  variant,
  reason,
  errorCode: undefined,
});
const callerDefault = (reason: string, errorCode?: string) => ({
  value: undefined,
  variant: undefined,
  reason,
  errorCode,
});

function expectFlagd(
  document: Record<string, unknown>,
  context: Record<string, unknown>,
  expected: FlagdDetails,
) {
  const { ours, theirs } = answers(document, 'f', context);
  expect(theirs).toEqual(expected);
  expect(ours).toEqual(expected);
}

describe('flagd semantics, imported into Flowline', () => {
  it('answers a disabled flag with the caller’s default and reason DISABLED', () => {
    expectFlagd(flag(undefined, { state: 'DISABLED' }), {}, callerDefault('DISABLED'));
  });

  it('answers DEFAULT with the caller’s default for a flag without defaultVariant, or with null', () => {
    const targeting = { if: [{ '==': [{ var: 'plan' }, 'pro'] }, 'on', null] };
    for (const defaultVariant of [undefined, null, '']) {
      const document = flag(targeting, { defaultVariant });
      expectFlagd(document, {}, callerDefault('DEFAULT'));
      expectFlagd(document, { plan: 'pro' }, served('on', 'TARGETING_MATCH'));
    }
    expectFlagd(flag(undefined, { defaultVariant: null }), {}, callerDefault('DEFAULT'));
  });

  it('serves the default variant (DEFAULT) when targeting is null, or a bare starts_with / sem_ver flagd cannot evaluate', () => {
    expectFlagd(flag({ if: [false, 'on', null] }), {}, served('off', 'DEFAULT'));
    expectFlagd(flag({ starts_with: [{ var: 'email' }, 'admin'] }), {}, served('off', 'DEFAULT'));
    expectFlagd(flag({ ends_with: [{ var: 'n' }, '1'] }), { n: 1 }, served('off', 'DEFAULT'));
    expectFlagd(
      flag({ sem_ver: [{ var: 'v' }, '>=', '1.0.0'] }),
      { v: 'not-a-version' },
      served('off', 'DEFAULT'),
    );
    expectFlagd(flag({ sem_ver: [{ var: 'v' }, '>>', '1.0.0'] }), { v: '2.0.0' }, served('off', 'DEFAULT'));
  });

  it('reads a valid bare starts_with / sem_ver as the variant named "true" or "false"', () => {
    const document = {
      flags: {
        f: {
          state: 'ENABLED',
          variants: { true: 'T', false: 'F' },
          targeting: { sem_ver: [{ var: 'v' }, '^', '2.0.0'] },
        },
      },
    };
    const { ours, theirs } = answers(document, 'f', { v: 'v2.3' });
    expect(theirs).toEqual({ value: 'T', variant: 'true', reason: 'TARGETING_MATCH', errorCode: undefined });
    expect(ours).toEqual(theirs);
  });

  it('buckets with fractional nested in if, with weights from expressions and a key from cat', () => {
    const targeting = {
      if: [
        { '==': [{ var: 'plan' }, 'pro'] },
        {
          fractional: [
            { cat: [{ var: '$flagd.flagKey' }, '-', { var: 'team' }] },
            ['on', { '+': [{ var: 'share' }, 0] }],
            ['off', { '-': [100, { var: 'share' }] }],
          ],
        },
        'off',
      ],
    };
    for (const [team, share] of [
      ['a', 0],
      ['b', 100],
      ['c', 50],
      ['d', 50],
      ['e', 50],
    ] as const) {
      const { ours, theirs } = answers(flag(targeting), 'f', { plan: 'pro', team, share });
      expect(ours).toEqual(theirs);
      if (share === 0) expect(ours.variant).toBe('off');
      if (share === 100) expect(ours.variant).toBe('on');
    }
  });

  it('uses fractional as a condition: its variant name is truthy', () => {
    const targeting = { if: [{ fractional: [['yes', 1]] }, 'on', 'off'] };
    expectFlagd(flag(targeting), { targetingKey: 'u1' }, served('on', 'TARGETING_MATCH'));
    expectFlagd(flag(targeting), {}, served('off', 'TARGETING_MATCH')); // no targetingKey: null
  });

  it('serves the default variant for a null bucket key and for weights that are all zero', () => {
    const nullKey = { fractional: [{ var: 'missing' }, ['on', 1], ['off', 1]] };
    expectFlagd(flag(nullKey), { targetingKey: 'u1' }, served('off', 'DEFAULT'));
    const zero = {
      fractional: [
        ['on', 0],
        ['off', 0],
      ],
    };
    const { ours, theirs, imported } = answers(flag(zero), 'f', { targetingKey: 'u1' });
    expect(imported.skipped).toEqual([]);
    expect(theirs).toEqual(served('off', 'DEFAULT'));
    expect(ours).toEqual(theirs);
  });

  it('compares $flagd.timestamp with a context attribute and reads $flagd.flagKey', () => {
    const launch = flag({ if: [{ '>': [{ var: '$flagd.timestamp' }, { var: 'launchAt' }] }, 'on', 'off'] });
    expectFlagd(launch, { launchAt: 1_000_000_000 }, served('on', 'TARGETING_MATCH'));
    expectFlagd(launch, { launchAt: 4_000_000_000 }, served('off', 'TARGETING_MATCH'));
    const own = flag({ if: [{ '==': [{ var: '$flagd.flagKey' }, 'f'] }, 'on', 'off'] });
    expectFlagd(own, {}, served('on', 'TARGETING_MATCH'));
  });

  it('answers PARSE_ERROR for a $ref to a missing evaluator and for malformed targeting, without dropping the flag', () => {
    const missingRef = { ...flag({ if: [{ $ref: 'nope' }, 'on', 'off'] }), $evaluators: { other: true } };
    expectFlagd(missingRef, {}, callerDefault('ERROR', 'PARSE_ERROR'));
    expectFlagd(flag({ if: [true, 'on'], extra: 1 }), {}, callerDefault('ERROR', 'PARSE_ERROR'));
    expectFlagd(flag({ no_such_operation: [1] }), {}, callerDefault('ERROR', 'PARSE_ERROR'));
    expectFlagd(flag({ '/': [1, 0] }), {}, callerDefault('ERROR', 'PARSE_ERROR'));
    expect(answers(missingRef, 'f').imported.skipped).toEqual([]);
  });

  it('answers GENERAL when targeting names a variant that does not exist, or fails while evaluating', () => {
    expectFlagd(flag({ var: 'choice' }), { choice: 'purple' }, callerDefault('ERROR', 'GENERAL'));
    expectFlagd(flag({ var: 'choice' }), { choice: 'on' }, served('on', 'TARGETING_MATCH'));
    expectFlagd(flag({ '<': [{ var: 'age' }, 18] }), { age: 'old' }, callerDefault('ERROR', 'GENERAL'));
  });

  it('keeps JsonLogic truthiness and coercions: empty lists are false, null == 0, "1" == 1', () => {
    expectFlagd(flag({ if: [{ var: 'tags' }, 'on', 'off'] }), { tags: [] }, served('off', 'TARGETING_MATCH'));
    expectFlagd(
      flag({ if: [{ '==': [{ var: 'n' }, 0] }, 'on', 'off'] }),
      { n: null },
      served('on', 'TARGETING_MATCH'),
    );
    expectFlagd(
      flag({ if: [{ '==': [{ var: 'n' }, 1] }, 'on', 'off'] }),
      { n: '1' },
      served('on', 'TARGETING_MATCH'),
    );
    expectFlagd(
      flag({ if: [{ var: ['user.plan', 'on'] }, 'on', 'off'] }),
      { user: {} },
      served('on', 'TARGETING_MATCH'),
    );
  });

  it('imports the rest of a file when one flag is invalid, and names the cause of a skip', () => {
    const document = {
      flags: {
        good: { state: 'ENABLED', variants: VARIANTS, defaultVariant: 'on' },
        bad: { state: 'ON', variants: VARIANTS, defaultVariant: 'on' },
        mapped: {
          state: 'ENABLED',
          variants: VARIANTS,
          defaultVariant: 'on',
          targeting: { map: [[1], { var: '' }] },
        },
        ghost: { state: 'ENABLED', variants: VARIANTS, defaultVariant: 'nope' },
      },
    };
    const imported = importFlagd(document);
    if (!imported.ok) throw new Error(imported.error);
    expect(Object.keys(imported.definition.flags)).toEqual(['good']);
    expect(imported.skipped).toEqual([
      { flag: 'bad', message: expect.stringContaining('state "ON"') },
      { flag: 'mapped', message: expect.stringContaining('`map`') },
      { flag: 'ghost', message: expect.stringContaining('"nope" is not a variant') },
    ]);
  });
});
