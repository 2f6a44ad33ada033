import { quantile } from '../../core/quantile.js';
import { describeVerdict, type Margins, type Outcome } from './explain.js';
import { mannWhitneyU } from './mann-whitney.js';
import { type Counts, rateDifferenceP, rateRatioP, type Side } from './proportions.js';

/**
 * The statistical judge: is the canary worse than the baseline by more than the tolerance AND by
 * more than `minDifference`?
 *
 * Each margin is a one-sided test of the canary *beyond the margin*, not of "any difference": with
 * thousands of requests any harmless shift is significant against zero. The relative margin tests
 * canary / (1 + tolerance) against the baseline, the absolute one canary − minDifference; the
 * canary fails only when both are significant (an intersection-union test: each at the full level,
 * p is the larger of the two) and both point estimates are beyond their margins. For latencies the
 * estimates are Hodges-Lehmann's, the ones that belong to the rank test: the ratio and the shift
 * of the typical request (`effect: 'shift'`); for per-interval rates, the change of a statistic.
 * {@link judgeCounts} does the same on counts of errors out of requests.
 *
 * A pass is *decided* only when the canary is shown within a margin: the same tests the other
 * way (canary / (1 + tolerance) smaller than the baseline, or canary − minDifference smaller: a
 * union, so p is the smaller of the two). Otherwise the verdict is a pass that more samples may
 * overturn (`decided: false`): the analysis engine waits for more while it may (`sampleTimeout`)
 * and keeps the last verdict when the wait is over. A canary 20% slower at a 10% tolerance is
 * then judged on enough samples to tell, not passed on the first few hundred.
 *
 * Why both margins: a freshly started canary that takes a fifth of the traffic answers a
 * sub-millisecond service about 0.3 ms (+70%) slower than the warm stable instance, significantly
 * so with a few hundred requests, and harmlessly (bench/judge-rates.js). The absolute floor lets
 * such a canary pass and still fails a slow one.
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
   * `shift`: Hodges-Lehmann estimates (positive samples; falls back to `statistic` otherwise).
   * `statistic`: the relative change of `statistic`. Default `statistic`.
   */
  readonly effect?: 'shift' | 'statistic';
  /** Fewer samples on either side: inconclusive. */
  readonly minSamples: number;
  /**
   * Absolute change accepted, in the samples' unit (default 0): for `shift`, of the typical
   * request (a cold instance answering in 0.8 ms instead of 0.5 is +60% but harmless); for
   * `statistic`, of the statistic.
   */
  readonly minDifference?: number;
  /** The samples' unit, shown in the explanation (e.g. `ms`). */
  readonly unit?: string;
}

export interface JudgeVerdict {
  readonly verdict: 'pass' | 'fail' | 'inconclusive';
  /** p-value of the margin tests in the worse direction (the larger of the two; 1 when not computed). */
  readonly p: number;
  /**
   * p-value of the canary being within a margin (the smaller of the two tests the other way; 1 when
   * not computed): a pass is decided when it is below the level.
   */
  readonly pWithin: number;
  /**
   * False for a pass the samples do not settle: neither worse beyond the margins nor shown within
   * one. More samples may turn it into a fail (or a decided pass).
   */
  readonly decided: boolean;
  /** Relative change, canary vs baseline (Infinity when the baseline's figure is 0 and the canary's is not). */
  readonly effect: number;
  /** Absolute change, canary − baseline, in the samples' unit: what `minDifference` is compared with. */
  readonly difference: number;
  /** The statistic (or, for counts, the rate) of each side. */
  readonly canary: number;
  readonly baseline: number;
  readonly nCanary: number;
  readonly nBaseline: number;
  /** One line: the numbers behind the verdict. */
  readonly detail: string;
}

