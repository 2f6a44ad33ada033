/**
 * The control surface of a running release: promote, pause, resume, abort. The rollout waits on
 * it during pauses and checks it between steps; the API and CLI act on it by environment.
 */
export type ControlAction = 'promote' | 'promoteFull' | 'pause' | 'resume' | 'abort';

export class ReleaseControl {
  private paused = false;
  private promoteRequested: 'step' | 'full' | undefined;
  private abortReason: string | undefined;
  private wake: (() => void) | undefined;
  readonly abortSignal: AbortSignal;
  private readonly abortController = new AbortController();

  constructor() {
    this.abortSignal = this.abortController.signal;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  get aborted(): string | undefined {
    return this.abortReason;
  }

  /** Promote past the current pause (`step`) or skip every remaining step (`full`). */
  promote(full: boolean): void {
    this.promoteRequested = full ? 'full' : (this.promoteRequested ?? 'step');
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

  abort(reason: string): void {
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
   * beyond it. Resolves to why it stopped waiting.
   */
  async wait(
    ms: number | undefined,
    sleep: (ms: number, signal: AbortSignal) => Promise<void>,
  ): Promise<'elapsed' | 'promoted' | 'aborted'> {
    const started = Date.now();
    for (;;) {
      if (this.abortReason !== undefined) return 'aborted';
      if (this.promoteRequested !== undefined && !this.paused) {
        if (this.promoteRequested === 'step') this.promoteRequested = undefined;
        return 'promoted';
      }
      const left = ms === undefined ? undefined : ms - (Date.now() - started);
      if (left !== undefined && left <= 0 && !this.paused) return 'elapsed';
      await this.nap(left === undefined || this.paused ? 60_000 : left, sleep);
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
