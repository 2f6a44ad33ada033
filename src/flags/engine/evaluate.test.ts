import { describe, expect, it } from 'vitest';
import { compileOrThrow } from '../testing.js';
import { evaluate, evaluateAll } from './evaluate.js';
import type { ConditionDefinition, FlagDefinition, FlagSetDefinition } from './types.js';

const BOOL = {
  type: 'boolean',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  enabled: true,
} as const;

function flagSet(flags: Record<string, Partial<FlagDefinition>>, extra: Partial<FlagSetDefinition> = {}) {
  const full = Object.fromEntries(Object.entries(flags).map(([key, flag]) => [key, { ...BOOL, ...flag }]));
  return compileOrThrow({ ...extra, flags: full });
}

/** A flag that is on when `condition` matches. */
function when(condition: ConditionDefinition) {
  return flagSet({ f: { rules: [{ when: condition, serve: { variant: 'on' } }] } });
}

describe('evaluate', () => {
  it('answers a flag without rules with its fallthrough variant and reason STATIC', () => {
    const set = flagSet({ f: { fallthrough: { variant: 'on' } } });
    expect(evaluate(set, 'f', {})).toEqual({ value: true, variant: 'on', reason: 'STATIC' });
  });

  it('serves the first rule that matches (TARGETING_MATCH), else the fallthrough (DEFAULT)', () => {
    const set = compileOrThrow({
      flags: {
        color: {
          type: 'string',
          variants: { red: 'r', green: 'g', blue: 'b' },
          defaultVariant: 'red',
          enabled: true,
          rules: [
            {
              name: 'germans',
              when: { attribute: 'country', op: 'equals', values: ['DE'] },
              serve: { variant: 'green' },
            },
            { when: { attribute: 'country', op: 'in', values: ['DE', 'FR'] }, serve: { variant: 'blue' } },
          ],
        },
      },
    });
    expect(evaluate(set, 'color', { country: 'DE' })).toEqual({
      value: 'g',
      variant: 'green',
      reason: 'TARGETING_MATCH',
      flagMetadata: { rule: 'germans' },
    });
    expect(evaluate(set, 'color', { country: 'FR' })).toMatchObject({
      variant: 'blue',
      reason: 'TARGETING_MATCH',
    });
    expect(evaluate(set, 'color', { country: 'US' })).toMatchObject({ variant: 'red', reason: 'DEFAULT' });
  });

  it('answers DISABLED with no value when the flag is off, so OpenFeature returns the caller’s default', () => {
    const set = flagSet({ f: { enabled: false, fallthrough: { variant: 'on' } } });
    expect(evaluate(set, 'f', {})).toEqual({ reason: 'DISABLED' });
  });

  it('answers DEFAULT with no value for a flag without a default variant when nothing matches', () => {
    const rules = [
      { when: { attribute: 'a', op: 'equals' as const, values: ['x'] }, serve: { variant: 'on' } },
    ];
    const set = compileOrThrow({
      flags: { f: { type: 'boolean', variants: BOOL.variants, enabled: true, rules } },
    });
    expect(evaluate(set, 'f', {})).toEqual({ reason: 'DEFAULT' });
    expect(evaluate(set, 'f', { a: 'x' })).toEqual({ value: true, variant: 'on', reason: 'TARGETING_MATCH' });
  });

  it('lets the kill switch win over rules and over a schedule that turns the flag on', () => {
    const set = flagSet({
      f: {
        enabled: false,
        killed: true,
        rules: [{ serve: { variant: 'on' } }],
        schedule: [{ at: '2020-01-01T00:00:00Z', change: { enabled: true } }],
      },
    });
    expect(evaluate(set, 'f', {}, { now: Date.parse('2030-01-01T00:00:00Z') })).toEqual({
      value: false,
      variant: 'off',
      reason: 'DISABLED',
      flagMetadata: { killed: true },
    });
  });

  it('applies scheduled changes by evaluation time, not by the clock', () => {
    const set = flagSet({
      f: {
        enabled: false,
        schedule: [
          { at: '2026-12-08T00:00:00Z', change: { fallthrough: { variant: 'off' } } },
          { at: '2026-12-01T00:00:00Z', change: { enabled: true, fallthrough: { variant: 'on' } } },
        ],
      },
    });
    const at = (iso: string) => evaluate(set, 'f', {}, { now: new Date(iso) });
    expect(at('2026-11-30T23:59:59.999Z').reason).toBe('DISABLED');
    expect(at('2026-12-01T00:00:00Z')).toMatchObject({ value: true, reason: 'DEFAULT' });
    expect(at('2026-12-08T00:00:00Z')).toMatchObject({ value: false, reason: 'DEFAULT' });
  });

  it('evaluates a flag only when its prerequisites serve the required variant', () => {
    const set = flagSet({
      parent: {
        rules: [{ when: { attribute: 'beta', op: 'equals', values: [true] }, serve: { variant: 'on' } }],
      },
      child: { prerequisites: [{ flag: 'parent', variants: ['on'] }], fallthrough: { variant: 'on' } },
    });
    expect(evaluate(set, 'child', { beta: true })).toMatchObject({ value: true, reason: 'DEFAULT' });
    expect(evaluate(set, 'child', { beta: false })).toEqual({
      value: false,
      variant: 'off',
      reason: 'DEFAULT',
      flagMetadata: { prerequisiteFailed: 'parent' },
    });
  });

  it('splits users stickily by targetingKey (reason SPLIT)', () => {
    const set = flagSet({
      f: {
        fallthrough: {
          rollout: {
            split: [
              { variant: 'on', weight: 50 },
              { variant: 'off', weight: 50 },
            ],
          },
        },
      },
    });
    const first = evaluate(set, 'f', { targetingKey: 'user-1' });
    expect(first.reason).toBe('SPLIT');
    for (let i = 0; i < 5; i++) expect(evaluate(set, 'f', { targetingKey: 'user-1' })).toBe(first);
  });

  it('answers TARGETING_KEY_MISSING with the default variant when a split has no key to hash', () => {
    const set = flagSet({ f: { fallthrough: { rollout: { split: [{ variant: 'on', weight: 100 }] } } } });
    for (const context of [{}, { targetingKey: '' }, { targetingKey: { id: 1 } }, { targetingKey: null }]) {
      expect(evaluate(set, 'f', context)).toMatchObject({
        value: false,
        variant: 'off',
        reason: 'ERROR',
        errorCode: 'TARGETING_KEY_MISSING',
      });
    }
    const byEmail = flagSet({
      f: { fallthrough: { rollout: { bucketBy: 'email', split: [{ variant: 'on', weight: 100 }] } } },
    });
    expect(evaluate(byEmail, 'f', { targetingKey: 'x' })).toMatchObject({
      reason: 'ERROR',
      errorCode: 'INVALID_CONTEXT',
    });
    expect(evaluate(byEmail, 'f', { email: 'a@b.c' })).toMatchObject({ value: true, reason: 'SPLIT' });
  });

  it('falls back to the next bucketing attribute when the first is missing', () => {
    const set = flagSet({
      f: {
        fallthrough: {
          rollout: { bucketBy: ['userId', 'sessionId'], split: [{ variant: 'on', weight: 100 }] },
        },
      },
    });
    expect(evaluate(set, 'f', { sessionId: 's1' })).toMatchObject({ value: true, reason: 'SPLIT' });
  });

  it('answers FLAG_NOT_FOUND, TYPE_MISMATCH and INVALID_CONTEXT without a value where none fits', () => {
    const set = flagSet({ f: {} });
    expect(evaluate(set, 'nope', {})).toMatchObject({ reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(evaluate(set, 'f', {}, { expectedType: 'string' })).toEqual({
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
      errorMessage: 'flag `f` is a boolean flag, not string',
    });
    expect(evaluate(set, 'f', null as never)).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'ERROR',
      errorCode: 'INVALID_CONTEXT',
    });
    expect(evaluate(set, 'f', [] as never)).toMatchObject({ errorCode: 'INVALID_CONTEXT' });
  });

  it('accepts OpenFeature’s `object` as the expected type of a json flag', () => {
    const set = compileOrThrow({
      flags: { j: { type: 'json', variants: { a: { x: 1 } }, defaultVariant: 'a', enabled: true } },
    });
    expect(evaluate(set, 'j', {}, { expectedType: 'object' })).toMatchObject({
      value: { x: 1 },
      reason: 'STATIC',
    });
  });

  it('answers GENERAL instead of throwing when reading the context throws', () => {
    const set = when({ attribute: 'x', op: 'equals', values: ['1'] });
    const context = Object.defineProperty({}, 'x', {
      enumerable: true,
      get: () => {
        throw new Error('boom');
      },
    });
    expect(evaluate(set, 'f', context)).toMatchObject({ reason: 'ERROR', errorCode: 'GENERAL' });
  });

  it('returns frozen results, so no caller can change what the next one gets', () => {
    const set = compileOrThrow({
      flags: { j: { type: 'json', variants: { a: { list: [1] } }, defaultVariant: 'a', enabled: true } },
    });
    const result = evaluate(set, 'j', {});
    expect(Object.isFrozen(result)).toBe(true);
    expect(() => ((result.value as { list: number[] }).list as number[]).push(2)).toThrow();
  });

  it('evaluates every flag at once with evaluateAll', () => {
    const set = flagSet({ a: { fallthrough: { variant: 'on' } }, b: { enabled: false } });
    const all = evaluateAll(set, { targetingKey: 'u' });
    expect(Object.keys(all)).toEqual(['a', 'b']);
    expect(all.a?.value).toBe(true);
    expect(all.b?.reason).toBe('DISABLED');
    expect(evaluateAll(set, 'nope' as never).a?.errorCode).toBe('INVALID_CONTEXT');
  });
});