/** Judges samples: per-request latencies, or per-interval rates. */
export function judge(
  canaryIn: readonly number[],
  baselineIn: readonly number[],
  options: JudgeOptions,
): JudgeVerdict {
  const canary = canaryIn.filter(Number.isFinite);
  const baseline = baselineIn.filter(Number.isFinite);
  const { statistic, minSamples } = options;
  if (canary.length < minSamples || baseline.length < minSamples) {
    return tooFew(canary.length, baseline.length, minSamples, 'samples');
  }
  const canaryStat = statisticOf(canary, statistic);
  const baselineStat = statisticOf(baseline, statistic);
  const byShift = options.effect === 'shift' && canary.every((v) => v > 0) && baseline.every((v) => v > 0);
  const effect = byShift
    ? hodgesLehmannRatio(canary, baseline) - 1
    : relativeChange(canaryStat, baselineStat);
  const difference = byShift ? hodgesLehmannShift(canary, baseline) : canaryStat - baselineStat;
  const test: MarginTest = (side, factor, shift) => ({
    relative: mannWhitneyU(
      canary.map((value) => value / factor),
      baseline,
      { alternative: side },
    ).p,
    absolute:
      shift === 0
        ? undefined
        : mannWhitneyU(
            canary.map((value) => value - shift),
            baseline,
            { alternative: side },
          ).p,
  });
  return decide(options, effect, difference, test, {
    canary: canaryStat,
    baseline: baselineStat,
    nCanary: canary.length,
    nBaseline: baseline.length,
    shown: byShift ? 'shift' : 'statistic',
    statisticChange: relativeChange(canaryStat, baselineStat),
  });
}

/**
 * Judges counts: errors out of requests on each side, with the same margins as {@link judge}
 * (`statistic` and `effect` do not apply; `minSamples` counts requests).
 */
export function judgeCounts(canary: Counts, baseline: Counts, options: JudgeOptions): JudgeVerdict {
  if (canary.trials < options.minSamples || baseline.trials < options.minSamples) {
    return tooFew(canary.trials, baseline.trials, options.minSamples, 'requests');
  }
  const canaryRate = canary.events / canary.trials;
  const baselineRate = baseline.events / baseline.trials;
  const test: MarginTest = (side, factor, shift) => ({
    relative: rateRatioP(canary, baseline, factor, side),
    absolute: shift === 0 ? undefined : rateDifferenceP(canary, baseline, shift, side),
  });
  return decide(options, relativeChange(canaryRate, baselineRate), canaryRate - baselineRate, test, {
    canary: canaryRate,
    baseline: baselineRate,
    nCanary: canary.trials,
    nBaseline: baseline.trials,
    shown: 'counts',
    counts: { canary, baseline },
  });
}

/**
 * The one-sided tests of the canary against each margin: `factor` × the baseline (relative) and the
 * baseline + `shift` (absolute; undefined when there is no floor), with the alternative `side`.
 */
type MarginTest = (
  side: Side,
  factor: number,
  shift: number,
) => { readonly relative: number; readonly absolute: number | undefined };

/** The decision shared by samples and counts: both margins, in the worse direction(s). */
function decide(
  options: JudgeOptions,
  effect: number,
  difference: number,
  test: MarginTest,
  figures: Omit<Margins, 'effect' | 'difference' | 'p' | 'tolerance' | 'minDifference' | 'unit'>,
): JudgeVerdict {
  const { tolerance, direction } = options;
  const minDifference = options.minDifference ?? 0;
  const alpha = 1 - options.confidence;
  // Worse beyond both margins (an intersection: the larger p); within either (a union: the smaller).
  const worse = (margins: ReturnType<MarginTest>) => Math.max(margins.relative, margins.absolute ?? 0);
  const within = (margins: ReturnType<MarginTest>) => Math.min(margins.relative, margins.absolute ?? 1);
  const increase = () => test('greater', 1 + tolerance, minDifference);
  const decrease = () => (tolerance >= 1 ? undefined : test('less', 1 - tolerance, -minDifference));
  // `either`: two one-sided tests at alpha/2 each, in the direction the canary moved.
  const up = direction === 'increase' || (direction === 'either' && effect >= 0);
  const worseMargins = up ? increase() : decrease();
  const p = worseMargins === undefined ? 1 : worse(worseMargins);
  const level = direction === 'either' ? alpha / 2 : alpha;
  // Within: on the side(s) that could be worse; a decrease past a tolerance of 100% cannot be.
  const withinP = (side: 'up' | 'down') =>
    side === 'up'
      ? within(test('less', 1 + tolerance, minDifference))
      : tolerance >= 1
        ? 0
        : within(test('greater', 1 - tolerance, -minDifference));
  const pWithin =
    direction === 'increase'
      ? withinP('up')
      : direction === 'decrease'
        ? withinP('down')
        : Math.max(withinP('up'), withinP('down'));
  const sign = up ? 1 : -1;
  const beyondTolerance = sign * effect > tolerance;
  const beyondFloor = sign * difference > minDifference;
  const outcome: Outcome = !beyondTolerance
    ? 'pass'
    : !beyondFloor
      ? 'floor'
      : p < level
        ? 'fail'
        : 'notSignificant';
  const decided = outcome === 'fail' || pWithin < level;
  return {
    verdict: outcome === 'fail' ? 'fail' : 'pass',
    p,
    pWithin,
    decided,
    effect,
    difference,
    canary: figures.canary,
    baseline: figures.baseline,
    nCanary: figures.nCanary,
    nBaseline: figures.nBaseline,
    detail: describeVerdict(outcome, options.statistic, {
      ...figures,
      effect,
      difference,
      p,
      pWithin,
      decided,
      tolerance,
      minDifference,
      unit: options.unit ?? '',
    }),
  };
}

