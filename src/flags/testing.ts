import { type CompiledFlagSet, type CompileOptions, compileFlagSet } from './engine/index.js';

/** Helpers for the flag tests and benchmarks: valid compiles, and reproducible random users. */

/** Compiles a definition that is expected to be valid; throws with every issue otherwise. */
export function compileOrThrow(definition: unknown, options?: CompileOptions): CompiledFlagSet {
  const result = compileFlagSet(definition, options);
  if (result.ok) return result.flagSet;
  throw new Error(result.errors.map((issue) => `${issue.path}: [${issue.code}] ${issue.message}`).join('\n'));
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence everywhere. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@:';

/** `count` ids of three kinds: uuid-like, emails, and random strings of 8–40 characters. */
export function randomKeys(count: number, seed: number): string[] {
  const random = prng(seed);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i % 3;
    if (kind === 0) {
      const h = (digits: number) => hex(random, digits);
      keys.push(`${h(8)}-${h(4)}-4${h(3)}-a${h(3)}-${h(12)}`);
    } else if (kind === 1) {
      keys.push(`user${Math.floor(random() * 1e9)}@example.com`);
    } else {
      const length = 8 + Math.floor(random() * 33);
      let key = '';
      for (let j = 0; j < length; j++) key += ALPHABET[Math.floor(random() * ALPHABET.length)];
      keys.push(key);
    }
  }
  return keys;
}

function hex(random: () => number, digits: number): string {
  let out = '';
  for (let i = 0; i < digits; i++) out += Math.floor(random() * 16).toString(16);
  return out;
}

/** `count` distinct uuid-like ids (a counter mixed into random digits), for uniformity tests. */
export function uniqueIds(count: number, seed: number): string[] {
  const random = prng(seed);
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(`${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-${i.toString(16).padStart(12, '0')}`);
  return ids;
}
