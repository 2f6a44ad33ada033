import { describe, expect, it } from 'vitest';
import { BUCKET_RANK, clustersOf, reworkClusters } from './clusters.js';
import { histogram, percentile, Samples, summarize } from './stats.js';
import { DAY_MS, HOUR_MS, WEEK_MS } from './window.js';

const MIN = 60_000;

describe('percentile (linear interpolation, type 7)', () => {
  it('matches numpy.percentile', () => {
    // numpy.percentile([1, 2, 3, 4], 90) = 3.7: position (4 − 1) × 0.9 = 2.7 → 3 + 0.7 × (4 − 3).
    expect(percentile([1, 2, 3, 4], 0.9)).toBeCloseTo(3.7, 12);
    // numpy.percentile([15, 20, 35, 40, 50], [50, 90]) = [35, 46]: position 3.6 → 40 + 0.6 × 10.
    expect(percentile([15, 20, 35, 40, 50], 0.5)).toBe(35);
    expect(percentile([15, 20, 35, 40, 50], 0.9)).toBeCloseTo(46, 12);
    // An even count's median is the mean of the middle two: (2 + 3) / 2.
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
  });

  it('gives the value of a single sample, the ends at 0 and 1, and NaN for none', () => {
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([1, 5, 9], 0)).toBe(1);
    expect(percentile([1, 5, 9], 1)).toBe(9);
    expect(percentile([], 0.5)).toBeNaN();
    expect(summarize([])).toEqual({ medianMs: null, p90Ms: null });
  });

  it('sorts collected samples numerically, not as text', () => {
    const s = new Samples();
    for (const v of [100, 9, 25, 1000, 3]) s.push(v);
    expect([...s.sorted()]).toEqual([3, 9, 25, 100, 1000]);
    const many = new Samples();
    for (let i = 200; i > 0; i--) many.push(i);
    expect(many.length).toBe(200);
    expect(summarize(many.sorted())).toEqual({ medianMs: 100.5, p90Ms: 180.1 });
  });
});

describe('histogram', () => {
  it('counts lead times in buckets edged at the clusters’ boundaries', () => {
    const values = [
      0,
      30 * MIN,
      HOUR_MS,
      5 * HOUR_MS,
      DAY_MS,
      3 * DAY_MS,
      8 * DAY_MS,
      40 * DAY_MS,
      200 * DAY_MS,
    ];
    expect(histogram(values).map((b) => b.count)).toEqual([2, 2, 2, 1, 1, 1]);
    expect(histogram([]).every((b) => b.count === 0)).toBe(true);
    expect(histogram([]).at(-1)).toMatchObject({ label: '6 months or more', toMs: null });
  });
});

describe('DORA clusters', () => {
  const of = (key: Parameters<typeof clustersOf>[0], value: number) =>
    clustersOf(key, value, '').map((a) => a.cluster);

  it('reads "less than one day" strictly and "between one day and one week" inclusively', () => {
    expect(of('leadTime', 23 * HOUR_MS)).toEqual(['elite', 'elite']);
    expect(of('leadTime', DAY_MS)).toEqual(['high', 'high']);
    expect(of('leadTime', WEEK_MS)).toEqual(['high', 'high']);
    expect(of('leadTime', WEEK_MS + 1)).toEqual(['medium', 'medium']);
    expect(of('leadTime', 31 * DAY_MS)).toEqual(['low', 'low']);
  });

  it('gives the best cluster whose published fail rate the value meets (2024: high is 20%, medium 10%)', () => {
    expect(of('changeFailRate', 0.05)).toEqual(['elite', 'elite']);
    expect(of('changeFailRate', 0.08)).toEqual(['high', 'high']);
    expect(of('changeFailRate', 0.15)).toEqual(['medium', 'high']);
    expect(of('changeFailRate', 0.25)).toEqual(['low', 'low']);
  });

  it('puts a 3-day recovery in 2023 medium but 2024 low (2024 publishes medium as under a day)', () => {
    expect(of('recoveryTime', 30 * MIN)).toEqual(['elite', 'elite']);
    expect(of('recoveryTime', 3 * HOUR_MS)).toEqual(['high', 'high']);
    expect(of('recoveryTime', 3 * DAY_MS)).toEqual(['medium', 'low']);
  });

  it('maps frequency buckets: on demand elite, daily and weekly high, monthly medium, fewer low', () => {
    expect(of('deploymentFrequency', BUCKET_RANK.onDemand)).toEqual(['elite', 'elite']);
    expect(of('deploymentFrequency', BUCKET_RANK.daily)).toEqual(['high', 'high']);
    expect(of('deploymentFrequency', BUCKET_RANK.weekly)).toEqual(['high', 'high']);
    expect(of('deploymentFrequency', BUCKET_RANK.monthly)).toEqual(['medium', 'medium']);
    expect(of('deploymentFrequency', BUCKET_RANK.fewer)).toEqual(['low', 'low']);
  });

  it('assigns no cluster when nothing was measured, nor for rework rate, and says why', () => {
    expect(clustersOf('leadTime', null, 'nothing shipped')).toEqual([
      { report: 2023, cluster: null, reason: 'nothing shipped' },
      { report: 2024, cluster: null, reason: 'nothing shipped' },
    ]);
    expect(reworkClusters().map((a) => a.cluster)).toEqual([null, null]);
    expect(reworkClusters()[1]?.reason).toContain('publishes no cluster thresholds');
  });
});
