import { describe, expect, it } from 'vitest';
import { hodgesLehmannRatio, hodgesLehmannShift, type JudgeOptions, judge, judgeCounts } from './judge.js';
import { createRandom } from './random.js';

const options: JudgeOptions = {
  statistic: 'p99',
  tolerance: 0.1,
  confidence: 0.95,
  direction: 'increase',
  effect: 'shift',
  minSamples: 10,
  unit: 'ms',
};

const random = createRandom(7);
/** Log-normal latencies around `median` ms. */
const latencies = (n: number, median: number, sigma = 0.5) =>
  Array.from({ length: n }, () => random.lognormal(Math.log(median), sigma));

/** The numbers of a latency explanation, as a reader sees them. */
function shown(detail: string) {
  const match =
    /typical request ([+-][\d.]+)% \(([+-][\d.]+) ms\), Hodges-Lehmann; p99 canary ([\d.]+) ms vs baseline ([\d.]+) ms \(([+-][\d.]+)%\)/.exec(
      detail,
    );
  if (match === null) throw new Error(`not a latency explanation: ${detail}`);
  const [typical, shift, canary, baseline, change] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return { typical, shift, canary, baseline, change };
}

describe('the judge on latencies', () => {
  it('passes a canary as fast as the baseline, and says so with every figure', () => {
    const verdict = judge(latencies(2000, 100), latencies(6000, 100), options);
    expect(verdict.verdict).toBe('pass');
    expect(verdict.detail).toMatch(
      /^canary within tolerance of baseline: typical request [+-]\d+\.\d% \([+-][\d.]+ ms\), Hodges-Lehmann; p99 canary \d+ ms vs baseline \d+ ms \([+-]\d+\.\d%\); tolerance 10%, p=[\d.e-]+, n=2000\/6000$/,
    );
  });

  it('fails a canary 30% slower', () => {
    const verdict = judge(latencies(2000, 130), latencies(6000, 100), options);
    expect(verdict).toMatchObject({ verdict: 'fail' });
    expect(verdict.effect).toBeGreaterThan(0.2);
    expect(verdict.p).toBeLessThan(0.05);
    expect(verdict.detail).toMatch(
      /^canary worse than baseline: typical request \+\d\d\.\d% \(\+\d+\.\d+ ms\)/,
    );
  });

  it('words each change from the numbers beside it, canary vs baseline, even when they disagree', () => {
    // The case: the typical request slower, the p99 lower (the baseline has a slow tail).
    const baseline = [...latencies(1900, 3, 0.3), ...latencies(100, 30, 0.2)];
    const canary = latencies(600, 4.2, 0.3);
    const verdict = judge(canary, baseline, options);
    const figures = shown(verdict.detail);
    expect(figures.typical).toBeGreaterThan(0);
    expect(figures.change).toBeLessThan(0);
    // The percentage beside the p99s is theirs (up to the rounding of what is shown) …
    expect(Math.abs(figures.change - (figures.canary / figures.baseline - 1) * 100)).toBeLessThan(0.5);
    // … and the typical request's figures are the verdict's effect and difference.
    expect(figures.typical).toBeCloseTo(verdict.effect * 100, 1);
    expect(figures.shift).toBeCloseTo(verdict.difference, 2);
    expect(figures.canary).toBeCloseTo(verdict.canary, 2);
    expect(figures.baseline).toBeCloseTo(verdict.baseline, 2);
  });

  it('passes a large relative slowdown within minDifference, and fails one beyond it', () => {
    // A sub-millisecond service: a cold canary is ~0.3 ms (+70%) slower than the warm stable one.
    const baseline = latencies(4000, 0.4, 0.3);
    const cold = latencies(800, 0.7, 0.3);
    expect(judge(cold, baseline, options).verdict).toBe('fail');
    const floored = judge(cold, baseline, { ...options, minDifference: 2 });
    expect(floored).toMatchObject({ verdict: 'pass', decided: true }); // shown well within 2 ms
    expect(floored.detail).toMatch(
      /^canary worse than baseline by more than the tolerance but within minDifference: typical request \+\d+\.\d% \(\+0\.\d+ ms\).*; tolerance 10%, minDifference 2 ms, p=/,
    );
    expect(judge(latencies(800, 12, 0.3), baseline, { ...options, minDifference: 2 }).verdict).toBe('fail');
  });

  it('fails only when the canary is significantly beyond both margins, and leaves an unproven pass undecided', () => {
    // 15 ms → 18 ms is +20% and +3 ms, but 30 requests cannot show it beyond a 2 ms floor.
    const verdict = judge(latencies(30, 18), latencies(3000, 15), { ...options, minDifference: 2 });
    expect(verdict.effect).toBeGreaterThan(0.1);
    expect(verdict.difference).toBeGreaterThan(2);
    expect(verdict).toMatchObject({ verdict: 'pass', decided: false });
    expect(verdict.pWithin).toBeGreaterThan(0.05);
    expect(verdict.detail).toMatch(
      /^canary neither significantly worse than baseline beyond the margins nor shown within them: .*, p=0\.\d+, p\(within\)=0\.\d+, n=30\/3000$/,
    );
  });

  it('decides a pass only when the canary is shown within a margin, and fails a slow one given samples', () => {
    const wide = { ...options, minDifference: 2 };
    // The same code: shown within 10% on 2,000 samples a side.
    const same = judge(latencies(2000, 20, 0.8), latencies(2000, 20, 0.8), wide);
    expect(same).toMatchObject({ verdict: 'pass', decided: true });
    expect(same.pWithin).toBeLessThan(0.05);
    expect(same.detail).toMatch(/^canary within tolerance of baseline: /);
    // 20% slower with a wide spread: 100 samples a side tell neither way; 5,000 show it.
    const few = judge(latencies(100, 24, 0.8), latencies(100, 20, 0.8), wide);
    expect(few).toMatchObject({ verdict: 'pass', decided: false });
    const many = judge(latencies(5000, 24, 0.8), latencies(5000, 20, 0.8), wide);
    expect(many).toMatchObject({ verdict: 'fail', decided: true });
  });

  it('passes a canary that is significantly but only slightly slower (within tolerance)', () => {
    const verdict = judge(latencies(20_000, 104), latencies(20_000, 100), { ...options, statistic: 'p50' });
    expect(verdict).toMatchObject({ verdict: 'pass', decided: true });
    expect(verdict.effect).toBeGreaterThan(0);
  });

  it('never fails a faster canary for latency, however large the difference', () => {
    const faster = judge(latencies(2000, 50), latencies(2000, 100), { ...options, minDifference: 2 });
    expect(faster).toMatchObject({ verdict: 'pass' });
    expect(faster.difference).toBeLessThan(-2);
    expect(faster.detail).toMatch(/typical request -\d+\.\d% \(-\d+\.\d+ ms\)/);
    const either = judge(latencies(2000, 50), latencies(2000, 100), { ...options, direction: 'either' });
    expect(either.verdict).toBe('fail');
  });

  it('fails a lower throughput with direction decrease, beyond the floor only', () => {
    // Requests per second, the same spread (±5) around 70 and around 100: exactly 30 lower.
    const perSecond = (mean: number) => Array.from({ length: 60 }, (_, i) => mean + (i % 11) - 5);
    const throughput = { ...options, statistic: 'mean', effect: 'statistic', direction: 'decrease' } as const;
    const [low, high] = [perSecond(70), perSecond(100)];
    expect(judge(low, high, throughput)).toMatchObject({ verdict: 'fail', difference: -30 });
    expect(judge(low, high, { ...throughput, minDifference: 20 }).verdict).toBe('fail');
    expect(judge(low, high, { ...throughput, minDifference: 40 }).verdict).toBe('pass');
    // Floor 29.5: half a request beyond it, well within the spread: not significantly.
    const edge = judge(low, high, { ...throughput, minDifference: 29.5 });
    expect(edge).toMatchObject({ verdict: 'pass', decided: false });
    expect(edge.detail).toMatch(
      /^canary neither significantly worse than baseline beyond the margins nor shown/,
    );
    expect(judge(high, low, throughput).verdict).toBe('pass');
  });

  it('is inconclusive with too few samples, never a pass', () => {
    const verdict = judge(latencies(5, 300), latencies(500, 100), options);
    expect(verdict).toMatchObject({ verdict: 'inconclusive', nCanary: 5, nBaseline: 500 });
    expect(verdict.detail).toBe('too few samples: 5 canary, 500 baseline (at least 10 each needed)');
  });

  it('ignores NaN samples and compares per-interval rates from zero', () => {
    const zeros = Array(50).fill(0);
    const errors = [...Array(25).fill(0), ...Array(25).fill(0.04)];
    const rates = { ...options, statistic: 'mean', effect: 'statistic', unit: '' } as const;
    const verdict = judge([...errors, Number.NaN], zeros, rates);
    expect(verdict).toMatchObject({ verdict: 'fail', effect: Number.POSITIVE_INFINITY, nCanary: 50 });
    expect(verdict.detail).toMatch(
      /^canary worse than baseline: mean canary 0\.020 vs baseline 0\.0 \(up from 0, \+0\.020\)/,
    );
    expect(judge(zeros, zeros, rates).verdict).toBe('pass');
  });
});

