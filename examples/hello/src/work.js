/**
 * Simulated work: the time a real handler spends waiting on its database or another service.
 * Without it this service answers in well under a millisecond, where a "20% slower" release is a
 * tenth of a millisecond that no one could notice or measure; with it a canary analysis can be
 * shown a realistic slowdown (the `slowdown` fault scales this work).
 *
 * Each request waits a log-normal time with median WORK_MS and σ 0.5 (p99 ≈ 3.2 × the median), the
 * usual long-tailed shape of service latencies.
 */

const SIGMA = 0.5;
const MAX_WORK_MS = 10_000;

/**
 * Reads WORK_MS (default 0: no simulated work). Returns `{ workMs }` or `{ error }`.
 * @param {Record<string, string | undefined>} env
 */
export function workFromEnv(env) {
  const workMs = env.WORK_MS === undefined || env.WORK_MS === '' ? 0 : Number(env.WORK_MS);
  if (!(workMs >= 0 && workMs <= MAX_WORK_MS)) {
    return { error: `WORK_MS must be a number of milliseconds from 0 to ${MAX_WORK_MS}` };
  }
  return { workMs };
}

/**
 * How long one request's simulated work takes, in ms: log-normal around `workMs`, times
 * `1 + slowdown`. 0 when there is no simulated work.
 * @param {number} workMs @param {number} slowdown @param {() => number} [random] uniform in [0, 1)
 */
export function workDelayMs(workMs, slowdown, random = Math.random) {
  if (workMs === 0) return 0;
  // Box-Muller: a standard normal from two uniforms (1 - u keeps log away from 0).
  const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return workMs * Math.exp(SIGMA * z) * (1 + slowdown);
}
