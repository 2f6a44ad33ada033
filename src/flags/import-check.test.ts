import { describe, expect, it } from 'vitest';
import { keepCompilable } from './import-check.js';
import type { ImportResult } from './migration.js';

const BOOL = {
  type: 'boolean',
  variants: { on: true, off: false },
  defaultVariant: 'off',
  enabled: true,
} as const;

describe('keepCompilable', () => {
  it('moves each flag the engine refuses to skipped, with the flags and segments that depend on it', () => {
    const result: ImportResult = {
      ok: true,
      definition: {
        segments: {
          fine: { when: { attribute: 'plan', op: 'in', values: ['pro'] } },
          broken: { when: { attribute: 'name', op: 'matches', values: ['(a+)+$'] } },
        },
        flags: {
          good: { ...BOOL, rules: [{ when: { segment: 'fine' }, serve: { variant: 'on' } }] },
          zero: {
            ...BOOL,
            fallthrough: { rollout: { bucketing: 'flagd', split: [{ variant: 'on', weight: 0 }] } },
          },
          child: { ...BOOL, prerequisites: [{ flag: 'zero', variants: ['on'] }] },
          'uses.broken': { ...BOOL, rules: [{ when: { segment: 'broken' }, serve: { variant: 'on' } }] },
        },
      },
      skipped: [{ flag: 'earlier', message: 'skipped by the importer' }],
      notes: [],
    };
    const kept = keepCompilable(result);
    if (!kept.ok) throw new Error(kept.error);
    expect(Object.keys(kept.definition.flags)).toEqual(['good']);
    expect(Object.keys(kept.definition.segments ?? {})).toEqual(['fine']);
    expect(kept.skipped).toEqual([
      { flag: 'earlier', message: 'skipped by the importer' },
      {
        flag: 'zero',
        message: expect.stringMatching(/^Flowline cannot compile it: split weights sum to 0.*fallthrough/),
      },
      {
        flag: 'uses.broken',
        message: expect.stringMatching(/^it uses segment `broken`, which Flowline cannot compile: unsafe/),
      },
      { flag: 'child', message: 'it depends on `zero`, which was skipped' },
    ]);
  });

  it('returns a set that compiles unchanged', () => {
    const result: ImportResult = { ok: true, definition: { flags: { a: BOOL } }, skipped: [], notes: [] };
    expect(keepCompilable(result)).toEqual(result);
  });
});
