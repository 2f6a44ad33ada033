import { describe, expect, it } from 'vitest';
import { hodgesLehmannRatio, judge } from './judge.js';
import { erfc, mannWhitneyU, normalSf } from './mann-whitney.js';
import { createRandom } from './random.js';

// Reference values: SciPy 1.17.1 `scipy.stats.mannwhitneyu` (and `scipy.special.ndtr`), and R's
// `wilcox.test` documentation example from Hollander & Wolfe (1973), p. 69 (W = 35, p = 0.1272).

const close = (actual: number, expected: number, relative = 1e-6) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * relative);

describe('Mann-Whitney U', () => {
  const males = [19, 22, 16, 29, 24];
  const females = [20, 11, 17, 12];

  it('matches the exact distribution for small samples without ties (SciPy docs example)', () => {
    const two = mannWhitneyU(males, females);
    expect(two).toMatchObject({ u: 17, method: 'exact' });
    close(two.p, 0.1111111111111111, 1e-12);
    close(mannWhitneyU(males, females, { alternative: 'greater' }).p, 0.05555555555555555, 1e-12);
    close(mannWhitneyU(males, females, { alternative: 'less' }).p, 0.9682539682539683, 1e-12);
  });

  it('matches the normal approximation with continuity correction', () => {
    const asymptotic = { method: 'asymptotic' } as const;
    close(mannWhitneyU(males, females, asymptotic).p, 0.11134688653314041);
    close(mannWhitneyU(males, females, { ...asymptotic, alternative: 'greater' }).p, 0.055673443266570206);
    close(mannWhitneyU(males, females, { ...asymptotic, alternative: 'less' }).p, 0.9669037101389033);
  });

  it('reproduces the Hollander & Wolfe example (R: W = 35, p-value = 0.1272)', () => {
    const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    const y = [1.15, 0.88, 0.9, 0.74, 1.21];
    const exact = mannWhitneyU(x, y, { alternative: 'greater', method: 'exact' });
    expect(exact.u).toBe(35);
    close(exact.p, 0.1272061272061272, 1e-12);
    close(mannWhitneyU(x, y, { alternative: 'greater' }).p, 0.12231180256349167);
  });

  it('corrects the variance for ties', () => {
    const x = [1, 2, 2, 3, 3, 3, 4, 5];
    const y = [2, 3, 4, 4, 5, 5, 6, 7, 7];
    const two = mannWhitneyU(x, y);
    expect(two).toMatchObject({ u: 13.5, method: 'asymptotic' });
    close(two.p, 0.03175895714806371);
    close(mannWhitneyU(x, y, { alternative: 'greater' }).p, 0.9876172774448116);
    close(mannWhitneyU(x, y, { alternative: 'less' }).p, 0.015879478574031856);
    close(mannWhitneyU(x, y, { continuity: false }).p, 0.028075012477371607);
  });

  it('handles samples made mostly of zeros (per-interval error rates)', () => {
    const canary = [...Array(40).fill(0), ...Array(15).fill(0.02), ...Array(5).fill(0.04)];
    const baseline = [...Array(30).fill(0), ...Array(20).fill(0.0067), ...Array(8).fill(0.0133), 0.02, 0.02];
    const out = mannWhitneyU(canary, baseline, { alternative: 'greater' });
    expect(out.u).toBe(1785);
    close(out.p, 0.5363791059967943);
  });

  it('gives p = 1 when there is nothing to rank', () => {
    expect(mannWhitneyU([1, 1, 1], [1, 1, 1]).p).toBe(1);
    expect(mannWhitneyU([], [1, 2]).p).toBe(1);
  });

  it('computes normal tails accurately (SciPy ndtr)', () => {
    close(normalSf(1.96), 0.024997895148220484, 2e-7);
    close(normalSf(5), 2.866515718791933e-7, 2e-7);
    close(normalSf(10), 7.61985302416047e-24, 2e-7);
    close(erfc(-1), 1.8427007929497148, 2e-7);
  });
});

