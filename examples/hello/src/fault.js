/**
 * The fault switch: makes the service fail or slow down on purpose, so a demo can watch a canary
 * analysis catch a bad version and roll it back. Starts from the FAULT_* environment variables;
 * `POST /admin/fault` changes it while the instance runs.
 */

/** @typedef {{ errorRate: number, latencyMs: number, slowdown: number, unhealthy: boolean }} Fault */

const KEYS = ['errorRate', 'latencyMs', 'slowdown', 'unhealthy'];
const MAX_LATENCY_MS = 60_000;
/** 10 = eleven times as long: more is a typo, not a test of a slow release. */
const MAX_SLOWDOWN = 10;

/**
 * Reads the fault settings from the environment. Returns `{ fault }` or `{ error }`.
 * @param {Record<string, string | undefined>} env
 */
export function faultFromEnv(env) {
  return checkFault({
    errorRate: env.FAULT_ERROR_RATE === undefined ? 0 : Number(env.FAULT_ERROR_RATE),
    latencyMs: env.FAULT_LATENCY_MS === undefined ? 0 : Number(env.FAULT_LATENCY_MS),
    slowdown: env.FAULT_SLOWDOWN === undefined ? 0 : Number(env.FAULT_SLOWDOWN),
    unhealthy: env.FAULT_UNHEALTHY === '1' || env.FAULT_UNHEALTHY === 'true',
  });
}

/**
 * Applies a partial update (the body of `POST /admin/fault`) to the current settings.
 * @param {Fault} current
 * @param {unknown} update
 */
export function updateFault(current, update) {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) {
    return {
      error:
        'expected a JSON object like {"errorRate": 0.5, "latencyMs": 200, "slowdown": 0.2, "unhealthy": false}',
    };
  }
  const unknown = Object.keys(update).filter((key) => !KEYS.includes(key));
  if (unknown.length > 0) return { error: `unknown field ${unknown[0]}; allowed: ${KEYS.join(', ')}` };
  return checkFault({ ...current, ...update });
}

/** @param {{ errorRate: unknown, latencyMs: unknown, slowdown: unknown, unhealthy: unknown }} fault */
function checkFault(fault) {
  const { errorRate, latencyMs, slowdown, unhealthy } = fault;
  if (typeof errorRate !== 'number' || !(errorRate >= 0 && errorRate <= 1)) {
    return { error: 'errorRate must be a number from 0 to 1 (the fraction of requests answering 500)' };
  }
  if (
    typeof latencyMs !== 'number' ||
    !Number.isInteger(latencyMs) ||
    latencyMs < 0 ||
    latencyMs > MAX_LATENCY_MS
  ) {
    return { error: `latencyMs must be a whole number of milliseconds from 0 to ${MAX_LATENCY_MS}` };
  }
  if (typeof slowdown !== 'number' || !(slowdown >= 0 && slowdown <= MAX_SLOWDOWN)) {
    return {
      error: `slowdown must be a number from 0 to ${MAX_SLOWDOWN} (0.2: the simulated work takes 20% longer)`,
    };
  }
  if (typeof unhealthy !== 'boolean') return { error: 'unhealthy must be true or false' };
  return { fault: { errorRate, latencyMs, slowdown, unhealthy } };
}
