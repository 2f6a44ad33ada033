import type { BusinessMetricsQuery, BusinessMetricsSink, MetricProvider } from '../types.js';

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
