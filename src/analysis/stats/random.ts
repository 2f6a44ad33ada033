/**
 * A small seeded random source for simulations and tests: the same seed gives the same numbers on
 * every machine (Math.random cannot be seeded).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  normal(): number;
  /** exp(N(mu, sigma)): the usual shape of request latencies. */
  lognormal(mu: number, sigma: number): number;
  poisson(lambda: number): number;
  binomial(n: number, p: number): number;
}

/** mulberry32: 32-bit state, passes common statistical batteries, fast. */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => {
    // Box-Muller; 1 - next() keeps the logarithm's argument in (0, 1].
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return {
    next,
    normal,
    lognormal: (mu, sigma) => Math.exp(mu + sigma * normal()),
    poisson(lambda) {
      // Knuth's method, in chunks so exp(-lambda) never underflows.
      let count = 0;
      let remaining = lambda;
      while (remaining > 0) {
        const step = Math.min(remaining, 500);
        remaining -= step;
        const limit = Math.exp(-step);
        let product = next();
        while (product > limit) {
          count += 1;
          product *= next();
        }
      }
      return count;
    },
    binomial(n, p) {
      let count = 0;
      for (let i = 0; i < n; i += 1) if (next() < p) count += 1;
      return count;
    },
  };
}
