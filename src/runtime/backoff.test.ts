import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { CrashStreak } from './backoff.js';

// What the e2e runtime test once measured with wall-clock thresholds, on the manual clock.
const options = { initialMs: 200, maxMs: 1000, resetAfterMs: 250 };

describe('the crash streak of an instance', () => {
  it('doubles the restart delay with every crash of a streak, up to the cap', () => {
    const clock = createManualClock();
    const streak = new CrashStreak(options, clock);
    const delays = [];
    for (let i = 0; i < 5; i++) {
      streak.healthy();
      clock.advance(100); // healthy, but not long enough to count as stable
      delays.push(streak.crashed());
    }
    expect(delays).toEqual([200, 400, 800, 1000, 1000]);
  });

  it('starts over once the instance stayed healthy for resetAfterMs, and not a millisecond before', () => {
    const clock = createManualClock();
    const streak = new CrashStreak(options, clock);
    expect(streak.crashed()).toBe(200);
    streak.healthy();
    clock.advance(249);
    expect(streak.crashed()).toBe(400);
    streak.healthy();
    clock.advance(250);
    expect(streak.crashed()).toBe(200);
    expect(streak.crashes).toBe(1);
  });

  it('counts a healthy period from when it began, not from the last passing check', () => {
    const clock = createManualClock();
    const streak = new CrashStreak(options, clock);
    streak.crashed();
    streak.healthy();
    clock.advance(200);
    streak.healthy(); // another passing check: the period goes on
    clock.advance(50);
    expect(streak.crashed()).toBe(200);
  });

  it('does not reset for healthy time broken by an unhealthy spell, but keeps a reset earned before it', () => {
    const clock = createManualClock();
    const broken = new CrashStreak(options, clock);
    broken.crashed();
    broken.healthy();
    clock.advance(200);
    broken.unhealthy();
    broken.healthy();
    clock.advance(200); // 400 ms healthy in all, but never 250 in one stretch
    expect(broken.crashed()).toBe(400);

    const earned = new CrashStreak(options, clock);
    earned.crashed();
    earned.healthy();
    clock.advance(300);
    earned.unhealthy();
    clock.advance(1000); // unhealthy for long, then it crashes
    expect(earned.crashed()).toBe(200);
  });

  it('does not reset for time spent not healthy (starting, unhealthy or crashed)', () => {
    const clock = createManualClock();
    const streak = new CrashStreak(options, clock);
    streak.crashed();
    clock.advance(10_000);
    expect(streak.crashed()).toBe(400);
  });
});
