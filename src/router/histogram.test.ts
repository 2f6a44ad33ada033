import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketLowerUs, bucketOf, bucketWidthUs, newHistogram, quantileUs } from './histogram.js';

describe('latency histogram', () => {
  it('puts every value in a bucket whose bounds hold it, one eighth wide at most', () => {
    for (const us of [
      0,
      1,
      15,
      16,
      17,
      31,
      32,
      100,
      999,
      1000,
      1001,
      65_535,
      123_456,
      10_000_000,
      2 ** 31 - 1,
    ]) {
      const bucket = bucketOf(us);
      expect(bucket).toBeLessThan(BUCKETS);
      expect(bucketLowerUs(bucket)).toBeLessThanOrEqual(us);
      expect(bucketLowerUs(bucket) + bucketWidthUs(bucket)).toBeGreaterThan(us);
      if (us >= 16) expect(bucketWidthUs(bucket) / bucketLowerUs(bucket)).toBeLessThanOrEqual(1 / 8);
    }
  });

  it('has contiguous buckets that never go backwards', () => {
    for (let b = 1; b < BUCKETS; b++) {
      expect(bucketLowerUs(b)).toBe(bucketLowerUs(b - 1) + bucketWidthUs(b - 1));
    }
  });

  it('clamps negative, fractional and huge values', () => {
    expect(bucketOf(-5)).toBe(0);
    expect(bucketOf(3.7)).toBe(3);
    expect(bucketOf(1e12)).toBe(BUCKETS - 1);
  });

  it('reads percentiles of known values within 6.25 %', () => {
    const hist = newHistogram();
    for (let ms = 1; ms <= 1000; ms++) {
      const b = bucketOf(ms * 1000);
      hist[b] = (hist[b] ?? 0) + 1;
    }
    for (const [q, exact] of [
      [0.5, 500_000],
      [0.95, 950_000],
      [0.99, 990_000],
    ] as const) {
      const got = quantileUs(hist, 1000, q) ?? Number.NaN;
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(0.0625);
    }
  });

  it('answers undefined for an empty histogram', () => {
    expect(quantileUs(newHistogram(), 0, 0.5)).toBeUndefined();
  });
});
