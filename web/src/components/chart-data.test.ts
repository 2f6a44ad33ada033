import { describe, expect, it } from 'vitest';
import { alignedData, chartSummary, lastValue } from './chart-data.js';

const times = [1_000, 2_000, 3_000];
const canary = { name: 'canary', values: [0.01, 0.05, 0.2] };
const baseline = { name: 'baseline', values: [0.01, 0.01, null] };

describe('time chart data', () => {
  it('finds the last value a series has, skipping gaps', () => {
    expect(lastValue(times, canary)).toEqual({ at: 3_000, value: 0.2 });
    expect(lastValue(times, baseline)).toEqual({ at: 2_000, value: 0.01 });
    expect(lastValue(times, { name: 'none', values: [null, null, null] })).toBeNull();
  });

  it('summarises the chart in one sentence for screen readers', () => {
    expect(chartSummary('error-rate', times, [canary, baseline])).toBe(
      'error-rate: 3 points; canary last 0.2, baseline last 0.01',
    );
    expect(chartSummary('error-rate', [], [canary])).toBe('error-rate: no data yet');
  });

  it('gives uPlot times in seconds and one aligned column per series, gaps as null', () => {
    expect(alignedData(times, [canary, { name: 'short', values: [1] }])).toEqual([
      [1, 2, 3],
      [0.01, 0.05, 0.2],
      [1, null, null],
    ]);
  });
});

describe('time range', () => {
  it('widens a single instant to two minutes, keeps a real span', async () => {
    const { timeRange } = await import('./chart-data.js');
    expect(timeRange(100, 100)).toEqual([40, 160]);
    expect(timeRange(100, 400)).toEqual([100, 400]);
  });
});
