import { FlowlineError } from '../core/errors.js';
import type { FailureCause } from './deps.js';

/**
 * The control surface of a running release: promote, pause, resume, abort. The rollout waits on
 * it during pauses and checks it between steps; the API and CLI act on it by environment. Besides a
 * person's `pause`, the release itself can be held: an analysis that ended Inconclusive holds it
 * where it is until someone promotes (carry on) or aborts (roll back); `resume` does not end a hold.
 */
export type ControlAction = 'promote' | 'promoteFull' | 'pause' | 'resume' | 'abort';

export class ReleaseControl {
  private paused = false;
  private holdReason: string | undefined;
  private promoteRequested: 'step' | 'full' | undefined;
  private abortReason: string | undefined;
  private abortedBy: FailureCause | undefined;
  private wake: (() => void) | undefined;
  readonly abortSignal: AbortSignal;
  private readonly abortController = new AbortController();

  /** `now`: milliseconds on the clock timed pauses are measured on (injected with the sleep). */
  constructor(private readonly now: () => number = Date.now) {
    this.abortSignal = this.abortController.signal;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Why the release is held (an inconclusive analysis), until promoted or aborted. */
  get heldFor(): string | undefined {
    return this.holdReason;
  }

  get aborted(): string | undefined {
    return this.abortReason;
  }

  /** Who or what aborted it first: a person, a failed analysis, or the controller itself. */
  get abortCause(): FailureCause | undefined {
    return this.abortedBy;
  }

  /** Holds the release where it is until promoted or aborted. */
  hold(reason: string): void {
    this.holdReason = reason;
    this.notify();
  }

  /**
   * Promote past the current pause (`step`) or skip every remaining step (`full`). A hold takes
   * the promotion: it ends the hold and is used up there, not by the next pause.
   */
  promote(full: boolean): void {
    if (this.holdReason !== undefined) {
      this.holdReason = undefined;
      if (full) this.promoteRequested = 'full';
    } else {
      this.promoteRequested = full ? 'full' : (this.promoteRequested ?? 'step');
    }
    this.paused = false;
    this.notify();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.notify();
  }

  abort(reason: string, cause: FailureCause = 'automatic'): void {
    this.abortedBy ??= cause;
    this.abortReason ??= reason;
    this.abortController.abort(new Error(reason));
    this.notify();
  }

  /** True once, when a full promotion was asked for. */
  takeFullPromotion(): boolean {
    return this.promoteRequested === 'full';
  }

  /**
   * Waits for `ms` (undefined: until promoted), or less if promoted or aborted, and while paused
   * or held beyond it. Resolves to why it stopped waiting.
   */
  async wait(
    ms: number | undefined,
    sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ): Promise<'elapsed' | 'promoted' | 'aborted'> {
    const started = this.now();
    for (;;) {
      if (this.abortReason !== undefined) return 'aborted';
      const stopped = this.paused || this.holdReason !== undefined;
      if (this.promoteRequested !== undefined && !stopped) {
        if (this.promoteRequested === 'step') this.promoteRequested = undefined;
        return 'promoted';
      }
      const left = ms === undefined ? undefined : ms - (this.now() - started);
      if (left !== undefined && left <= 0 && !stopped) return 'elapsed';
      await this.nap(left === undefined || stopped ? 60_000 : left, sleep);
    }
  }

  /**
   * Between steps: returns at once unless paused or held; then waits until resumed (a pause) or
   * promoted (either; the promotion is used up here), or aborted.
   */
  async whilePaused(
    sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ): Promise<'continued' | 'aborted'> {
    let waited = false;
    for (;;) {
      if (this.abortReason !== undefined) return 'aborted';
      if (!this.paused && this.holdReason === undefined) {
        if (waited && this.promoteRequested === 'step') this.promoteRequested = undefined;
        return 'continued';
      }
      waited = true;
      await this.nap(60_000, sleep);
    }
  }

  private async nap(ms: number, sleep: (ms: number, signal: AbortSignal) => Promise<void>): Promise<void> {
    const woken = new AbortController();
    this.wake = () => woken.abort();
    try {
      await sleep(ms, woken.signal);
    } catch {
      // woken early: re-check the state
    } finally {
      this.wake = undefined;
    }
  }

  private notify(): void {
    this.wake?.();
  }
}

/**
 * The releases under way, one per environment at most, so the API and CLI can act on a release
 * by naming its environment.
 */
export class ActiveReleases {
  private readonly releases = new Map<string, { deploymentId: string; control: ReleaseControl }>();

  /** `now`: the clock the releases' timed pauses are measured on. */
  constructor(private readonly now: () => number = Date.now) {}

  /** Runs `release` with a fresh control that can be acted on by environment until it settles. */
  async track<T>(
    service: string,
    environment: string,
    deploymentId: string,
    release: (control: ReleaseControl) => Promise<T>,
  ): Promise<T> {
    const key = `${service}/${environment}`;
    const control = new ReleaseControl(this.now);
    this.releases.set(key, { deploymentId, control });
    try {
      return await release(control);
    } finally {
      this.releases.delete(key);
    }
  }

  /**
   * Applies `action` to the release under way in an environment and returns its deployment;
   * FLOWLINE_NOT_FOUND when none is.
   */
  act(service: string, environment: string, action: ControlAction, actor: string): string {
    const release = this.releases.get(`${service}/${environment}`);
    if (release === undefined) {
      throw new FlowlineError('FLOWLINE_NOT_FOUND', `No release is under way in ${environment}.`, {
        hint: 'See the latest deployments with `flowline deployments`; a finished or failed release cannot be promoted.',
      });
    }
    const { control } = release;
    switch (action) {
      case 'promote':
      case 'promoteFull':
        control.promote(action === 'promoteFull');
        break;
      case 'pause':
        control.pause();
        break;
      case 'resume':
        control.resume();
        break;
      case 'abort':
        control.abort(`aborted by ${actor}`, 'person');
        break;
    }
    return release.deploymentId;
  }
}

/** A sleep that an AbortSignal cuts short (rejects when aborted). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Holds a release whose analysis could not decide (no data, too few samples), and says so where
 * people look: a progress line (the journal keeps it) and a `release.paused` event. Traffic stays as
 * it is; the caller then waits on {@link ReleaseControl.whilePaused}. No data alone never rolls back.
 */
export function holdInconclusive(
  control: ReleaseControl,
  say: {
    readonly progress: (line: string) => void;
    readonly announce?: ((type: string, message: string) => void) | undefined;
  },
  what: {
    /** Where the release stands: `step 3/5 (50% on r2)`, `before the switch`. */
    readonly at: string;
    readonly environment: string;
    readonly reason: string;
    /** What a promote does now: `carries on`, `switches traffic to r2`. */
    readonly promote: string;
    /** What an abort does now: `sends all traffic back to r1`. */
    readonly abort: string;
  },
): void {
  control.hold(what.reason);
  const paused = `${what.at}: paused, the analysis was inconclusive: ${what.reason}`;
  say.progress(
    `⏸ ${paused}. \`flowline release promote ${what.environment}\` ${what.promote}; \`flowline release abort ${what.environment}\` ${what.abort}`,
  );
  say.announce?.('release.paused', paused);
}