describe('conditions', () => {
  const cases: [ConditionDefinition, Record<string, unknown>, boolean][] = [
    [{ attribute: 'plan', op: 'equals', values: ['pro'] }, { plan: 'pro' }, true],
    [{ attribute: 'plan', op: 'equals', values: ['pro'] }, { plan: 'PRO' }, false],
    [{ attribute: 'plan', op: 'equals', values: ['pro'], ignoreCase: true }, { plan: 'PRO' }, true],
    [{ attribute: 'seats', op: 'equals', values: [5] }, { seats: '5' }, true],
    [{ attribute: 'beta', op: 'equals', values: [true] }, { beta: true }, true],
    [{ attribute: 'plan', op: 'notEquals', values: ['pro'] }, { plan: 'free' }, true],
    [{ attribute: 'plan', op: 'notEquals', values: ['pro'] }, {}, false],
    [{ attribute: 'country', op: 'in', values: ['DE', 'FR'] }, { country: 'FR' }, true],
    [{ attribute: 'country', op: 'notIn', values: ['DE', 'FR'] }, { country: 'US' }, true],
    [{ attribute: 'country', op: 'notIn', values: ['DE', 'FR'] }, {}, false],
    [{ attribute: 'country', op: 'notIn', values: ['DE'] }, { country: ['US'] }, false],
    [{ attribute: 'email', op: 'contains', values: ['+test'] }, { email: 'a+test@x.io' }, true],
    [{ attribute: 'email', op: 'startsWith', values: ['admin', 'root'] }, { email: 'root@x.io' }, true],
    [{ attribute: 'email', op: 'endsWith', values: ['@x.io'] }, { email: 'a@y.io' }, false],
    [{ attribute: 'email', op: 'matches', values: ['^[a-c]+@'] }, { email: 'abc@x.io' }, true],
    [{ attribute: 'email', op: 'matches', values: ['x$'] }, { email: `${'a'.repeat(1100)}x` }, false],
    [{ attribute: 'age', op: 'lt', values: [18] }, { age: 17 }, true],
    [{ attribute: 'age', op: 'lte', values: [18] }, { age: '18' }, true],
    [{ attribute: 'age', op: 'gt', values: [18] }, { age: 'eighteen' }, false],
    [{ attribute: 'age', op: 'gte', values: [18] }, { age: '' }, false],
    [{ attribute: 'app', op: 'semverEq', values: ['2.0.0'] }, { app: 'v2.0.0' }, true],
    [{ attribute: 'app', op: 'semverLt', values: ['2.0.0'] }, { app: '2.0.0-rc.1' }, true],
    [{ attribute: 'app', op: 'semverLte', values: ['2.0.0'] }, { app: '2.0.0+build.5' }, true],
    [{ attribute: 'app', op: 'semverGt', values: ['2.0.0'] }, { app: '10.0.0' }, true],
    [{ attribute: 'app', op: 'semverGte', values: ['2.0.0'] }, { app: 'not a version' }, false],
    [{ attribute: 'signup', op: 'before', values: ['2026-01-01'] }, { signup: '2025-12-31T23:59:59Z' }, true],
    [
      { attribute: 'signup', op: 'after', values: ['2026-01-01T00:00:00+01:00'] },
      { signup: '2025-12-31T23:30:00Z' },
      true,
    ],
    [{ attribute: 'signup', op: 'after', values: ['2026-01-01'] }, { signup: 'yesterday' }, false],
    [{ attribute: 'user.plan', op: 'equals', values: ['pro'] }, { user: { plan: 'pro' } }, true],
    [{ attribute: 'user.plan', op: 'equals', values: ['pro'] }, { 'user.plan': 'pro' }, true],
    [{ attribute: 'constructor', op: 'equals', values: ['[object Object]'] }, {}, false],
    [{ attribute: 'toString', op: 'notEquals', values: ['x'] }, {}, false],
    [{ attribute: '__proto__', op: 'notIn', values: ['x'] }, JSON.parse('{"__proto__": "y"}'), true],
  ];
  it.each(cases)('%j on %j matches: %s', (condition, context, expected) => {
    expect(evaluate(when(condition), 'f', context).value).toBe(expected);
  });

  it('compares `$now`, the evaluation time, with before/after', () => {
    const set = when({ attribute: '$now', op: 'after', values: ['2026-06-01T00:00:00Z'] });
    expect(evaluate(set, 'f', {}, { now: Date.parse('2026-05-31T00:00:00Z') }).value).toBe(false);
    expect(evaluate(set, 'f', {}, { now: Date.parse('2026-06-02T00:00:00Z') }).value).toBe(true);
  });

  it('matches segments by include, exclude (which wins) and their condition', () => {
    const set = flagSet(
      { f: { rules: [{ when: { segment: 'beta' }, serve: { variant: 'on' } }] } },
      {
        segments: {
          beta: {
            include: ['alice'],
            exclude: ['bob'],
            when: { attribute: 'plan', op: 'equals', values: ['pro'] },
          },
        },
      },
    );
    const on = (context: Record<string, unknown>) => evaluate(set, 'f', context).value;
    expect([
      on({ targetingKey: 'alice' }),
      on({ targetingKey: 'bob', plan: 'pro' }),
      on({ plan: 'pro' }),
      on({ targetingKey: 'x' }),
    ]).toEqual([true, false, true, false]);
  });

  it('combines matches with all, any and not, and shares users with a percentage', () => {
    const set = flagSet({
      f: {
        rules: [
          {
            when: {
              all: [
                {
                  any: [
                    { attribute: 'a', op: 'equals', values: [1] },
                    { attribute: 'b', op: 'equals', values: [1] },
                  ],
                },
                { not: { attribute: 'c', op: 'equals', values: [1] } },
                { percentage: 100 },
              ],
            },
            serve: { variant: 'on' },
          },
        ],
      },
    });
    expect(evaluate(set, 'f', { targetingKey: 'k', b: 1 }).value).toBe(true);
    expect(evaluate(set, 'f', { targetingKey: 'k', b: 1, c: 1 }).value).toBe(false);
    expect(evaluate(set, 'f', { b: 1 }).value).toBe(false);
  });
});
