import { normalSf } from './mann-whitney.js';

/**
 * Tests on counts of events (errors) out of trials (requests), for the error-rate judge. Counts
 * use every request; per-second rates ranked by Mann-Whitney waste most of them (a second with
 * two requests says little) and missed two thirds of +2% error canaries through the router
 * (bench/judge-rates.js).
 *
 * - {@link rateRatioP}: is the canary's rate more than `ratio` times the baseline's? The exact
 *   conditional test for two Poisson rates: given k events in all, the canary's share is binomial.
 * - {@link rateDifferenceP}: is it more than `delta` above it? Farrington & Manning's score test.
 *
 * Reference values in the tests: SciPy (`binomtest`, `binom.sf`, and the restricted maximum
 * likelihood solved numerically).
 */

export interface Counts {
  /** Events (errors). */
  readonly events: number;
  /** Trials (requests), at least `events`. */
  readonly trials: number;
}

export type Side = 'greater' | 'less';

/**
 * One-sided p of "the canary's rate is more than `ratio` × the baseline's" (`greater`), or less
 * (`less`). Given k events in all, under the null the canary's count is Binomial(k, π) with
 * π = n₁·ratio / (n₁·ratio + n₂) (SciPy: `binomtest(x₁, k, π, alternative)`). No events: p = 1.
 */
export function rateRatioP(canary: Counts, baseline: Counts, ratio: number, side: Side): number {
  const k = canary.events + baseline.events;
  if (k === 0 || canary.trials === 0 || baseline.trials === 0) return 1;
  const share = (canary.trials * ratio) / (canary.trials * ratio + baseline.trials);
  return side === 'greater' ? binomialSf(canary.events, k, share) : binomialCdf(canary.events, k, share);
}

/**
 * One-sided p of "the canary's rate exceeds the baseline's by more than `delta`" (`greater`), or
 * falls short of it (`less`, with a negative `delta`): the score statistic with the variance at
 * the maximum-likelihood rates under the null (Farrington & Manning 1990), closed form.
 */
export function rateDifferenceP(canary: Counts, baseline: Counts, delta: number, side: Side): number {
  if (canary.trials === 0 || baseline.trials === 0) return 1;
  const p1 = canary.events / canary.trials;
  const p2 = baseline.events / baseline.trials;
  const [r1, r2] = restrictedRates(p1, p2, canary.trials, baseline.trials, delta);
  const variance = (r1 * (1 - r1)) / canary.trials + (r2 * (1 - r2)) / baseline.trials;
  const excess = p1 - p2 - delta;
  if (!(variance > 0)) {
    // Rates of 0 or 1 under the null: the observed excess decides outright.
    if (side === 'greater') return excess > 0 ? 0 : 1;
    return excess < 0 ? 0 : 1;
  }
  const z = excess / Math.sqrt(variance);
  return side === 'greater' ? normalSf(z) : normalSf(-z);
}

/**
 * The rates (canary, baseline) that maximise the likelihood subject to canary − baseline = δ:
 * the root of a cubic (Farrington & Manning 1990, eq. 5; Miettinen & Nurminen 1985).
 */
export function restrictedRates(
  p1: number,
  p2: number,
  n1: number,
  n2: number,
  delta: number,
): [number, number] {
  if (delta === 0) {
    const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    return [pooled, pooled];
  }
  const theta = n2 / n1;
  const a = 1 + theta;
  const b = -(1 + theta + p1 + theta * p2 + delta * (theta + 2));
  const c = delta * delta + delta * (2 * p1 + theta + 1) + p1 + theta * p2;
  const d = -p1 * delta * (1 + delta);
  const v = b ** 3 / (27 * a ** 3) - (b * c) / (6 * a * a) + d / (2 * a);
  const u = Math.sign(v) * Math.sqrt(Math.max(0, (b * b) / (9 * a * a) - c / (3 * a)));
  const cosine = u === 0 ? 0 : Math.min(1, Math.max(-1, v / u ** 3));
  const w = (Math.PI + Math.acos(cosine)) / 3;
  const r1 = clamp01(2 * u * Math.cos(w) - b / (3 * a));
  return [r1, clamp01(r1 - delta)];
}

/** P(X ≥ x) for X ~ Binomial(n, p) (SciPy: `binom.sf(x - 1, n, p)`). */
export function binomialSf(x: number, n: number, p: number): number {
  if (x <= 0) return 1;
  if (x > n) return 0;
  // Sum the tail that does not hold the mean, so a small p-value keeps its digits.
  return x > n * p ? binomialSum(x, n, n, p) : 1 - binomialSum(0, x - 1, n, p);
}

/** P(X ≤ x) for X ~ Binomial(n, p) (SciPy: `binom.cdf(x, n, p)`). */
export function binomialCdf(x: number, n: number, p: number): number {
  if (x < 0) return 0;
  if (x >= n) return 1;
  return x < n * p ? binomialSum(0, x, n, p) : 1 - binomialSum(x + 1, n, n, p);
}

/** Σ P(X = i) for i from `from` to `to`, each term computed in log space (no underflow chain). */
function binomialSum(from: number, to: number, n: number, p: number): number {
  if (p <= 0) return from === 0 ? 1 : 0;
  if (p >= 1) return to === n ? 1 : 0;
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  const base = logGamma(n + 1);
  let sum = 0;
  for (let i = from; i <= to; i++) {
    sum += Math.exp(base - logGamma(i + 1) - logGamma(n - i + 1) + i * logP + (n - i) * logQ);
  }
  return Math.min(1, Math.max(0, sum));
}

/** ln Γ(x) for x > 0: Lanczos (g = 7, 9 terms), relative error around 1e-15. */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const t = x - 1;
  let sum = LANCZOS[0] ?? 0;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] ?? 0) / (t + i);
  const g = t + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (t + 0.5) * Math.log(g) - g + Math.log(sum);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
