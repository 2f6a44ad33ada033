import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Strategy } from '../config/index.js';
import { tempStore } from '../store/testing.js';
import type { AnalyzeOutcome } from './deps.js';
import type { StoredTarget } from './records.js';
import {
  type AnalyzeCall,
  CANARY_STEPS,
  INCONCLUSIVE,
  type ReleaseView,
  runRelease,
  untilStopped,
} from './release-testing.js';

/**
 * What a canary does when its analysis cannot decide: it holds where it is, traffic unchanged,
 * says why (a progress line, a `release.paused` event), and waits for a person — promote carries on,
 * abort rolls back. Never a rollback on no data alone. A real store, a fake runtime and router, an
 * analysis that answers what each test says, and people who act when they read a progress line.
 */

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

function release(
  strategy: Strategy,
  analysis: (call: AnalyzeCall, index: number) => Promise<AnalyzeOutcome>,
  onLine?: (line: string, view: ReleaseView) => void,
) {
  return runRelease(t, strategy, analysis, onLine);
}

const STEPS = CANARY_STEPS;

describe('a canary whose analysis step is inconclusive', () => {
  it('holds at its weight and says why, then carries on when promoted', async () => {
    let heldWith: StoredTarget['backends'] = [];
    const run = await release(
      STEPS,
      async () => INCONCLUSIVE,
      (line, { control, routed, advance }) => {
        // Time passes between the switch and the analysis: its window still starts at the switch.
        if (line.startsWith('step 1/3: setWeight')) advance(5000);
        if (line.startsWith('⏸')) {
          heldWith = routed();
          control.promote(false);
        }
      },
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(heldWith).toEqual([
      { revision: 'stable', weight: 75 },
      { revision: 'canary', weight: 25 },
    ]);
    expect(run.calls[0]?.since?.getTime()).toBe(run.now.getTime() - 5000);
    expect(run.lines).toEqual(
      expect.arrayContaining([
        `⏸ step 2/3 (25% on canary): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}. \`flowline release promote production\` carries on; \`flowline release abort production\` sends all traffic back to stable`,
        'step 2/3: promoted past the inconclusive analysis',
        '✔ promoted: canary takes all traffic',
      ]),
    );
    expect(run.events).toContainEqual({
      type: 'release.paused',
      message: `step 2/3 (25% on canary): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}`,
    });
    expect(run.routed).toEqual([{ revision: 'canary', weight: 100 }]);
    expect(run.deployment?.status).toBe('succeeded');
  });

  it('says it in the words docs/analysis.md shows', async () => {
    const docs = await readFile(new URL('../../docs/analysis.md', import.meta.url), 'utf8');
    const shown = docs.split('\n').filter((line) => line.startsWith('⏸'));
    const run = await release(
      STEPS,
      async () => INCONCLUSIVE,
      (line, { control }) => {
        if (line.startsWith('⏸')) control.promote(false);
      },
    );
    // The page's revisions are r2 (canary) and r1 (stable), its figures others.
    const shape = (line: string) =>
      line.replaceAll('r2', 'canary').replaceAll('r1', 'stable').replace(/\d+/g, '#');
    expect(shown.map(shape)).toEqual(run.lines.filter((line) => line.startsWith('⏸')).map(shape));
  });

  it('rolls back when aborted while held', async () => {
    const run = await release(
      STEPS,
      async () => INCONCLUSIVE,
      (line, { control }) => {
        if (line.startsWith('⏸')) control.abort('aborted by alice');
      },
    );
    expect(run.outcome).toEqual({ ok: false, reason: 'aborted by alice' });
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.stopped).toEqual(['canary']);
    expect(run.deployment).toMatchObject({ status: 'failed', reason: 'aborted by alice' });
  });

  it('is not held when the analysis failed: that rolls back at once', async () => {
    const failed = {
      ok: false,
      reason: 'errors: errorRate 0.2 broke `result < 0.01` 1 time (limit 0)',
    } as const;
    const run = await release(STEPS, async () => failed);
    expect(run.outcome).toEqual(failed);
    expect(run.lines.some((line) => line.startsWith('⏸'))).toBe(false);
    expect(run.events.map((e) => e.type)).not.toContain('release.paused');
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    // Each weight the router was given is announced, the return to stable too (live displays).
    expect(run.weights.map((e) => [e.environment, e.data?.weights])).toEqual([
      [
        'production',
        [
          { revision: 'stable', weight: 75 },
          { revision: 'canary', weight: 25 },
        ],
      ],
      ['production', [{ revision: 'stable', weight: 100 }]],
    ]);
  });
});

