// Summaries shared by the benchmarks.

/**
 * The median (the mean of the two middle values for an even count); 0 for no values.
 * @param {number[]} values
 */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * Rounded to two decimals, for tables.
 * @param {number} n
 */
export function round(n) {
  return Math.round(n * 100) / 100;
}
