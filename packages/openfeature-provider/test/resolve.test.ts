import { describe, expect, it } from 'vitest';
import { resolveFlag } from '../src/core/resolve.js';
import type { FlagSync } from '../src/core/sync.js';
import { compileFlagSet } from '../src/engine.js';

/** A sync that already holds `definition` (resolveFlag reads only `state` and `problem`). */
function holding(definition: unknown): FlagSync {
  const compiled = compileFlagSet(definition);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.errors));
  return {
    state: { flagSet: compiled.flagSet },
    problem: { message: '', fatal: false },
  } as unknown as FlagSync;
}

describe('resolveFlag', () => {
  const sync = holding({
    flags: {
      off: { type: 'string', variants: { a: 'A' }, defaultVariant: 'a', enabled: false },
      none: {
        type: 'string',
        variants: { a: 'A' },
        enabled: true,
        targeting: { if: [{ var: 'pick' }, 'a', null] },
      },
    },
  });

  it('returns the caller’s default, reason DISABLED, for a disabled flag (OpenFeature and flagd semantics)', () => {
    expect(resolveFlag(sync, 'off', 'mine', {}, 'string')).toEqual({ value: 'mine', reason: 'DISABLED' });
  });

  it('returns the caller’s default, reason DEFAULT, when a flag without default variant has nothing to serve', () => {
    expect(resolveFlag(sync, 'none', 'mine', {}, 'string')).toEqual({ value: 'mine', reason: 'DEFAULT' });
    expect(resolveFlag(sync, 'none', 'mine', { pick: true }, 'string')).toMatchObject({
      value: 'A',
      variant: 'a',
      reason: 'TARGETING_MATCH',
    });
  });
});
