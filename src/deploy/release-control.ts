import { FlowlineError } from '../core/errors.js';

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

/**
 * The releases under way, one per environment at most, so the API and CLI can act on a release
 * by naming its environment.
 */
export class ActiveReleases {
  private readonly releases = new Map<string, { deploymentId: string; control: ReleaseControl }>();

  /** Runs `release` with a fresh control that can be acted on by environment until it settles. */
  async track<T>(
    service: string,
    environment: string,
    deploymentId: string,
    release: (control: ReleaseControl) => Promise<T>,
  ): Promise<T> {
    const key = `${service}/${environment}`;
    const control = new ReleaseControl();
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
        control.abort(`aborted by ${actor}`);
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
