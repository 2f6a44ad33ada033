import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Strategy } from '../config/index.js';
import { tempStore } from '../store/testing.js';
import type { AnalyzeOutcome } from './deps.js';
import type { StoredTarget } from './records.js';
import { type AnalyzeCall, INCONCLUSIVE, type ReleaseView, runRelease } from './release-testing.js';

/**
 * What a blue-green deployment does when its analysis cannot decide: before the switch it waits
 * with traffic on blue; after it, traffic stays on green and blue stays live (not yet warm, so not
 * retired) until someone promotes (finish) or aborts (switch back).
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

describe('a blue-green deployment whose analysis is inconclusive', () => {
  const blueGreen = (when: 'pre' | 'post'): Strategy => ({
    kind: 'blueGreen',
    autoPromotionEnabled: true,
    scaleDownDelay: 60_000,
    ...(when === 'pre'
      ? { prePromotionAnalysis: { templates: ['errors'] } }
      : { postPromotionAnalysis: { templates: ['errors'] } }),
  });

  it('holds before the switch with traffic on blue; promoted, it switches', async () => {
    let heldWith: StoredTarget['backends'] = [];
    const run = await release(
      blueGreen('pre'),
      async () => INCONCLUSIVE,
      (line, { control, routed }) => {
        if (!line.startsWith('⏸')) return;
        heldWith = routed();
        control.promote(false);
      },
    );
    expect(heldWith).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.lines).toContain(
      `⏸ pre-promotion analysis, before the switch (stable serves): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}. \`flowline release promote production\` switches traffic to canary; \`flowline release abort production\` stops canary`,
    );
    expect(run.outcome).toEqual({ ok: true });
    expect(run.routed).toEqual([{ revision: 'canary', weight: 100 }]);
  });

  it('holds after the switch with traffic on green and blue still live; promoted, it finishes', async () => {
    let heldWith: StoredTarget['backends'] = [];
    let blueWhileHeld: string | undefined;
    const run = await release(
      blueGreen('post'),
      async () => INCONCLUSIVE,
      (line, { control, routed, records }) => {
        if (!line.startsWith('⏸')) return;
        heldWith = routed();
        void records.revision('stable').then((r) => {
          blueWhileHeld = r?.state;
          control.promote(false);
        });
      },
    );
    expect(heldWith).toEqual([{ revision: 'canary', weight: 100 }]);
    expect(blueWhileHeld).toBe('live');
    // Measured from the switch: no clock moved, so that is now.
    expect(run.calls[0]?.since).toEqual(run.now);
    expect(run.outcome).toEqual({ ok: true });
    expect(run.lines).toContain(
      `⏸ post-promotion analysis, after the switch (canary serves): paused, the analysis was inconclusive: ${INCONCLUSIVE.reason}. \`flowline release promote production\` finishes the release; \`flowline release abort production\` switches traffic back to stable`,
    );
    expect((await run.records.revision('stable'))?.state).toBe('warm');
  });

  it('held after the switch and aborted, switches traffic back to blue', async () => {
    const run = await release(
      blueGreen('post'),
      async () => INCONCLUSIVE,
      (line, { control }) => {
        if (line.startsWith('⏸')) control.abort('aborted by alice');
      },
    );
    expect(run.outcome).toEqual({ ok: false, reason: 'aborted by alice' });
    expect(run.routed).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(run.stopped).toContain('canary');
  });
});
