import type { Clock } from '../core/clock.js';

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

/**
 * The crash streak of one instance, read on the injected clock rather than kept by a timer: a
 * crash lengthens the next restart delay, unless the instance had stayed healthy for
 * `resetAfterMs` since it last became healthy, which starts the streak over.
 */
export class CrashStreak {
  #crashes = 0;
  /** When the instance last became healthy; undefined while it is not. */
  #healthySince: number | undefined;

  constructor(
    private readonly options: BackoffOptions,
    private readonly clock: Clock,
  ) {}

  /** Crashes in the current streak. */
  get crashes(): number {
    return this.#crashes;
  }

  /** The instance passed its checks; a healthy period already under way goes on. */
  healthy(): void {
    this.#healthySince ??= this.clock.now().getTime();
  }

  /** The instance failed its checks: a healthy period ends here (it may have been long enough). */
  unhealthy(): void {
    this.#endHealthy();
  }

  /** The instance exited, or could not be started again: the delay before the next attempt. */
  crashed(): number {
    this.#endHealthy();
    this.#crashes++;
    return backoffDelay(this.#crashes, this.options);
  }

  #endHealthy(): void {
    const since = this.#healthySince;
    this.#healthySince = undefined;
    if (since !== undefined && this.clock.now().getTime() - since >= this.options.resetAfterMs)
      this.#crashes = 0;
  }
}
