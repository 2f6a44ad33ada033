import { type Clock, createManualClock } from './clock.js';

/**
 * Waiting, injected like the clock: code waits only through a {@link Sleep} (or a
 * {@link WaitClock} when it waits against a deadline), so tests run a ten-minute analysis or a
 * five-second lock timeout in virtual time, without real waiting and without timing thresholds.
 */

/** Resolves after `ms`, or early (never rejecting) when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * What code that waits against a deadline needs: a monotonic count of milliseconds and a sleep
 * on the same time line. Real by default; a test passes {@link VirtualTime.wait} instead.
 */
export interface WaitClock {
  /** Milliseconds on a clock that never goes back (not the time of day). */
  now(): number;
  readonly sleep: Sleep;
}

export const realWaitClock: WaitClock = { now: () => performance.now(), sleep: realSleep };

export interface VirtualTime {
  readonly clock: Clock & { advance(ms: number): void; set(to: Date | string): void };
  readonly sleep: Sleep;
  /** The clock and the sleep as a {@link WaitClock}. */
  readonly wait: WaitClock;
  /**
   * Drives `work` to completion: whenever it waits and nothing else can run, moves the clock to the
   * next timer and fires it. Throws when `work` waits on something that no timer will ever end
   * (a deadlock, e.g. a hanging call without a timeout).
   */
  run<T>(work: Promise<T>): Promise<T>;
  /** Timers waiting to fire. */
  pending(): number;
}

/** A manual clock and a sleep that waits on it. */
export function createVirtualTime(start: Date | string = '2026-01-01T00:00:00.000Z'): VirtualTime {
  const clock = createManualClock(start);
  const timers: { at: number; seq: number; fire: () => void }[] = [];
  let seq = 0;
  const sleep: Sleep = (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = { at: clock.now().getTime() + Math.max(0, ms), seq: seq++, fire: () => finish() };
      const finish = () => {
        const index = timers.indexOf(timer);
        if (index >= 0) timers.splice(index, 1);
        signal?.removeEventListener('abort', finish);
        resolve();
      };
      timers.push(timer);
      signal?.addEventListener('abort', finish, { once: true });
    });
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    clock,
    sleep,
    wait: { now: () => clock.now().getTime(), sleep },
    pending: () => timers.length,
    async run(work) {
      let settled = false;
      work.then(
        () => {
          settled = true;
        },
        () => {
          settled = true;
        },
      );
      for (;;) {
        await turn();
        if (settled) return work;
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const next = timers[0];
        if (next === undefined)
          throw new Error('virtual time: the work waits on something no timer will end');
        if (next.at > clock.now().getTime()) clock.set(new Date(next.at));
        next.fire();
      }
    },
  };
}
