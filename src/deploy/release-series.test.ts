import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate } from '../config/index.js';
import type { ReleasePlan } from './records.js';
import { measurementSeries } from './release-series.js';

const template = {
  name: 'errors',
  metrics: [{ name: 'error-rate', successCondition: 'result < 0.05', failureCondition: 'result > 0.5' }],
} as unknown as AnalysisTemplate;
const plan = { strategy: { kind: 'allAtOnce' }, analysisTemplates: { errors: template } } as ReleasePlan;

const record = (metric: string, index: number, value: unknown, finishedAt: string) => ({
  at: '2026-01-01T00:00:00.000Z',
  data: { template: 'errors', metric, index, phase: 'Successful', value, baseline: 0.01, finishedAt },
});

describe('measurement series', () => {
  it('groups measurements per metric in judged order, with the conditions of the plan', () => {
    const series = measurementSeries(
      [
        record('error-rate', 2, 0.02, '2026-01-01T00:00:20.000Z'),
        record('error-rate', 1, 0.01, '2026-01-01T00:00:10.000Z'),
        record('latency', 1, 120, '2026-01-01T00:00:10.000Z'),
      ],
      plan,
    );
    expect(series.map((s) => [s.metric, s.points.map((p) => p.index)])).toEqual([
      ['error-rate', [1, 2]],
      ['latency', [1]],
    ]);
    expect(series[0]).toMatchObject({ successCondition: 'result < 0.05', failureCondition: 'result > 0.5' });
    // A metric the plan does not know (or no plan at all) has no condition rather than a guessed one.
    expect(series[1]).toMatchObject({ successCondition: null, failureCondition: null });
    expect(
      measurementSeries([record('error-rate', 1, 0.01, 'x')], undefined)[0]?.successCondition,
    ).toBeNull();
  });

  it('keeps a value that is not a number as a gap, and skips records that are not measurements', () => {
    const series = measurementSeries(
      [
        record('error-rate', 1, [1, 2], '2026-01-01T00:00:10.000Z'),
        { at: 'x', data: 'progress' },
        { at: 'x', data: null },
      ],
      plan,
    );
    expect(series).toHaveLength(1);
    expect(series[0]?.points[0]).toMatchObject({ value: null, baseline: 0.01 });
  });
});
