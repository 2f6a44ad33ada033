/**
 * The one edit distance behind every "did you mean" (config keys and names, flag names, functions
 * in analysis conditions). It is the optimal string alignment distance: insertions, deletions,
 * substitutions and swaps of two neighbouring characters each count as one edit, so the common
 * typo `stagse` is one edit from `stages`.
 *
 * Callers only ever care whether a word is within a few edits, so a `max` bounds the work: only
 * the diagonal band that can stay within `max` is computed, O(|a| × max) instead of O(|a| × |b|),
 * and a hostile 500 KB name costs no more than its length.
 */

/**
 * The distance between `a` and `b`; any distance above `max` is reported as `max + 1`.
 * Case-sensitive: lower-case both for a case-insensitive comparison.
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a.length < b.length) [a, b] = [b, a];
  const rows = a.length;
  const cols = b.length;
  if (rows - cols > max) return max + 1;
  if (cols === 0) return rows;
  const band = Math.min(rows, max);
  // Three rolling rows: the swap rule reads two rows back.
  let before = new Array<number>(cols + 1).fill(Number.POSITIVE_INFINITY);
  let previous = Array.from({ length: cols + 1 }, (_, j) => (j <= band ? j : Number.POSITIVE_INFINITY));
  let current = new Array<number>(cols + 1).fill(Number.POSITIVE_INFINITY);
  for (let i = 1; i <= rows; i++) {
    const from = Math.max(1, i - band);
    const to = Math.min(cols, i + band);
    current[from - 1] = from === 1 ? i : Number.POSITIVE_INFINITY;
    let rowMin = current[from - 1] ?? Number.POSITIVE_INFINITY;
    for (let j = from; j <= to; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(
        (previous[j] ?? Number.POSITIVE_INFINITY) + 1,
        (current[j - 1] ?? Number.POSITIVE_INFINITY) + 1,
        (previous[j - 1] ?? Number.POSITIVE_INFINITY) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, (before[j - 2] ?? Number.POSITIVE_INFINITY) + 1);
      }
      current[j] = value;
      if (value < rowMin) rowMin = value;
    }
    // The cell right of the band is read by the next row: it must not hold a stale value.
    if (to < cols) current[to + 1] = Number.POSITIVE_INFINITY;
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  const distance = previous[cols] ?? Number.POSITIVE_INFINITY;
  return distance > max ? max + 1 : distance;
}

/** An upper bound of the cells {@link editDistance} computes for these lengths: its cost. */
export function editDistanceCost(a: number, b: number, max = Number.POSITIVE_INFINITY): number {
  const rows = Math.max(a, b);
  const cols = Math.min(a, b);
  if (rows - cols > max) return 1;
  return rows * Math.min(cols, 2 * Math.min(rows, max) + 1) + 1;
}
