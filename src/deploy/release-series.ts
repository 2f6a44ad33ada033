import type { ReleasePlan } from './records.js';

/** One measurement of a metric, as a point of its chart: canary and baseline side by side. */
export interface SeriesPoint {
  /** When it was judged. */
  readonly at: string;
  readonly index: number;
  readonly phase: string;
  /** Null when the value is not a number (a vector, a string) or was not measured (an error). */
  readonly value: number | null;
  readonly baseline: number | null;
  readonly message: string | null;
}

/** A metric of a release's analysis: its conditions and every measurement of it, oldest first. */
export interface MetricSeries {
  readonly template: string;
  readonly metric: string;
  /** As the template wrote them; null when the plan is not recorded (a rollback, an old deployment). */
  readonly successCondition: string | null;
  readonly failureCondition: string | null;
  readonly points: readonly SeriesPoint[];
}

interface Recorded {
  readonly template?: unknown;
  readonly metric?: unknown;
  readonly index?: unknown;
  readonly phase?: unknown;
  readonly value?: unknown;
  readonly baseline?: unknown;
  readonly message?: unknown;
  readonly finishedAt?: unknown;
}

/**
 * Groups a release's journaled measurement records into one series per metric, with the
 * conditions from the plan the deployment started with, so a chart needs no parsing of words.
 * Records that are not measurements (malformed, from another version) are skipped.
 */
export function measurementSeries(
  measurements: readonly { readonly at: string; readonly data: unknown }[],
  plan: ReleasePlan | undefined,
): MetricSeries[] {
  const byKey = new Map<string, { template: string; metric: string; points: SeriesPoint[] }>();
  for (const { at, data } of measurements) {
    if (typeof data !== 'object' || data === null) continue;
    const r = data as Recorded;
    if (typeof r.template !== 'string' || typeof r.metric !== 'string') continue;
    const key = `${r.template}\u0000${r.metric}`;
    let series = byKey.get(key);
    if (series === undefined) {
      series = { template: r.template, metric: r.metric, points: [] };
      byKey.set(key, series);
    }
    series.points.push({
      at: typeof r.finishedAt === 'string' ? r.finishedAt : at,
      index: typeof r.index === 'number' ? r.index : series.points.length + 1,
      phase: typeof r.phase === 'string' ? r.phase : 'Unknown',
      value: numberOrNull(r.value),
      baseline: numberOrNull(r.baseline),
      message: typeof r.message === 'string' ? r.message : null,
    });
  }
  return [...byKey.values()].map((s) => {
    // Journal lines written in the same millisecond have no order of their own: judged time, then index.
    s.points.sort((a, b) => a.at.localeCompare(b.at) || a.index - b.index);
    const metric = plan?.analysisTemplates[s.template]?.metrics.find((m) => m.name === s.metric);
    return {
      ...s,
      successCondition: metric?.successCondition ?? null,
      failureCondition: metric?.failureCondition ?? null,
    };
  });
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
