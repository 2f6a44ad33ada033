import { describe, expect, it } from 'vitest';
import { compileFlagSet } from './compile.js';
import { evaluate } from './evaluate.js';

/** A flag's flagd `targeting` in a Flowline definition: validation and how it combines with the rest. */

const BASE = {
  type: 'string',
  variants: { on: 'ON', off: 'OFF' },
  defaultVariant: 'off',
  enabled: true,
} as const;

function compile(flag: Record<string, unknown>) {
  return compileFlagSet({ flags: { f: { ...BASE, ...flag } } });
}

describe('flag targeting (flagd JsonLogic)', () => {
  it('refuses an operation Flowline does not evaluate, with its JsonLogic path and a hint', () => {
    const result = compile({
      targeting: { if: [{ some: [{ var: 'tags' }, { '==': [{ var: '' }, 'x'] }] }, 'on', 'off'] },
    });
    expect(result.ok).toBe(false);
    expect(result.errors).toEqual([
      {
        code: 'unsupported_targeting',
        message: 'the JsonLogic operation `some` is not evaluated by Flowline',
        path: 'flags.f.targeting.if[0].some',
        hint: expect.stringContaining('docs/flags.md'),
      },
    ]);
  });

  it('accepts targeting flagd refuses with a warning, and answers PARSE_ERROR as flagd does', () => {
    const result = compile({ targeting: { if: [{ nope: 1 }, 'on', 'off'] } });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.warnings).toMatchObject([{ code: 'targeting_rejected', path: 'flags.f.targeting' }]);
    expect(evaluate(result.flagSet, 'f', {})).toMatchObject({ reason: 'ERROR', errorCode: 'PARSE_ERROR' });
  });

  it('does not mix targeting with rules or a fallthrough', () => {
    const result = compile({ targeting: { var: 'x' }, fallthrough: { variant: 'on' } });
    expect(result.errors).toMatchObject([{ code: 'targeting_with_rules', path: 'flags.f.targeting' }]);
  });

  it('lets a schedule switch a targeted flag on or off, and nothing else', () => {
    const at = '2026-12-01T00:00:00Z';
    const ok = compile({
      enabled: false,
      targeting: { var: 'x' },
      schedule: [{ at, change: { enabled: true } }],
    });
    if (!ok.ok) throw new Error(JSON.stringify(ok.errors));
    expect(evaluate(ok.flagSet, 'f', { x: 'on' }, { now: Date.parse(at) - 1 })).toEqual({
      reason: 'DISABLED',
    });
    expect(evaluate(ok.flagSet, 'f', { x: 'on' }, { now: Date.parse(at) })).toMatchObject({ variant: 'on' });
    const bad = compile({ targeting: { var: 'x' }, schedule: [{ at, change: { rules: [] } }] });
    expect(bad.errors).toMatchObject([{ code: 'targeting_schedule' }]);
  });

  it('reads $flagd.timestamp from the evaluation time it is given', () => {
    const result = compile({
      targeting: { if: [{ '>=': [{ var: '$flagd.timestamp' }, 1_800_000_000] }, 'on', 'off'] },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(evaluate(result.flagSet, 'f', {}, { now: 1_799_999_999_999 }).variant).toBe('off');
    expect(evaluate(result.flagSet, 'f', {}, { now: 1_800_000_000_000 }).variant).toBe('on');
  });

  it('keeps the kill switch above targeting', () => {
    const result = compile({ killed: true, killVariant: 'on', targeting: { var: 'x' } });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(evaluate(result.flagSet, 'f', { x: 'off' })).toMatchObject({ variant: 'on', reason: 'DISABLED' });
  });
});

describe('flag targeting caps', () => {
  it('refuses targeting nested deeper than 64 instead of exhausting the stack', () => {
    let deep: unknown = { var: 'x' };
    for (let i = 0; i < 200; i++) deep = { '!': [deep] };
    const result = compileFlagSet({ flags: { f: { ...BASE, targeting: deep } } });
    expect(result.errors).toMatchObject([
      { code: 'unsupported_targeting', message: expect.stringContaining('deeper than 64') },
    ]);
  });
});
