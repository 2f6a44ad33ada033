import { describe, expect, it } from 'vitest';
import { erfc, mannWhitneyU, normalSf } from './mann-whitney.js';

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
