import { mannWhitneyU } from './mann-whitney.js';

/**
 * The statistical judge: is the canary worse than the baseline by more than the tolerance?
 *
 * Two things must hold to fail, as in Kayenta: the effect is beyond the tolerance, AND a one-sided
 * Mann-Whitney test finds the canary significantly worse than the baseline *scaled by the
 * tolerance* (canary / (1 + tolerance) still larger than baseline). The effect is the
 * Hodges-Lehmann ratio for `shift` (the scale factor that best lines the canary up with the
 * baseline, the estimate that belongs to the rank test; used for latencies), or the relative change
 * of a statistic such as the mean error rate for `statistic`. The test is against
 * the margin, not against "no difference": with thousands of requests any tiny, harmless shift is
 * significant against zero, but not against a 10% margin. Noise alone fails a healthy canary with
 * probability below 1 − confidence, and in practice far less (its true effect is 0, not the margin).
 * Samples are non-negative (latencies, rates), which makes scaling by the tolerance meaningful.
 */

export type Statistic = 'mean' | 'p50' | 'p95' | 'p99';
export type Direction = 'increase' | 'decrease' | 'either';

export interface JudgeOptions {
  /** What the effect is measured on: a quantile for latencies, the mean for per-interval rates. */
  readonly statistic: Statistic;
  /** Relative change accepted, e.g. 0.1 for 10%. */
  readonly tolerance: number;
  /** e.g. 0.95: fail only when p < 0.05. */
  readonly confidence: number;
  /** Which change is worse: `increase` for latencies and errors, `decrease` for throughput. */
  readonly direction: Direction;
  /**
   * `shift`: the Hodges-Lehmann ratio (positive samples; falls back to `statistic` otherwise).
   * `statistic`: the relative change of `statistic`. Default `statistic`.
   */
  readonly effect?: 'shift' | 'statistic';
  /** Fewer samples on either side: inconclusive. */
  readonly minSamples: number;
  /**
   * The statistic must differ by more than this, in the samples' unit, to fail (default 0): a
   * cold instance answering in 9 ms instead of 5 is +80% but harmless.
   */
  readonly minDifference?: number;
}

export interface JudgeVerdict {
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  /** p-value of the margin test in the worse direction (1 when not computed). */
  readonly p: number;
  /** Relative change, canary vs baseline (Infinity when the baseline's statistic is 0 and the canary's is not). */
  readonly effect: number;
  readonly canary: number;
  readonly baseline: number;
  readonly nCanary: number;
  readonly nBaseline: number;
  /** One line: the numbers behind the verdict. */
  readonly detail: string;
}

export function judge(
  canaryIn: readonly number[],
  baselineIn: readonly number[],
  options: JudgeOptions,
): JudgeVerdict {
  const canary = canaryIn.filter(Number.isFinite);
  const baseline = baselineIn.filter(Number.isFinite);
  const { statistic, tolerance, direction, minSamples } = options;
  const counts = { nCanary: canary.length, nBaseline: baseline.length };
  if (canary.length < minSamples || baseline.length < minSamples) {
    return {
      verdict: 'inconclusive',
      p: 1,
      effect: 0,
      canary: Number.NaN,
      baseline: Number.NaN,
      ...counts,
      detail: `too few samples: ${canary.length} canary, ${baseline.length} baseline (at least ${minSamples} each needed)`,
    };
  }
  const alpha = 1 - options.confidence;
  const canaryStat = statisticOf(canary, statistic);
  const baselineStat = statisticOf(baseline, statistic);
  const byShift = options.effect === 'shift' && canary.every((v) => v > 0) && baseline.every((v) => v > 0);
  const effect = byShift
    ? hodgesLehmannRatio(canary, baseline) - 1
    : relativeChange(canaryStat, baselineStat);
  const increase = () => marginP(canary, baseline, 1 + tolerance, 'greater');
  const decrease = () => (tolerance >= 1 ? 1 : marginP(canary, baseline, 1 - tolerance, 'less'));
  let p = 1;
  let worse = false;
  if (direction === 'increase') {
    p = increase();
    worse = effect > tolerance && p < alpha;
  } else if (direction === 'decrease') {
    p = decrease();
    worse = effect < -tolerance && p < alpha;
  } else {
    // Two one-sided tests at alpha/2 each: the canary may be worse either way.
    p = effect >= 0 ? increase() : decrease();
    worse = Math.abs(effect) > tolerance && p < alpha / 2;
  }
  const difference = canaryStat - baselineStat;
  const minDifference = options.minDifference ?? 0;
  const belowFloor = worse && Math.abs(difference) <= minDifference;
  if (belowFloor) worse = false;
  const percent = (effect * 100).toFixed(1);
  const change = !Number.isFinite(effect)
    ? 'from 0'
    : effect > 0 || percent === '-0.0'
      ? `+${percent.replace('-', '')}%`
      : `${percent}%`;
  const numbers = `${statistic} ${format(canaryStat)} vs ${format(baselineStat)} (${byShift ? `shift ${change}` : change}, tolerance ${Math.round(tolerance * 100)}%, p=${formatP(p)}, n=${canary.length}/${baseline.length})`;
  return {
    verdict: worse ? 'fail' : 'pass',
    p,
    effect,
    canary: canaryStat,
    baseline: baselineStat,
    ...counts,
    detail: worse
      ? `canary worse than baseline: ${numbers}`
      : belowFloor
        ? `canary differs by ${format(Math.abs(difference))}, within minDifference ${format(minDifference)}: ${numbers}`
        : `canary within tolerance of baseline: ${numbers}`,
  };
}