describe('the judge on error counts', () => {
  const counts = { ...options, statistic: 'mean', minDifference: 0.005, unit: '' } as const;

  it('fails 2.5% errors against 0.5%, with the numbers it used (p from SciPy)', () => {
    const verdict = judgeCounts({ events: 20, trials: 800 }, { events: 16, trials: 3200 }, counts);
    expect(verdict).toMatchObject({ verdict: 'fail', canary: 0.025, baseline: 0.005, effect: 4 });
    expect(verdict.difference).toBeCloseTo(0.02, 12);
    // The larger of binomtest (8.9e-6) and the Farrington-Manning test against +0.005 (1.29e-4).
    expect(verdict.p).toBeCloseTo(0.00012910938190063083, 9);
    expect(verdict.detail).toBe(
      'canary worse than baseline: error rate canary 0.025 (20 of 800) vs baseline 0.0050 (16 of 3200) (+400.0%, +0.020); tolerance 10%, minDifference 0.005, p=1.3e-4, n=800/3200',
    );
  });

  it('passes the same error rate, and a higher one within minDifference', () => {
    const same = judgeCounts({ events: 4, trials: 800 }, { events: 16, trials: 3200 }, counts);
    expect(same.verdict).toBe('pass');
    // 0.50% against 0.03%: sixteen times as many errors, but 0.0047 more, under 0.005.
    const within = judgeCounts({ events: 4, trials: 800 }, { events: 1, trials: 3200 }, counts);
    // … not yet significantly within it: 4 errors cannot show the difference is under 0.005.
    expect(within).toMatchObject({ verdict: 'pass', effect: 15, decided: false });
    expect(within.detail).toMatch(
      /^canary worse than baseline by more than the tolerance but within minDifference, not yet significantly: .*p\(within\)=/,
    );
  });

  it('counts errors of a baseline without any as a rise from 0', () => {
    const verdict = judgeCounts({ events: 32, trials: 800 }, { events: 0, trials: 3200 }, counts);
    expect(verdict).toMatchObject({ verdict: 'fail', effect: Number.POSITIVE_INFINITY });
    expect(verdict.detail).toMatch(/\(up from 0, \+0\.040\)/);
  });

  it('is inconclusive with too few requests', () => {
    expect(judgeCounts({ events: 0, trials: 3 }, { events: 0, trials: 900 }, counts)).toMatchObject({
      verdict: 'inconclusive',
      detail: 'too few requests: 3 canary, 900 baseline (at least 10 each needed)',
    });
  });
});

