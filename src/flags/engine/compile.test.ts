import { describe, expect, it } from 'vitest';
import { compileFlagSet } from './compile.js';
import { evaluate } from './evaluate.js';
import type { FlagDefinition, FlagIssue } from './types.js';

const BOOL = { type: 'boolean', variants: { on: true, off: false }, defaultVariant: 'off', enabled: true };

function errors(definition: unknown, limits?: Record<string, number>): FlagIssue[] {
  const result = compileFlagSet(definition, limits === undefined ? {} : { limits });
  return result.ok ? [] : [...result.errors];
}

function flag(extra: Partial<FlagDefinition> | Record<string, unknown>): unknown {
  return { flags: { f: { ...BOOL, ...extra } } };
}

describe('compileFlagSet rejects at write time', () => {
  it('an unknown segment, suggesting the closest name', () => {
    const definition = {
      segments: { internal: { include: ['a'] } },
      flags: { f: { ...BOOL, rules: [{ when: { segment: 'internl' }, serve: { variant: 'on' } }] } },
    };
    expect(errors(definition)).toEqual([
      {
        code: 'unknown_segment',
        message: 'segment `internl` is not defined',
        path: 'flags.f.rules[0].when.segment',
        hint: 'did you mean `internal`?',
      },
    ]);
  });

  it('a prerequisite cycle, naming the whole cycle', () => {
    const definition = {
      flags: {
        a: { ...BOOL, prerequisites: [{ flag: 'b', variants: ['on'] }] },
        b: { ...BOOL, prerequisites: [{ flag: 'c', variants: ['on'] }] },
        c: { ...BOOL, prerequisites: [{ flag: 'a', variants: ['on'] }] },
      },
    };
    expect(errors(definition)).toEqual([
      {
        code: 'prerequisite_cycle',
        message: 'flag prerequisites form a cycle: a → b → c → a',
        path: 'flags.c.prerequisites[0].flag',
        hint: 'remove one of these prerequisites',
      },
    ]);
  });

  it('an unknown flag or variant in prerequisites', () => {
    const definition = {
      flags: {
        a: {
          ...BOOL,
          prerequisites: [
            { flag: 'b', variants: ['on'] },
            { flag: 'c', variants: ['yes'] },
          ],
        },
        c: BOOL,
      },
    };
    expect(errors(definition).map((e) => [e.code, e.path])).toEqual([
      ['unknown_flag', 'flags.a.prerequisites[0].flag'],
      ['unknown_variant', 'flags.a.prerequisites[1].variants'],
    ]);
  });

  it('split weights that do not sum to 100%, or are finer than 0.001%', () => {
    const split = [
      { variant: 'on', weight: 33.3333 },
      { variant: 'off', weight: 60 },
    ];
    expect(
      errors(flag({ fallthrough: { rollout: { split } } })).map((e) => [e.code, e.path, e.message]),
    ).toEqual([
      [
        'weight_precision',
        'flags.f.fallthrough.rollout.split[0].weight',
        'weight 33.3333 is finer than 0.001',
      ],
    ]);
    const uneven = [
      { variant: 'on', weight: 10.5 },
      { variant: 'off', weight: 89 },
    ];
    expect(errors(flag({ fallthrough: { rollout: { split: uneven } } }))).toEqual([
      {
        code: 'weights_sum',
        message: 'split weights sum to 99.5%, not 100%',
        path: 'flags.f.fallthrough.rollout.split',
        hint: 'make the percentages add up to exactly 100',
      },
    ]);
  });

  it('an invalid regular expression', () => {
    const when = { attribute: 'email', op: 'matches', values: ['(unclosed'] };
    expect(errors(flag({ rules: [{ when, serve: { variant: 'on' } }] }))).toMatchObject([
      {
        code: 'invalid_regex',
        path: 'flags.f.rules[0].when.values[0]',
        message: expect.stringContaining('invalid regular expression'),
      },
    ]);
  });

  it.each([
    ['(a+)+$'],
    ['^(\\w+\\s?)*$'],
    ['(a|aa)*b'],
    ['(x+x+)+y'],
    ['^(a|ab)+$'],
    ['(\\d*)*'],
    ['(a)\\1'],
    ['(?<x>a)\\k<x>'],
    ['((a|ab))+'],
  ])('the catastrophic regular expression %s', (pattern) => {
    const when = { attribute: 'email', op: 'matches', values: [pattern] };
    expect(errors(flag({ rules: [{ when, serve: { variant: 'on' } }] }))).toMatchObject([
      { code: 'unsafe_regex', path: 'flags.f.rules[0].when.values[0]' },
    ]);
  });

  it('a default variant whose value has another type than the flag', () => {
    const definition = {
      flags: {
        f: { type: 'string', variants: { a: 'x', b: 2, c: true }, defaultVariant: 'b', enabled: true },
      },
    };
    expect(errors(definition)).toEqual([
      {
        code: 'default_variant_type',
        message: 'the default variant `b` is number 2, not a string',
        path: 'flags.f.defaultVariant',
        hint: 'name a variant whose value is a string, or change the flag `type`',
      },
      {
        code: 'variant_type',
        message: "variant `c` is boolean true; the flag's type is string",
        path: 'flags.f.variants.c',
        hint: 'change the value, or the flag `type`',
      },
    ]);
    const wrongType = {
      flags: {
        f: { type: 'number', variants: { a: 1 }, defaultVariant: 'a', enabled: true },
        g: { ...BOOL, defaultVariant: 'maybe' },
      },
    };
    expect(errors(wrongType)).toEqual([
      {
        code: 'unknown_variant',
        message: 'flag `g` has no variant `maybe`',
        path: 'flags.g.defaultVariant',
        hint: 'its variants: `on`, `off`',
      },
    ]);
  });

  it('an oversized flag set: too many flags, rules, values or bytes', () => {
    const many = { flags: Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`f${i}`, BOOL])) };
    expect(errors(many, { maxFlags: 3 }).map((e) => e.code)).toEqual(['too_many_flags']);
    const rules = Array.from({ length: 3 }, () => ({ serve: { variant: 'on' } }));
    expect(errors(flag({ rules }), { maxRulesPerFlag: 2 }).map((e) => e.code)).toEqual(['too_many_rules']);
    const values = Array.from({ length: 11 }, (_, i) => `v${i}`);
    expect(
      errors(flag({ rules: [{ when: { attribute: 'a', op: 'in', values }, serve: { variant: 'on' } }] }), {
        maxValuesPerCondition: 10,
      }).map((e) => e.code),
    ).toEqual(['too_many_values']);
    expect(errors(flag({ description: 'x'.repeat(2000) }), { maxBytes: 1024 })).toMatchObject([
      { code: 'too_large', path: '' },
    ]);
  });

  it('unknown fields, operators and wrong types, every one at once', () => {
    const definition = flag({
      enabeld: true,
      rules: [
        { when: { attribute: 'a', op: 'like', values: ['x'] }, serve: { variant: 'on' } },
        { when: { attribute: 'n', op: 'lt', values: ['18'] }, serve: { variant: 'on' } },
      ],
    });
    expect(errors(definition).map((e) => [e.code, e.path, e.hint])).toEqual([
      ['unknown_field', 'flags.f.enabeld', expect.stringContaining('`enabled`')],
      ['unknown_operator', 'flags.f.rules[0].when.op', expect.stringContaining('equals')],
      ['invalid_number', 'flags.f.rules[1].when.values[0]', 'remove the quotes'],
    ]);
  });

  it('input that is not a flag set at all', () => {
    expect(errors(null)).toMatchObject([{ code: 'invalid_type', path: '' }]);
    expect(errors({ flags: [] })).toMatchObject([{ code: 'invalid_type', path: 'flags' }]);
    const cyclic: Record<string, unknown> = { flags: {} };
    cyclic.self = cyclic;
    expect(errors(cyclic)).toMatchObject([
      { code: 'invalid_type', message: expect.stringContaining('not plain JSON') },
    ]);
  });

  it('a prerequisite chain that would evaluate too many flags', () => {
    const flags: Record<string, unknown> = { f0: BOOL };
    for (let i = 1; i <= 6; i++)
      flags[`f${i}`] = {
        ...BOOL,
        prerequisites: [
          { flag: `f${i - 1}`, variants: ['on'] },
          { flag: `f${i - 1}`, variants: ['on', 'off'] },
        ],
      };
    expect(errors({ flags }, { maxPrerequisiteEvaluations: 50 }).map((e) => [e.code, e.path])).toEqual([
      ['prerequisite_cost', 'flags.f5.prerequisites'],
    ]);
  });
});

