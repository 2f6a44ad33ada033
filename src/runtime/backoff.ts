/** Restart delays after unexpected exits: initial, doubled per crash, capped; reset once stable. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A healthy instance that stays up this long starts again from `initialMs`. */
  readonly resetAfterMs: number;
}

/** The delay before restart number `crashes` (1-based) of a crash streak: 0.5 s, 1 s, 2 s, … capped. */
export function backoffDelay(crashes: number, options: BackoffOptions): number {
  return Math.min(options.initialMs * 2 ** Math.max(0, crashes - 1), options.maxMs);
}
