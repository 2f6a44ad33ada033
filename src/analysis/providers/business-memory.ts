import type { Clock } from '../../core/clock.js';
import { FlowlineError } from '../../core/errors.js';
import type { BusinessMetricPoint, BusinessMetricsSink } from '../types.js';

/**
 * The in-memory {@link BusinessMetricsSink}: the embedded default and the tests' sink. Whoever
 * may push (a deploy token) chooses the names, so memory is bounded twice: points per series
 * (the oldest are dropped) and series (a point that would start one more is refused with
 * FLOWLINE_METRIC_SERIES_LIMIT, after series with nothing left within the retention are
 * dropped). With the defaults that is at most 10 M points, about 24 bytes each.
 */

export interface MemoryBusinessMetricsOptions {
  readonly clock: Clock;
  /** Points older than this are dropped. Default 24 h. */
  readonly retentionMs?: number;
  /** Points kept per series (oldest dropped first). Default 10 000. */
  readonly maxPointsPerSeries?: number;
  /** Series (service, environment, name) kept at most. Default 1 000. */
  readonly maxSeries?: number;
}

/** A series' points sorted by time, in columns: numbers stay unboxed, one array slot each. */
interface Series {
  readonly at: number[];
  readonly value: number[];
  readonly revision: (string | undefined)[];
}

export function createMemoryBusinessMetrics(options: MemoryBusinessMetricsOptions): BusinessMetricsSink {
  const retention = options.retentionMs ?? 24 * 3_600_000;
  const maxPoints = options.maxPointsPerSeries ?? 10_000;
  const maxSeries = options.maxSeries ?? 1_000;
  const series = new Map<string, Series>();
  const keyOf = (p: { service: string; environment: string; name: string }) =>
    `${p.service}\u0000${p.environment}\u0000${p.name}`;

  /** Makes room for a new series by dropping those with no point left within the retention. */
  const dropExpired = (oldest: number) => {
    for (const [key, s] of series) if ((s.at.at(-1) ?? Number.NEGATIVE_INFINITY) < oldest) series.delete(key);
  };

  return {
    async push(point: BusinessMetricPoint) {
      validate(point);
      const oldest = options.clock.now().getTime() - retention;
      const at = point.at.getTime();
      if (at < oldest) return; // already past the retention: it would be dropped at once
      const key = keyOf(point);
      let points = series.get(key);
      if (points === undefined) {
        if (series.size >= maxSeries) dropExpired(oldest);
        if (series.size >= maxSeries) throw seriesLimit(point, maxSeries);
        points = { at: [], value: [], revision: [] };
        series.set(key, points);
      }
      const index = firstAtOrAfter(points.at, at + 1);
      points.at.splice(index, 0, at);
      points.value.splice(index, 0, point.value);
      points.revision.splice(index, 0, point.revision);
      const excess = Math.max(firstAtOrAfter(points.at, oldest), points.at.length - maxPoints);
      if (excess > 0) {
        points.at.splice(0, excess);
        points.value.splice(0, excess);
        points.revision.splice(0, excess);
      }
    },
    async window(query) {
      const points = series.get(keyOf(query));
      if (points === undefined) return [];
      const from = firstAtOrAfter(points.at, query.from.getTime());
      const to = firstAtOrAfter(points.at, query.to.getTime());
      const out: { value: number; at: Date }[] = [];
      for (let i = from; i < to; i++) {
        if (query.revision !== undefined && points.revision[i] !== query.revision) continue;
        out.push({ value: points.value[i] ?? 0, at: new Date(points.at[i] ?? 0) });
      }
      return out;
    },
  };
}

function seriesLimit(point: BusinessMetricPoint, max: number): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_METRIC_SERIES_LIMIT',
    `\`${point.name}\` of ${point.service}/${point.environment} would be a new series, and ${max} series are kept already.`,
    {
      hint: 'Push under fewer names (what varies belongs in the value); a series with no point in the last 24 h is dropped and frees its place.',
    },
  );
}

function validate(point: BusinessMetricPoint): void {
  const problem =
    typeof point.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(point.name)
      ? `\`${String(point.name)}\` is not a metric name`
      : typeof point.value !== 'number' || !Number.isFinite(point.value)
        ? `the value of \`${point.name}\` is ${String(point.value)}, not a finite number`
        : !(point.at instanceof Date) || Number.isNaN(point.at.getTime())
          ? `the time of \`${point.name}\` is not a valid date`
          : undefined;
  if (problem !== undefined) {
    throw new FlowlineError('FLOWLINE_METRIC_INVALID', problem, {
      hint: 'names use letters, digits, `-`, `_` and `.`; values are finite numbers; times are ISO 8601',
    });
  }
}

/** Index of the first time at or after `at` (times are sorted). */
function firstAtOrAfter(times: readonly number[], at: number): number {
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((times[mid] ?? 0) < at) low = mid + 1;
    else high = mid;
  }
  return low;
}
