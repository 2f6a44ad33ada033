import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flagdJsHash, murmur3, murmur3Finish, murmur3Prefix, scaleToBuckets, unleashHash } from './hash.js';

// The hash packages the peers use, loaded directly to check our ports bit for bit.
const require = createRequire(import.meta.url);
const IMurmurHash = require('imurmurhash') as new (key: string) => { result(): number };
const murmurhash3js = require('murmurhash3js') as { x86: { hash32(key: string, seed?: number): number } };

/** Reference MurmurHash3 x86 32 over bytes (Austin Appleby's algorithm, written plainly). */
function reference(bytes: Uint8Array, seed = 0): number {
  let h = seed >>> 0;
  const blocks = bytes.length - (bytes.length % 4);
  const mix = (k: number) =>
    Math.imul((Math.imul(k, 0xcc9e2d51) << 15) | (Math.imul(k, 0xcc9e2d51) >>> 17), 0x1b873593);
  for (let i = 0; i < blocks; i += 4) {
    const k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    h ^= mix(k);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let i = bytes.length - 1; i >= blocks; i--) k = (k << 8) | (bytes[i] as number);
  if (bytes.length > blocks) h ^= mix(k);
  h ^= bytes.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const anyText = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
  fc.string({ unit: 'binary', maxLength: 24 }),
);

describe('murmur3 (Flowline bucketing)', () => {
  it('matches the published test vectors', () => {
    expect(murmur3('')).toBe(0);
    expect(murmur3('', 1)).toBe(0x514e28b7);
    expect(murmur3('hello')).toBe(0x248bfa47);
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes the UTF-8 bytes, like TextEncoder and the reference algorithm, for any string', () => {
    fc.assert(
      fc.property(anyText, fc.integer({ min: 0, max: 0xffffffff }), (text, seed) => {
        expect(murmur3(text, seed)).toBe(reference(new TextEncoder().encode(text), seed));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the same hash when a prefix is hashed first (the salt is precomputed)', () => {
    fc.assert(
      fc.property(anyText, anyText, (prefix, value) => {
        expect(murmur3Finish(murmur3Prefix(prefix), value)).toBe(murmur3(prefix + value));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('ports of the peers’ hashes', () => {
  it('flagdJsHash equals imurmurhash (used by @openfeature/flagd-core) for any string', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(flagdJsHash(text)).toBe(new IMurmurHash(text).result());
      }),
      { numRuns: 3000 },
    );
  });

  it('unleashHash equals murmurhash3js (used by unleash-client) for any string and seed', () => {
    fc.assert(
      fc.property(anyText, fc.constantFrom(0, 86028157), (text, seed) => {
        expect(unleashHash(text, seed)).toBe(murmurhash3js.x86.hash32(text, seed));
      }),
      { numRuns: 3000 },
    );
  });

  it('scales a hash into buckets like flagd-core’s BigInt arithmetic, also for large totals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 2147483647 }),
        (hash, total) => {
          expect(scaleToBuckets(hash, total)).toBe(Number((BigInt(hash) * BigInt(total)) >> 32n));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
