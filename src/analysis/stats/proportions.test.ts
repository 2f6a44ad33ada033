import { describe, expect, it } from 'vitest';
import {
  binomialCdf,
  binomialSf,
  logGamma,
  rateDifferenceP,
  rateRatioP,
  restrictedRates,
} from './proportions.js';

// Reference values: SciPy 1.17.1 — `scipy.special.gammaln`, `scipy.stats.binom.sf/cdf`,
// `scipy.stats.binomtest(...).pvalue`, and for Farrington-Manning the restricted maximum-likelihood
// rates found numerically (`scipy.optimize.minimize_scalar` on the log-likelihood with
// p1 = p2 + δ), then `scipy.stats.norm.sf` of the score statistic.

const close = (actual: number, expected: number, relative = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(Math.abs(expected) * relative);

describe('binomial tails', () => {
  it('computes ln Γ (SciPy gammaln)', () => {
    close(logGamma(0.5), 0.5723649429247, 1e-12);
    close(logGamma(10), 12.801827480081469, 1e-13);
    close(logGamma(3.7), 1.428072326665388, 1e-13);
    close(logGamma(1e5 + 1), 1051299.2218991218, 1e-14);
  });

  it('matches SciPy binom.sf and binom.cdf, far tails included', () => {
    close(binomialSf(30, 100, 0.2), 0.011248978720991648);
    close(binomialSf(60, 100, 0.2), 2.515819199533466e-18, 1e-8);
    close(binomialCdf(3, 100, 0.2), 5.82986964952081e-7, 1e-8);
    close(binomialSf(5000, 100_000, 0.05), 0.5020259614598019, 1e-8);
    expect([
      binomialSf(0, 5, 0.3),
      binomialSf(6, 5, 0.3),
      binomialCdf(5, 5, 0.3),
      binomialCdf(-1, 5, 0.3),
    ]).toEqual([1, 0, 1, 0]);
  });
});

describe('the rate-ratio test (exact, conditional on the events)', () => {
  it('matches SciPy binomtest on the canary’s share of the errors', () => {
    // 20 errors of 800 requests vs 16 of 3200, against "at most 1.1 times the baseline's rate".
    close(
      rateRatioP({ events: 20, trials: 800 }, { events: 16, trials: 3200 }, 1.1, 'greater'),
      8.938085956256542e-6,
    );
    close(
      rateRatioP({ events: 5, trials: 200 }, { events: 4, trials: 800 }, 1.1, 'greater'),
      0.026850932150388293,
    );
    close(
      rateRatioP({ events: 2, trials: 800 }, { events: 34, trials: 3200 }, 0.9, 'less'),
      0.027530776136884257,
    );
  });

  it('finds nothing without errors or without requests', () => {
    expect(rateRatioP({ events: 0, trials: 800 }, { events: 0, trials: 3200 }, 1.1, 'greater')).toBe(1);
    expect(rateRatioP({ events: 0, trials: 0 }, { events: 3, trials: 3200 }, 1.1, 'greater')).toBe(1);
  });
});

describe('the rate-difference test (Farrington-Manning)', () => {
  it('finds the restricted maximum-likelihood rates', () => {
    const [r1, r2] = restrictedRates(20 / 800, 16 / 3200, 800, 3200, 0.005);
    close(r1, 0.011908312483521751, 1e-7);
    close(r2, 0.006908312483521751, 1e-7);
    const [s1, s2] = restrictedRates(0.5, 0.1, 100, 100, 0.1);
    close(s1, 0.33385186647643017, 1e-7);
    close(s2, 0.23385186647643014, 1e-7);
  });

  it('matches the score test computed from SciPy', () => {
    const diff = (x1: number, n1: number, x2: number, n2: number, delta: number, side: 'greater' | 'less') =>
      rateDifferenceP({ events: x1, trials: n1 }, { events: x2, trials: n2 }, delta, side);
    close(diff(20, 800, 16, 3200, 0.005, 'greater'), 0.00012910938190063083, 1e-6);
    close(diff(3, 200, 4, 800, 0.005, 'greater'), 0.25808922461030126, 1e-6);
    close(diff(0, 200, 0, 800, 0.005, 'greater'), 0.8419511889853291, 1e-6);
    close(diff(10, 400, 30, 1600, -0.01, 'less'), 0.9904823234617498, 1e-6);
    close(diff(50, 100, 10, 100, 0.1, 'greater'), 1.0996365834200717e-6, 1e-6);
  });
});