function tooFew(nCanary: number, nBaseline: number, minSamples: number, what: string): JudgeVerdict {
  return {
    verdict: 'inconclusive',
    p: 1,
    pWithin: 1,
    decided: false,
    effect: 0,
    difference: 0,
    canary: Number.NaN,
    baseline: Number.NaN,
    nCanary,
    nBaseline,
    detail: `too few ${what}: ${nCanary} canary, ${nBaseline} baseline (at least ${minSamples} each needed)`,
  };
}

/**
 * Hodges-Lehmann estimate of the scale ratio: the r at which canary / r and baseline are balanced
 * (U = n1·n2 / 2), i.e. the median of the pairwise ratios. Samples must be positive.
 */
export function hodgesLehmannRatio(canary: readonly number[], baseline: readonly number[]): number {
  return Math.exp(balance(canary, baseline, 'ratio'));
}

/**
 * Hodges-Lehmann estimate of the shift: the d at which canary − d and baseline are balanced, i.e.
 * the median of the pairwise differences (for latencies: how much slower the typical request is).
 */
export function hodgesLehmannShift(canary: readonly number[], baseline: readonly number[]): number {
  return balance(canary, baseline, 'shift');
}

/**
 * The x at which U(x) — the pairs with the moved canary value above the baseline one, ties half —
 * crosses n1·n2 / 2, by bisection in O((n + m) log) instead of forming all n·m pairs. A ratio is
 * searched on the log scale.
 */
function balance(canary: readonly number[], baseline: readonly number[], kind: 'ratio' | 'shift'): number {
  const c = [...canary].sort((a, b) => a - b);
  const b = [...baseline].sort((x, y) => x - y);
  const half = (c.length * b.length) / 2;
  const move = kind === 'ratio' ? (v: number, x: number) => v / Math.exp(x) : (v: number, x: number) => v - x;
  // U(x) is non-increasing in x: moving the canary down only loses pairs.
  const u = (x: number): number => {
    let below = 0;
    let upTo = 0;
    let total = 0;
    for (const value of c) {
      const moved = move(value, x);
      while (below < b.length && (b[below] ?? 0) < moved) below += 1;
      upTo = Math.max(upTo, below);
      while (upTo < b.length && (b[upTo] ?? 0) <= moved) upTo += 1;
      total += below + (upTo - below) / 2;
    }
    return total;
  };
  const [cLow, cHigh, bLow, bHigh] = [c[0] ?? 1, c.at(-1) ?? 1, b[0] ?? 1, b.at(-1) ?? 1];
  let low = kind === 'ratio' ? Math.log(cLow / bHigh) : cLow - bHigh;
  let high = kind === 'ratio' ? Math.log(cHigh / bLow) : cHigh - bLow;
  const precision = 1e-9 * Math.max(1, Math.abs(low), Math.abs(high));
  for (let i = 0; i < 100 && high - low > precision; i += 1) {
    const mid = (low + high) / 2;
    if (u(mid) > half) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
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

/** canary / baseline − 1; ±Infinity from a baseline of 0. */
export function relativeChange(canary: number, baseline: number): number {
  if (baseline === 0)
    return canary === 0 ? 0 : canary > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return canary / baseline - 1;
}