describe('the judge', () => {
  const options = {
    statistic: 'p99',
    tolerance: 0.1,
    confidence: 0.95,
    direction: 'increase',
    minSamples: 10,
  } as const;
  const random = createRandom(7);
  const latencies = (n: number, factor: number) =>
    Array.from({ length: n }, () => factor * random.lognormal(Math.log(100), 0.5));

  it('passes a canary that is as fast as the baseline', () => {
    const verdict = judge(latencies(2000, 1), latencies(6000, 1), options);
    expect(verdict.verdict).toBe('pass');
    expect(verdict.detail).toMatch(
      /^canary within tolerance of baseline: p99 \d+ vs \d+ \([+-]\d+\.\d%, tolerance 10%, p=[\d.e-]+, n=2000\/6000\)$/,
    );
  });

  it('fails a canary 30% slower', () => {
    const verdict = judge(latencies(2000, 1.3), latencies(6000, 1), options);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.effect).toBeGreaterThan(0.1);
    expect(verdict.p).toBeLessThan(0.05);
  });

  it('passes a large relative change smaller than minDifference, and fails a bigger one', () => {
    // A millisecond-scale service: a cold canary at ~8 ms p99 against ~5 ms is +60%.
    const fast = (n: number, ms: number) => Array.from({ length: n }, () => ms * random.lognormal(0, 0.2));
    const canary = fast(2000, 5);
    const baseline = fast(4000, 3);
    expect(judge(canary, baseline, options).verdict).toBe('fail');
    const floored = judge(canary, baseline, { ...options, minDifference: 20 });
    expect(floored.verdict).toBe('pass');
    expect(floored.detail).toMatch(/^canary differs by \d\.\d+, within minDifference 20\.00: p99 /);
    expect(judge(fast(2000, 60), baseline, { ...options, minDifference: 20 }).verdict).toBe('fail');
  });

  it('passes a canary that is significantly but only slightly slower (within tolerance)', () => {
    const verdict = judge(latencies(20_000, 1.04), latencies(20_000, 1), { ...options, statistic: 'p50' });
    expect(verdict.verdict).toBe('pass');
    expect(verdict.effect).toBeGreaterThan(0);
  });

  it('does not fail a faster canary, unless the direction says lower is worse', () => {
    expect(judge(latencies(2000, 0.7), latencies(2000, 1), options).verdict).toBe('pass');
    const throughput = { ...options, statistic: 'mean', direction: 'decrease' } as const;
    expect(judge(latencies(2000, 0.7), latencies(2000, 1), throughput).verdict).toBe('fail');
    expect(judge(latencies(2000, 0.7), latencies(2000, 1), { ...options, direction: 'either' }).verdict).toBe(
      'fail',
    );
  });

  it('is inconclusive with too few samples, never a pass', () => {
    const verdict = judge(latencies(5, 3), latencies(500, 1), options);
    expect(verdict).toMatchObject({ verdict: 'inconclusive', nCanary: 5, nBaseline: 500 });
    expect(verdict.detail).toBe('too few samples: 5 canary, 500 baseline (at least 10 each needed)');
  });

  it('ignores NaN samples and compares rates from zero', () => {
    const zeros = Array(50).fill(0);
    const errors = [...Array(25).fill(0), ...Array(25).fill(0.04)];
    const verdict = judge([...errors, Number.NaN], zeros, { ...options, statistic: 'mean' });
    expect(verdict).toMatchObject({ verdict: 'fail', effect: Number.POSITIVE_INFINITY, nCanary: 50 });
    expect(verdict.detail).toMatch(/mean 0\.020 vs 0\.0 \(from 0,/);
    expect(judge(zeros, zeros, { ...options, statistic: 'mean' }).verdict).toBe('pass');
  });
});

describe('the Hodges-Lehmann ratio', () => {
  it('is the median of the pairwise ratios', () => {
    const canary = [2, 3, 5, 8, 13];
    const baseline = [1, 2, 4, 7];
    const ratios = canary.flatMap((c) => baseline.map((b) => c / b)).sort((a, b) => a - b);
    const estimate = hodgesLehmannRatio(canary, baseline);
    expect(estimate).toBeGreaterThanOrEqual((ratios[9] ?? 0) - 1e-6);
    expect(estimate).toBeLessThanOrEqual((ratios[10] ?? 0) + 1e-6);
  });

  it('recovers a scale factor through noise', () => {
    const random = createRandom(3);
    const base = Array.from({ length: 3000 }, () => random.lognormal(Math.log(120), 0.5));
    const slower = Array.from({ length: 1000 }, () => 1.2 * random.lognormal(Math.log(120), 0.5));
    expect(Math.abs(hodgesLehmannRatio(slower, base) - 1.2)).toBeLessThan(0.05);
    expect(hodgesLehmannRatio([5, 5, 5], [5, 5, 5])).toBeCloseTo(1, 6);
  });
});