describe('compileFlagSet in partial mode', () => {
  it('compiles the valid flags and answers PARSE_ERROR for the others', () => {
    const definition = {
      flags: {
        good: { ...BOOL, fallthrough: { variant: 'on' } },
        bad: {
          ...BOOL,
          rules: [{ when: { attribute: 'a', op: 'newOp', values: [1] }, serve: { variant: 'on' } }],
        },
      },
    };
    expect(compileFlagSet(definition).ok).toBe(false);
    const result = compileFlagSet(definition, { partial: true });
    if (!result.ok) throw new Error('expected a partial compile');
    expect(result.errors.map((e) => e.code)).toEqual(['unknown_operator']);
    expect(evaluate(result.flagSet, 'good', {}).value).toBe(true);
    expect(evaluate(result.flagSet, 'bad', {})).toEqual({
      reason: 'ERROR',
      errorCode: 'PARSE_ERROR',
      errorMessage: expect.stringContaining('flags.bad.rules[0].when.op: unknown operator'),
    });
  });

  it('keeps a flag whose segment is broken out of the set, not the whole set', () => {
    const definition = {
      segments: { s: { when: { attribute: 'a', op: 'nope', values: [1] } } },
      flags: { f: { ...BOOL, rules: [{ when: { segment: 's' }, serve: { variant: 'on' } }] }, g: BOOL },
    };
    const result = compileFlagSet(definition, { partial: true });
    if (!result.ok) throw new Error('expected a partial compile');
    expect(evaluate(result.flagSet, 'f', {}).errorCode).toBe('PARSE_ERROR');
    expect(evaluate(result.flagSet, 'g', {}).reason).toBe('STATIC');
  });
});

it('copies the definition, so changing it afterwards does not change the compiled set', () => {
  const definition = { flags: { f: { ...BOOL, fallthrough: { variant: 'on' } } } };
  const result = compileFlagSet(definition);
  definition.flags.f.fallthrough.variant = 'off';
  if (!result.ok) throw new Error('expected a compile');
  expect(evaluate(result.flagSet, 'f', {}).value).toBe(true);
  expect(result.flagSet.definition.flags.f?.fallthrough).toEqual({ variant: 'on' });
});
