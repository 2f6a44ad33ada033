import { describe, expect, it } from 'vitest';
import { closest, didYouMean } from './suggest.js';

describe('closest', () => {
  it('finds typos, swapped letters and shortened names', () => {
    expect(closest('stagse', ['build', 'stages', 'run'])).toBe('stages');
    expect(closest('stratgy', ['ephemeral', 'strategy'])).toBe('strategy');
    expect(closest('prod', ['staging', 'production'])).toBe('production');
    expect(closest('of', ['on', 'off'])).toBe('off');
  });

  it('suggests nothing when no candidate is close', () => {
    expect(closest('zzz', ['build', 'stages'])).toBeUndefined();
    expect(didYouMean('zzz', ['a', 'b'], 'known names')).toBe('known names: `a` and `b`');
    expect(didYouMean('zzz', [], 'defined stages')).toBe('there are no defined stages');
  });
  it('stops guessing once the parse has spent its budget, and lists the names instead', () => {
    const budget = { cells: 30 };
    expect(closest('stagse', ['build', 'stages'], budget)).toBeUndefined();
    expect(budget.cells).toBe(0);
    expect(didYouMean('stagse', ['build', 'stages'], 'defined stages', budget)).toBe(
      'defined stages: `build` and `stages`',
    );
    expect(closest('stagse', ['build', 'stages'], { cells: 1_000 })).toBe('stages');
  });

  it('suggests nothing for a name far longer than every candidate, at the cost of a length check', () => {
    const budget = { cells: 1_000 };
    expect(closest('x'.repeat(500_000), ['build', 'stages'], budget)).toBeUndefined();
    // Two comparisons and two prefix checks, whatever the length of the word.
    expect(budget.cells).toBeGreaterThanOrEqual(900);
  });
});
