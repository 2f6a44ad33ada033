import { flagdJsHash, murmur3Finish, murmur3Prefix, scaleToBuckets, unleashHash } from './hash.js';
import type { Bucketing } from './types.js';
import { attributeGetter, bucketText, type Context, type Getter } from './values.js';

/**
 * Sticky bucketing: the same attribute value always lands in the same bucket, in every process
 * and browser, because the bucket is a pure function of (salt, value). Three schemes:
 *
 * - `flowline`: MurmurHash3 x86 32 (seed 0) of the UTF-8 bytes of `salt + value`, scaled to
 *   100,000 buckets (`floor(hash × 100000 / 2³²)`), so weights have steps of 0.001%. The salt
 *   defaults to the flag key. This is flagd's `fractional` with weights in 0.001% units, so such
 *   splits export to flagd unchanged (for ASCII values; flagd-core's JS hash folds non-ASCII).
 * - `flagd`: @openfeature/flagd-core's `fractional`: imurmurhash of `salt + value`, scaled to the
 *   sum of the integer weights.
 * - `unleash`: unleash-client's normalizedValue: murmurhash3js of `${salt}:${value}` with seed 0
 *   (rollout percentage) or 86028157 (variants), modulo the total.
 */

/** Buckets of a `flowline` split: one per 0.001%. */
export const FLOWLINE_BUCKETS = 100_000;
export const UNLEASH_VARIANT_SEED = 86_028_157;

/** Reads the first bucketing attribute that has a usable value (non-empty text or a number). */
export type ValueReader = (context: Context, now: number) => string | undefined;

/**
 * The `bucketBy` entry that is not an attribute: a fresh random id on every evaluation. It exists
 * for imported Unleash flags, whose stickiness falls back to a random id when the context lacks the
 * attribute (so the user is still placed, just not stickily). Listed last, it is only reached when
 * every attribute before it is missing; alone, the placement is random on every call.
 */
export const RANDOM_BUCKET = '$random';

/** Draws the id that {@link RANDOM_BUCKET} hashes. */
export type RandomId = () => string;

/** A random id for Flowline and flagd bucketing: any value hashes to a uniform bucket. */
export const randomId: RandomId = () => String(Math.random());
/** unleash-client's flexibleRollout fallback: `Math.round(Math.random() * 10000) + 1`. */
export const unleashRolloutRandomId: RandomId = () => String(Math.round(Math.random() * 10000) + 1);
/** unleash-client's variant fallback (`randomString`): `Math.round(Math.random() * 100000)`. */
export const unleashVariantRandomId: RandomId = () => String(Math.round(Math.random() * 100000));

export function valueReader(bucketBy: string | readonly string[], random: RandomId = randomId): ValueReader {
  const names = typeof bucketBy === 'string' ? [bucketBy] : bucketBy;
  const getters: Getter[] = names.map((name) =>
    name === RANDOM_BUCKET ? () => random() : attributeGetter(name),
  );
  if (getters.length === 1) {
    const get = getters[0] as Getter;
    return (context, now) => bucketText(get(context, now));
  }
  return (context, now) => {
    for (const get of getters) {
      const text = bucketText(get(context, now));
      if (text !== undefined) return text;
    }
    return undefined;
  };
}

/** Maps a bucketing value to a bucket in `[0, total)`. */
export type Bucketer = (value: string) => number;

export function bucketer(scheme: Bucketing, salt: string, total: number, seed = 0): Bucketer {
  switch (scheme) {
    case 'flowline': {
      const prefix = murmur3Prefix(salt);
      return (value) => scaleToBuckets(murmur3Finish(prefix, value), total);
    }
    case 'flagd':
      return (value) => scaleToBuckets(flagdJsHash(salt + value), total);
    case 'unleash': {
      const head = `${salt}:`;
      return (value) => unleashHash(head + value, seed) % total;
    }
  }
}

/**
 * Cumulative bounds of integer weights: the variant is the first whose bound exceeds the bucket,
 * so a zero weight never wins. The same rule as flagd's and Unleash's own selection loops.
 */
export function pick(bounds: readonly number[], bucket: number): number {
  for (let i = 0; i < bounds.length; i++) if ((bounds[i] as number) > bucket) return i;
  return bounds.length - 1;
}
