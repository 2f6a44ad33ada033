import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editDistance, editDistanceCost } from './edit-distance.js';

/** The textbook optimal string alignment distance, full matrix: the reference the banded one must match. */
function reference(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, at(i - 2, j - 2) + 1);
      }
      (d[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and neighbour swaps as one edit each', () => {
    expect(editDistance('stages', 'stages')).toBe(0);
    expect(editDistance('stagse', 'stages')).toBe(1);
    expect(editDistance('stage', 'stages')).toBe(1);
    expect(editDistance('stagez', 'stages')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    // Optimal string alignment never edits a swapped pair again: `ca` → `abc` is 3, not 2.
    expect(editDistance('ca', 'abc')).toBe(3);
  });

  it('agrees with the full-matrix reference on any pair of words', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd'), maxLength: 12 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        expect(editDistance(a, b)).toBe(reference(a, b));
        expect(editDistance(b, a)).toBe(reference(a, b));
      }),
      { numRuns: 500 },
    );
  });

  it('with a bound, is exact within it and says max + 1 beyond it', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 10 });
    fc.assert(
      fc.property(word, word, fc.integer({ min: 0, max: 6 }), (a, b, max) => {
        const exact = reference(a, b);
        expect(editDistance(a, b, max)).toBe(exact <= max ? exact : max + 1);
      }),
      { numRuns: 500 },
    );
  });

  it('with a bound, costs cells in proportion to the length, not its square', () => {
    const long = 'x'.repeat(100_000);
    expect(editDistanceCost(long.length, long.length, 3)).toBe(100_000 * 7 + 1);
    expect(editDistanceCost(long.length, 5, 3)).toBe(1);
    expect(editDistance(long, `${long}y`, 3)).toBe(1);
    expect(editDistance(long, 'y', 3)).toBe(4);
  });
});
