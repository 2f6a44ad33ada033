/**
 * The q-quantile (0 ≤ q ≤ 1) of values sorted ascending, by linear interpolation between order
 * statistics (Hyndman & Fan type 7: the default of NumPy's `percentile` and R's `quantile`, and
 * PostgreSQL's `PERCENTILE_CONT`), so a figure can be checked with any of them. NaN when empty.
 * One definition for the delivery metrics and the release analysis' judge.
 */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const position = (n - 1) * q;
  const lower = Math.floor(position);
  const low = sorted[lower] ?? Number.NaN;
  const high = sorted[Math.min(lower + 1, n - 1)] ?? low;
  return low + (high - low) * (position - lower);
}
