import type { Clock } from '../../core/clock.js';
import { FlowlineError } from '../../core/errors.js';
import type {
  BusinessMetricPoint,
  BusinessMetricsQuery,
  BusinessMetricsSink,
  MetricProvider,
} from '../types.js';

/**
 * Business metrics the app pushes to Flowline (orders, sign-ups, revenue). The provider compares
 * the canary period (the window up to now) with the stable period (the same length of time just
 * before the canary started), so a drop in orders during the canary shows as `result` below
 * `baseline`: `successCondition: result >= baseline * 0.9`.
 */

type Aggregate = 'avg' | 'sum' | 'min' | 'max' | 'count' | 'rate';

export function createBusinessProvider(sink: BusinessMetricsSink): MetricProvider<'business'> {
  return {
    async measure(metric, ctx) {
      const { metric: name, aggregate } = metric.provider;
      const now = ctx.now.getTime();
      const window = ctx.windowMs;
      if (window <= 0) return { kind: 'noData', reason: 'the canary has not run for any time yet' };
      const stableEnd = ctx.canarySince?.getTime() ?? now - window;
      const query = (from: number, to: number): BusinessMetricsQuery => ({
        service: ctx.service,
        environment: ctx.environment,
        name,
        from: new Date(from),
        to: new Date(to),
        signal: ctx.signal,
      });
      const [canary, stable] = await Promise.all([
        sink.window(query(now - window, now)),
        sink.window(query(stableEnd - window, stableEnd)),
      ]);
      if (canary.length === 0 && stable.length === 0) {
        return {
          kind: 'noData',
          reason: `no \`${name}\` points pushed for ${ctx.service}/${ctx.environment}, during the canary or before it`,
        };
      }
      const value = aggregateOf(
        canary.map((p) => p.value),
        aggregate,
        window,
      );
      if (value === undefined)
        return { kind: 'noData', reason: `no \`${name}\` points pushed during the canary` };
      const baseline =
        stable.length === 0
          ? undefined
          : aggregateOf(
              stable.map((p) => p.value),
              aggregate,
              window,
            );
      return {
        kind: 'value',
        value,
        ...(baseline === undefined ? {} : { baseline }),
        samples: { canary: canary.length, baseline: stable.length },
      };
    },
  };
}

/** Undefined for avg/min/max of nothing; sum, count and rate of nothing are 0 (a real drop). */
export function aggregateOf(
  values: readonly number[],
  aggregate: Aggregate,
  windowMs: number,
): number | undefined {
  const sum = values.reduce((a, b) => a + b, 0);
  switch (aggregate) {
    case 'sum':
      return sum;
    case 'count':
      return values.length;
    case 'rate':
      return sum / (windowMs / 1000);
    case 'avg':
      return values.length === 0 ? undefined : sum / values.length;
    case 'min':
      return values.length === 0 ? undefined : values.reduce((a, b) => Math.min(a, b));
    case 'max':
      return values.length === 0 ? undefined : values.reduce((a, b) => Math.max(a, b));
  }
}

export interface MemoryBusinessMetricsOptions {
  readonly clock: Clock;
  /** Points older than this are dropped. Default 24 h. */
  readonly retentionMs?: number;
  /** Points kept per metric (oldest dropped first). Default 100 000. */
  readonly maxPointsPerSeries?: number;
}

/** An in-memory {@link BusinessMetricsSink}: the embedded default and the tests' sink. */
export function createMemoryBusinessMetrics(options: MemoryBusinessMetricsOptions): BusinessMetricsSink {
  const retention = options.retentionMs ?? 24 * 3_600_000;
  const maxPoints = options.maxPointsPerSeries ?? 100_000;
  const series = new Map<string, { value: number; at: number; revision?: string | undefined }[]>();
  const keyOf = (p: { service: string; environment: string; name: string }) =>
    `${p.service}\u0000${p.environment}\u0000${p.name}`;
  return {
    async push(point: BusinessMetricPoint) {
      validate(point);
      const key = keyOf(point);
      const points = series.get(key) ?? [];
      series.set(key, points);
      const at = point.at.getTime();
      const index = firstAtOrAfter(points, at + 1);
      points.splice(index, 0, { value: point.value, at, revision: point.revision });
      const oldest = options.clock.now().getTime() - retention;
      const expired = firstAtOrAfter(points, oldest);
      const excess = Math.max(expired, points.length - maxPoints);
      if (excess > 0) points.splice(0, excess);
    },
    async window(query) {
      const points = series.get(keyOf(query)) ?? [];
      const from = firstAtOrAfter(points, query.from.getTime());
      const to = firstAtOrAfter(points, query.to.getTime());
      return points
        .slice(from, to)
        .filter((p) => query.revision === undefined || p.revision === query.revision)
        .map((p) => ({ value: p.value, at: new Date(p.at) }));
    },
  };
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

/** Index of the first point at or after `at` (points are sorted by time). */
function firstAtOrAfter(points: readonly { at: number }[], at: number): number {
  let low = 0;
  let high = points.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((points[mid]?.at ?? 0) < at) low = mid + 1;
    else high = mid;
  }
  return low;
}
