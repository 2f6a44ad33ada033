import { describe, expect, it } from 'vitest';
import { createVirtualTime } from '../core/sleep.js';
import { ActiveReleases, ReleaseControl } from './release-control.js';

/** Pauses and holds of a running release, on virtual time: no real waiting, no timing thresholds. */

function setup() {
  const time = createVirtualTime('2026-01-01T00:00:00.000Z');
  const control = new ReleaseControl(() => time.clock.now().getTime());
  const sleep = (ms: number, signal: AbortSignal) => time.sleep(ms, signal);
  /** Seconds since the start. */
  const at = () => (time.clock.now().getTime() - Date.parse('2026-01-01T00:00:00.000Z')) / 1000;
  /** Runs `action` at second `s` of virtual time. */
  const later = (s: number, action: () => void) => void time.sleep(s * 1000 - at() * 1000).then(action);
  return { time, control, sleep, at, later };
}

describe('a timed pause', () => {
  it('ends after its duration on the injected clock', async () => {
    const { time, control, sleep, at } = setup();
    expect(await time.run(control.wait(30_000, sleep))).toBe('elapsed');
    expect(at()).toBe(30);
  });

  it('held by an inconclusive analysis, outlasts its duration until promoted; the promotion ends only the hold', async () => {
    const { time, control, sleep, at, later } = setup();
    later(10, () => control.hold('no data'));
    later(600, () => control.promote(false));
    expect(await time.run(control.wait(30_000, sleep))).toBe('elapsed');
    expect(at()).toBe(600);
    expect(control.heldFor).toBeUndefined();
  });

  it('held and promoted before its end, runs its remaining time', async () => {
    const { time, control, sleep, at, later } = setup();
    later(5, () => control.hold('no data'));
    later(12, () => control.promote(false));
    expect(await time.run(control.wait(30_000, sleep))).toBe('elapsed');
    expect(at()).toBe(30);
  });
});

describe('between steps', () => {
  it('goes on at once when nothing holds the release', async () => {
    const { time, control, sleep, at } = setup();
    expect(await time.run(control.whilePaused(sleep))).toBe('continued');
    expect(at()).toBe(0);
  });

  it('waits out a person’s pause until resumed', async () => {
    const { time, control, sleep, at, later } = setup();
    control.pause();
    later(90, () => control.resume());
    expect(await time.run(control.whilePaused(sleep))).toBe('continued');
    expect(at()).toBe(90);
  });

  it('does not end a hold on resume, only on promote, which it uses up', async () => {
    const { time, control, sleep, at, later } = setup();
    control.hold('no data');
    later(30, () => control.resume());
    later(300, () => control.promote(false));
    expect(await time.run(control.whilePaused(sleep))).toBe('continued');
    expect(at()).toBe(300);
    // The promotion answered the hold: the next indefinite pause still waits for its own.
    later(400, () => control.promote(false));
    expect(await time.run(control.wait(undefined, sleep))).toBe('promoted');
    expect(at()).toBe(400);
  });

  it('ends a hold with an abort', async () => {
    const { time, control, sleep, later } = setup();
    control.hold('no data');
    later(60, () => control.abort('aborted by alice'));
    expect(await time.run(control.whilePaused(sleep))).toBe('aborted');
    expect(control.aborted).toBe('aborted by alice');
  });
});

describe('an abort', () => {
  it('says who aborted first: a person through the controls, or the release itself', async () => {
    const releases = new ActiveReleases();
    const causes = await releases.track('shop', 'production', 'dep_1', async (control) => {
      releases.act('shop', 'production', 'abort', 'alice');
      control.abort('analysis failed', 'analysis'); // later: the first stands
      return [control.abortCause, control.aborted];
    });
    expect(causes).toEqual(['person', 'aborted by alice']);
    const own = new ReleaseControl();
    own.abort('instances unhealthy');
    expect(own.abortCause).toBe('automatic');
  });
});
