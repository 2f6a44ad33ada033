/** Reconnection delays: exponential, capped, with jitter so restarted servers are not stampeded. */
export interface BackoffOptions {
  /** The first delay. Default 500 ms. */
  readonly initialDelayMs?: number;
  /** The cap. Default 30,000 ms. */
  readonly maxDelayMs?: number;
  /** Growth per failed attempt. Default 2. */
  readonly multiplier?: number;
  /** Share of each delay that is random, 0–1: 0.5 waits between 50% and 100% of it. Default 0.5. */
  readonly jitter?: number;
  /** A source of randomness in [0, 1), for tests. Default `Math.random`. */
  readonly random?: () => number;
}

export interface ResolvedBackoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly random: () => number;
}

/** Fills in defaults; throws an Error naming the first option out of range. */
export function resolveBackoff(options: BackoffOptions = {}): ResolvedBackoff {
  const resolved = {
    initialDelayMs: options.initialDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 30_000,
    multiplier: options.multiplier ?? 2,
    jitter: options.jitter ?? 0.5,
    random: options.random ?? Math.random,
  };
  const check = (name: string, ok: boolean) => {
    if (!ok) throw new Error(`\`backoff.${name}\` is out of range`);
  };
  check('initialDelayMs', Number.isFinite(resolved.initialDelayMs) && resolved.initialDelayMs >= 0);
  check('maxDelayMs', Number.isFinite(resolved.maxDelayMs) && resolved.maxDelayMs >= resolved.initialDelayMs);
  check('multiplier', Number.isFinite(resolved.multiplier) && resolved.multiplier >= 1);
  check('jitter', resolved.jitter >= 0 && resolved.jitter <= 1);
  check('random', typeof resolved.random === 'function');
  return resolved;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): `initial × multiplier^attempt`,
 * capped at `maxDelayMs`, then reduced by up to `jitter` of itself; never below `floorMs` (the
 * server's `retry:`), itself capped at `maxDelayMs`.
 */
export function backoffDelay(backoff: ResolvedBackoff, attempt: number, floorMs = 0): number {
  const exponential = backoff.initialDelayMs * backoff.multiplier ** Math.min(attempt, 64);
  const jittered = Math.min(backoff.maxDelayMs, exponential) * (1 - backoff.jitter * backoff.random());
  return Math.round(Math.max(jittered, Math.min(floorMs, backoff.maxDelayMs)));
}
