/**
 * A seeded uniform source in [0, 1): the compiled `createRandom` of src/analysis/stats/random.ts
 * (mulberry32), so generated bench data are the same on every run and every machine.
 * @param {number} seed
 * @returns {Promise<() => number>}
 */
export async function seededRandom(seed) {
  /** @type {typeof import('../../src/analysis/stats/random.js')} */
  const { createRandom } = await import(new URL('../../dist/analysis/stats/random.js', import.meta.url).href);
  const random = createRandom(seed);
  return () => random.next();
}
