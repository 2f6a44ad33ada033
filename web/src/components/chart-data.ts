/** Pure data shaping for `TimeChart`: no uPlot here, so it is tested in node and costs no bundle. */

/** A named line of a time chart: one value (or a gap) per shared time. */
export interface ChartSeries {
  readonly name: string;
  readonly values: readonly (number | null)[];
  /** A CSS colour; the series is also told apart by its dash and its name in the legend. */
  readonly color?: string;
  readonly dash?: readonly number[];
}

/** The last value of a series that has one, with its time. */
export function lastValue(
  times: readonly number[],
  series: ChartSeries,
): { readonly at: number; readonly value: number } | null {
  for (let i = Math.min(times.length, series.values.length) - 1; i >= 0; i--) {
    const value = series.values[i];
    const at = times[i];
    if (value !== null && value !== undefined && at !== undefined) return { at, value };
  }
  return null;
}

/**
 * The sentence a screen reader hears for the chart: what it shows, how many points, and each
 * series' last value (`error-rate: 3 points; canary last 0.2, baseline last 0.01`).
 */
export function chartSummary(
  label: string,
  times: readonly number[],
  series: readonly ChartSeries[],
  format: (value: number) => string = String,
): string {
  if (times.length === 0) return `${label}: no data yet`;
  const lasts = series.map((s) => {
    const last = lastValue(times, s);
    return `${s.name} last ${last === null ? 'none' : format(last.value)}`;
  });
  return `${label}: ${times.length} point${times.length === 1 ? '' : 's'}; ${lasts.join(', ')}`;
}

/** uPlot's aligned data: times in seconds first, then each series' values (null: a gap). */
export function alignedData(
  times: readonly number[],
  series: readonly ChartSeries[],
): [number[], ...(number | null)[][]] {
  return [times.map((t) => t / 1000), ...series.map((s) => times.map((_, i) => s.values[i] ?? null))];
}

/**
 * The x range uPlot should show: the data's own, widened by a minute each way when it is a
 * single instant (uPlot would otherwise spread one point over years).
 */
export function timeRange(min: number | null, max: number | null): [number, number] {
  const low = min ?? Date.now() / 1000;
  const high = max ?? low;
  return high - low < 1 ? [low - 60, high + 60] : [low, high];
}