describe('a canary whose background analysis is inconclusive', () => {
  const strategy: Strategy = {
    kind: 'canary',
    steps: [
      { kind: 'setWeight', weight: 20 },
      { kind: 'pause' },
      { kind: 'setWeight', weight: 60 },
      { kind: 'pause' },
    ],
    trafficRouting: { sticky: false },
    analysis: { templates: ['errors'], startingStep: 0 },
  };

  it('holds the release, which a promote ends without also ending the pause it was in; then it measures again', async () => {
    let endFirst: (outcome: AnalyzeOutcome) => void = () => {};
    let promotes = 0;
    const seen: string[] = [];
    const run = await release(
      strategy,
      (call, index) =>
        index === 0 ? new Promise((resolve) => (endFirst = resolve)) : untilStopped(call, { ok: true }),
      (line, { control }) => {
        seen.push(`${promotes} ${line}`);
        const promote = () => {
          promotes += 1;
          control.promote(false);
        };
        // The first background run ends inconclusive while the release waits in its first pause.
        if (line === 'step 2/4: pause until promoted (flowline release promote)') endFirst(INCONCLUSIVE);
        if (line.startsWith('⏸')) {
          promote(); // ends the hold...
          setImmediate(promote); // ...and a second promote ends the pause
        }
        if (line === 'step 4/4: pause until promoted (flowline release promote)') promote();
      },
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(seen).toEqual(
      expect.arrayContaining([
        `0 ⏸ background analysis (20% on canary): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}. \`flowline release promote production\` carries on; \`flowline release abort production\` sends all traffic back to stable`,
        '2 step 2/4: promoted',
        '2 step 3/4: setWeight 60% → canary (stable stable 40%)',
      ]),
    );
    // Started at the first weight, and again once promoted past the inconclusive end.
    expect(run.calls.map((c) => [c.background, c.since?.toISOString()])).toEqual([
      [true, run.now.toISOString()],
      [true, run.now.toISOString()],
    ]);
    expect(run.routed).toEqual([{ revision: 'canary', weight: 100 }]);
  });

  const never: AnalyzeOutcome = {
    ok: false,
    inconclusive: true,
    reason: 'errors: inconclusive 1 time (limit 0): stopped before a measurement completed',
  };

  it('holds after the last step when the background analysis never measured', async () => {
    const held = await release(
      strategy,
      (call) => untilStopped(call, never),
      (line, { control }) => {
        if (line.includes('pause until promoted') || line.startsWith('⏸')) control.promote(false);
      },
    );
    expect(held.outcome).toEqual({ ok: true });
    expect(held.lines).toContain(
      `⏸ after step 4/4 (60% on canary): paused, the analysis was inconclusive: ${never.reason}. \`flowline release promote production\` carries on; \`flowline release abort production\` sends all traffic back to stable`,
    );
  });

  it('does not hold after the last step when promoted fully', async () => {
    const full = await release(
      strategy,
      (call) => untilStopped(call, never),
      (line, { control }) => {
        if (line.includes('pause until promoted')) control.promote(true);
      },
    );
    expect(full.outcome).toEqual({ ok: true });
    expect(full.lines.some((line) => line.startsWith('⏸'))).toBe(false);
    expect(full.routed).toEqual([{ revision: 'canary', weight: 100 }]);
  });
});
