/**
 * MurmurHash3 x86 32-bit, in pure JavaScript so Node and browsers bucket alike (no node:crypto).
 *
 * - {@link murmur3}: the standard algorithm over the UTF-8 bytes of a string (what flagd's Go and
 *   Java evaluators hash). Flowline's own bucketing uses it.
 * - {@link flagdJsHash}: `imurmurhash`, which @openfeature/flagd-core uses: UTF-16 code units
 *   folded into bytes with overlapping bits. Equal to {@link murmur3} for ASCII only.
 * - {@link unleashHash}: `murmurhash3js`, which unleash-client uses: the low byte of each UTF-16
 *   code unit. Also equal to {@link murmur3} for ASCII only.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hash state after a prefix: bytes of a partial block in `k`, `n` of them, `len` in all. */
export interface HashPrefix {
  readonly h: number;
  readonly k: number;
  readonly n: number;
  readonly len: number;
}

/** Hashes `prefix` once so that each evaluation only hashes the attribute value after it. */
export function murmur3Prefix(prefix: string, seed = 0): HashPrefix {
  run(seed | 0, 0, 0, 0, prefix, false);
  return { h: scratch.h, k: scratch.k, n: scratch.n, len: scratch.len };
}

/** MurmurHash3 x86 32 of the UTF-8 bytes of `prefix + value`, as an unsigned integer. */
export function murmur3Finish(prefix: HashPrefix, value: string): number {
  return run(prefix.h, prefix.k, prefix.n, prefix.len, value, true);
}

export function murmur3(text: string, seed = 0): number {
  return run(seed | 0, 0, 0, 0, text, true);
}

/** Where {@link run} leaves an unfinished state (only when hashing a prefix, at compile time). */
const scratch = { h: 0, k: 0, n: 0, len: 0 };

/**
 * Feeds the UTF-8 bytes of `s` into a hash state, then either finishes the hash (returning it)
 * or stores the state in `scratch`. Allocates nothing: this runs once per split evaluation.
 */
function run(h: number, k: number, n: number, len: number, s: string, finish: boolean): number {
  const length = s.length;
  let i = 0;
  for (;;) {
    // Fast path: four ASCII characters at a time, carrying the bytes that overflow the block.
    while (i + 4 <= length) {
      const a = s.charCodeAt(i);
      const b = s.charCodeAt(i + 1);
      const c = s.charCodeAt(i + 2);
      const d = s.charCodeAt(i + 3);
      if ((a | b | c | d) >= 0x80) break;
      const block = a | (b << 8) | (c << 16) | (d << 24);
      if (n === 0) {
        h = mixH(h, block);
      } else {
        const shift = n << 3;
        h = mixH(h, k | (block << shift));
        k = block >>> (32 - shift);
      }
      i += 4;
      len += 4;
    }
    if (i >= length) break;
    let cp = s.charCodeAt(i++);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = i < length ? s.charCodeAt(i) : 0;
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd; // a lone surrogate encodes as U+FFFD, as TextEncoder does
      }
    }
    // UTF-8 bytes of the code point, lowest byte first in `packed`.
    let packed: number;
    let count: number;
    if (cp < 0x80) {
      packed = cp;
      count = 1;
    } else if (cp < 0x800) {
      packed = 0xc0 | (cp >> 6) | ((0x80 | (cp & 63)) << 8);
      count = 2;
    } else if (cp < 0x10000) {
      packed = 0xe0 | (cp >> 12) | ((0x80 | ((cp >> 6) & 63)) << 8) | ((0x80 | (cp & 63)) << 16);
      count = 3;
    } else {
      packed =
        0xf0 |
        (cp >> 18) |
        ((0x80 | ((cp >> 12) & 63)) << 8) |
        ((0x80 | ((cp >> 6) & 63)) << 16) |
        ((0x80 | (cp & 63)) << 24);
      count = 4;
    }
    for (let j = 0; j < count; j++) {
      k |= (packed & 0xff) << (n << 3);
      packed >>>= 8;
      len++;
      if (++n === 4) {
        h = mixH(h, k);
        k = 0;
        n = 0;
      }
    }
  }
  if (!finish) {
    scratch.h = h;
    scratch.k = k;
    scratch.n = n;
    scratch.len = len;
    return 0;
  }
  if (n > 0) h ^= mixK(k);
  return fmix(h ^ len);
}

/**
 * `new MurmurHash3(key).result()` of the `imurmurhash` package (seed 0), quirks included: the
 * UTF-16 units are XOR-folded (`& 0xffff` shifted by 0/8/16, the fourth split in two), the length
 * counts units, and a tail block that reads as negative is left out.
 */
export function flagdJsHash(key: string): number {
  const len = key.length;
  let h = 0;
  let k = 0;
  let i = 0;
  if (len > 0) k ^= key.charCodeAt(i++) & 0xffff;
  if (len > 1) k ^= (key.charCodeAt(i++) & 0xffff) << 8;
  if (len > 2) k ^= (key.charCodeAt(i++) & 0xffff) << 16;
  if (len > 3) {
    const top = key.charCodeAt(i++);
    k ^= ((top & 0xff) << 24) ^ ((top & 0xff00) >> 8);
  }
  const rem = len & 3;
  const whole = len - rem;
  if (whole > 0) {
    for (;;) {
      h = mixH(h, k);
      if (i >= whole) break;
      k =
        (key.charCodeAt(i++) & 0xffff) ^
        ((key.charCodeAt(i++) & 0xffff) << 8) ^
        ((key.charCodeAt(i++) & 0xffff) << 16);
      const top = key.charCodeAt(i++);
      k ^= ((top & 0xff) << 24) ^ ((top & 0xff00) >> 8);
    }
    k = 0;
    if (rem >= 3) k ^= (key.charCodeAt(i + 2) & 0xffff) << 16;
    if (rem >= 2) k ^= (key.charCodeAt(i + 1) & 0xffff) << 8;
    if (rem >= 1) k ^= key.charCodeAt(i) & 0xffff;
  }
  if (k > 0) h ^= mixK(k);
  return fmix(h ^ len);
}

/** `murmurhash3js`'s `x86.hash32(key, seed)`: the low byte of each UTF-16 unit is hashed. */
export function unleashHash(key: string, seed: number): number {
  const len = key.length;
  const rem = len % 4;
  const whole = len - rem;
  let h = seed | 0;
  let i = 0;
  for (; i < whole; i += 4) {
    h = mixH(
      h,
      (key.charCodeAt(i) & 0xff) |
        ((key.charCodeAt(i + 1) & 0xff) << 8) |
        ((key.charCodeAt(i + 2) & 0xff) << 16) |
        ((key.charCodeAt(i + 3) & 0xff) << 24),
    );
  }
  let k = 0;
  if (rem === 3) k ^= (key.charCodeAt(i + 2) & 0xff) << 16;
  if (rem >= 2) k ^= (key.charCodeAt(i + 1) & 0xff) << 8;
  if (rem >= 1) {
    k ^= key.charCodeAt(i) & 0xff;
    h ^= mixK(k);
  }
  return fmix(h ^ len);
}

/** `floor(hash × total / 2³²)`: a 32-bit hash scaled into `[0, total)`, exact for any total < 2³¹. */
export function scaleToBuckets(hash: number, total: number): number {
  if (total < 0x200000) return Math.floor((hash * total) / 4294967296);
  return Number((BigInt(hash) * BigInt(total)) >> 32n);
}
