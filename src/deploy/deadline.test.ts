import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Strategy } from '../config/index.js';
import { tempStore } from '../store/testing.js';
import { CANARY_STEPS, runRelease, untilAborted, untilStopped } from './release-testing.js';

/**
 * `progressDeadline` (Argo Rollouts' `progressDeadlineSeconds`): a step that moves the release on
 * and does not end within the deadline fails the release, traffic back on stable; waiting for a
 * person never does. The controller's sleep is the test's: a sleep of the deadline's length
 * (600,000 ms, what the test rollout carries) ends when the test says the time has come, and no
 * other sleep ever ends, so only the deadline's timer can fire, and only then.
 */

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

/** A sleep whose deadline-long sleeps under way end when `elapse` is called (ten minutes pass). */
function clockOfDeadline() {
  const pending: (() => void)[] = [];
  const sleep = (ms: number, signal: AbortSignal) =>
    ms === 600_000 ? new Promise<void>((resolve) => pending.push(resolve)) : untilAborted(ms, signal);
  const elapse = () => {
    for (const resolve of pending.splice(0)) resolve();
  };
  return { sleep, elapse };
}

describe('a release that makes no progress', () => {
  it('fails when an analysis step outlives the deadline, with traffic back on stable', async () => {
    const deadline = clockOfDeadline();
    const run = await runRelease(
      t,
      CANARY_STEPS,
      // The analysis hangs: ten minutes pass while it runs.
      (call) => {
        deadline.elapse();
        return untilStopped(call, { ok: false, reason: 'stopped' });
      },
      () => {},
      { sleep: deadline.sleep },
    );
    expect(run.outcome).toEqual({
      ok: false,
      reason: 'step 2/3: analysis made no progress for 10m (progressDeadline)',
    });
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    // It served users at 25% and the controller sent it back by itself: a rollback incident.
    expect(run.deployment?.outcome).toBe('rolledBack');
    expect(run.incidents.map((i) => i.source)).toEqual(['rollback']);
  });

  it('is never timed while paused for a person', async () => {
    const paused: Strategy = {
      kind: 'canary',
      steps: [{ kind: 'setWeight', weight: 25 }, { kind: 'pause' }, { kind: 'setWeight', weight: 75 }],
      trafficRouting: { sticky: false },
    };
    const deadline = clockOfDeadline();
    const run = await runRelease(
      t,
      paused,
      async () => ({ ok: true }),
      (line, { control }) => {
        // Ten minutes pass while paused, then a person promotes.
        if (!line.includes('pause until promoted')) return;
        deadline.elapse();
        setTimeout(() => control.promote(false), 20);
      },
      { sleep: deadline.sleep },
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(run.routed).toEqual([{ revision: 'canary', weight: 100 }]);
  });
});