/** One-sided p of "canary / factor is still worse than baseline". */
function marginP(
  canary: readonly number[],
  baseline: readonly number[],
  factor: number,
  alternative: 'greater' | 'less',
): number {
  return mannWhitneyU(
    canary.map((value) => value / factor),
    baseline,
    { alternative },
  ).p;
}

/**
 * Hodges-Lehmann estimate of the scale ratio: the r at which canary / r and baseline are balanced
 * (U = n1·n2 / 2), i.e. the median of the pairwise ratios, found by bisection in O((n+m) log)
 * instead of forming all n·m ratios. Samples must be positive.
 */
export function hodgesLehmannRatio(canary: readonly number[], baseline: readonly number[]): number {
  const c = [...canary].sort((a, b) => a - b);
  const b = [...baseline].sort((x, y) => x - y);
  const half = (c.length * b.length) / 2;
  // U(r) = #pairs with c/r > b, plus half the ties; non-increasing in r.
  const u = (r: number): number => {
    let below = 0;
    let upTo = 0;
    let total = 0;
    for (const value of c) {
      const scaled = value / r;
      while (below < b.length && (b[below] ?? 0) < scaled) below += 1;
      upTo = Math.max(upTo, below);
      while (upTo < b.length && (b[upTo] ?? 0) <= scaled) upTo += 1;
      total += below + (upTo - below) / 2;
    }
    return total;
  };
  let low = Math.log((c[0] ?? 1) / (b.at(-1) ?? 1));
  let high = Math.log((c.at(-1) ?? 1) / (b[0] ?? 1));
  for (let i = 0; i < 60 && high - low > 1e-9; i += 1) {
    const mid = (low + high) / 2;
    if (u(Math.exp(mid)) > half) low = mid;
    else high = mid;
  }
  return Math.exp((low + high) / 2);
}

export function statisticOf(values: readonly number[], statistic: Statistic): number {
  if (values.length === 0) return Number.NaN;
  if (statistic === 'mean') return values.reduce((a, b) => a + b, 0) / values.length;
  const q = statistic === 'p50' ? 0.5 : statistic === 'p95' ? 0.95 : 0.99;
  return quantile(
    [...values].sort((a, b) => a - b),
    q,
  );
}

/** Quantile with linear interpolation between order statistics (type 7, the R and NumPy default). */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const low = sorted[lower] ?? Number.NaN;
  const high = sorted[Math.min(lower + 1, sorted.length - 1)] ?? low;
  return low + (high - low) * (position - lower);
}

function relativeChange(canary: number, baseline: number): number {
  if (baseline === 0)
    return canary === 0 ? 0 : canary > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return canary / baseline - 1;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

function formatP(p: number): string {
  return p >= 0.001 ? p.toFixed(3) : p.toExponential(1);
}
