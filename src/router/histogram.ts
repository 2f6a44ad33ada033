/**
 * A log-linear latency histogram over microseconds, HDR-style: exact below 16 µs, then 8
 * sub-buckets per power of two, so a bucket spans at most 1/8 of its value and a percentile read
 * from its middle is within ±6.25 %. Recording is O(1) with no allocation: one `clz32` and an
 * increment. 232 buckets cover 0 µs to 35 minutes.
 */

const LINEAR = 16;
const SUB_BITS = 3;
const SUB = 1 << SUB_BITS;
const MAX_US = 0x7fffffff;

/** Number of buckets of a latency histogram. */
export const BUCKETS = LINEAR + (30 - 4 + 1) * SUB;

/** The bucket holding a latency of `us` microseconds (negative and fractional values are clamped). */
export function bucketOf(us: number): number {
  const v = us >= MAX_US ? MAX_US : us > 0 ? us | 0 : 0;
  if (v < LINEAR) return v;
  const exponent = 31 - Math.clz32(v);
  return LINEAR + (exponent - 4) * SUB + ((v >>> (exponent - SUB_BITS)) & (SUB - 1));
}

/** Lowest value in the bucket, in µs. */
export function bucketLowerUs(bucket: number): number {
  if (bucket < LINEAR) return bucket;
  const exponent = 4 + ((bucket - LINEAR) >> SUB_BITS);
  return (SUB + ((bucket - LINEAR) & (SUB - 1))) * 2 ** (exponent - SUB_BITS);
}

/** Width of the bucket, in µs. */
export function bucketWidthUs(bucket: number): number {
  if (bucket < LINEAR) return 1;
  return 2 ** (4 + ((bucket - LINEAR) >> SUB_BITS) - SUB_BITS);
}

/** A fresh, empty histogram. */
export function newHistogram(): Uint32Array {
  return new Uint32Array(BUCKETS);
}

/**
 * The `q` quantile (0..1) of a histogram holding `total` values, in µs, interpolated linearly
 * inside the bucket where the rank falls. `undefined` when empty.
 */
export function quantileUs(counts: ArrayLike<number>, total: number, q: number): number | undefined {
  if (total <= 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bucket = 0; bucket < counts.length; bucket++) {
    const n = counts[bucket] ?? 0;
    if (n === 0) continue;
    if (seen + n >= rank) {
      if (bucket < LINEAR) return bucket;
      return bucketLowerUs(bucket) + (bucketWidthUs(bucket) * (rank - seen - 0.5)) / n;
    }
    seen += n;
  }
  return undefined;
}

/** Adds `from` into `into`, bucket by bucket. */
export function addInto(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0);
}