describe('the Hodges-Lehmann estimates', () => {
  const canary = [2, 3, 5, 8, 13];
  const baseline = [1, 2, 4, 7];
  /** The 10th and 11th of the 20 pairwise values: the median lies between them. */
  const middle = (values: number[]) => {
    const sorted = values.sort((a, b) => a - b);
    return [sorted[9] ?? 0, sorted[10] ?? 0] as const;
  };

  it('are the medians of the pairwise ratios and differences', () => {
    const [lowRatio, highRatio] = middle(canary.flatMap((c) => baseline.map((b) => c / b)));
    const ratio = hodgesLehmannRatio(canary, baseline);
    expect(ratio).toBeGreaterThanOrEqual(lowRatio - 1e-6);
    expect(ratio).toBeLessThanOrEqual(highRatio + 1e-6);
    const [lowShift, highShift] = middle(canary.flatMap((c) => baseline.map((b) => c - b)));
    const shift = hodgesLehmannShift(canary, baseline);
    expect(shift).toBeGreaterThanOrEqual(lowShift - 1e-6);
    expect(shift).toBeLessThanOrEqual(highShift + 1e-6);
  });

  it('recover a scale factor and a shift through noise', () => {
    const base = latencies(3000, 120);
    expect(Math.abs(hodgesLehmannRatio(base.map((v) => v * 1.2).slice(0, 1000), base) - 1.2)).toBeLessThan(
      0.05,
    );
    const noisy = latencies(1000, 120).map((v) => v + 30);
    expect(Math.abs(hodgesLehmannShift(noisy, base) - 30)).toBeLessThan(5);
    expect(hodgesLehmannRatio([5, 5, 5], [5, 5, 5])).toBeCloseTo(1, 6);
    expect(hodgesLehmannShift([5, 5, 5], [5, 5, 5])).toBeCloseTo(0, 6);
  });
});
