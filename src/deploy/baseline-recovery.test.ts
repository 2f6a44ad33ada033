import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempStore } from '../store/testing.js';
import type { StoredTarget } from './records.js';
import { recover } from './recovery.js';
import { ReleaseControl } from './release-control.js';
import type { AnalyzeCall } from './release-testing.js';
import { JUDGED, judgeTemplates, type StagedRelease, stageRelease, untilAborted } from './release-testing.js';
import type { ResumableRelease } from './resume.js';
import { runRollout } from './rollout.js';

/**
 * A restart of the control plane in the middle of a judged canary: its fresh baseline is adopted
 * (or started again) when the canary carries on, and stopped when it does not; a baseline no
 * release carries on with is never left running, and no route sends traffic to a dead one. A real
 * store; the test runtime and router of release-testing.ts.
 */

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const THREE_WAY: StoredTarget['backends'] = [
  { revision: 'stable', weight: 60 },
  { revision: 'stable.baseline', weight: 20 },
  { revision: 'canary', weight: 20 },
];

/**
 * What a killed Flowline leaves: the judged canary at its analysis step (20%), its baseline named
 * in the state and routed 20%, the canary running; the baseline running too when `baselineAlive`.
 */
async function interrupted(baselineAlive: boolean): Promise<StagedRelease> {
  const staged = await stageRelease(t, JUDGED, judgeTemplates());
  const { records, rollout } = staged;
  await records.setPhase(rollout.deploymentId, 'step:1', {
    state: { step: 1, weight: 20, baseline: 'stable.baseline' },
  });
  await records.saveRoute(rollout.host, rollout, {
    service: 'shop',
    environment: 'production',
    backends: THREE_WAY,
  });
  staged.healthy.add('canary');
  if (baselineAlive) staged.healthy.add('stable.baseline');
  return staged;
}

/** Recovers with a controller that carries resumed releases on (every analysis passes). */
async function recoverAndResume(staged: StagedRelease) {
  const lines: string[] = [];
  const calls: { call: AnalyzeCall; routed: StoredTarget['backends'] }[] = [];
  let before: StoredTarget['backends'] = [];
  const resume = async (release: ResumableRelease) => {
    before = staged.routed();
    lines.push(release.note);
    await runRollout(
      {
        ...staged.deps,
        urlFor: (host) => `http://${host}/`,
        analyze: async (call) => {
          calls.push({ call, routed: staged.routed() });
          return { ok: true };
        },
        sleep: untilAborted,
      },
      release.rollout,
      new ReleaseControl(() => t.clock.now().getTime()),
      (line) => lines.push(line),
      release.from,
    );
  };
  const log: string[] = [];
  const report = await recover(staged.deps, (line) => log.push(line), resume);
  return { report, lines, calls, before, log };
}

describe('a judged canary found at a step after a restart', () => {
  it('adopts its running baseline: the judge compares with it, and it is stopped at promotion', async () => {
    const staged = await interrupted(true);
    const { report, lines, calls, before } = await recoverAndResume(staged);
    expect(report.resumed).toEqual([staged.rollout.deploymentId]);
    expect(before).toEqual(THREE_WAY);
    expect(staged.started).toEqual([]); // adopted, not started again
    expect(lines).toContain('fresh baseline stable.baseline adopted after the restart (1 healthy)');
    expect(calls.map((c) => [c.call.rollout.baseline, c.routed])).toEqual([['stable.baseline', THREE_WAY]]);
    expect(staged.routed()).toEqual([{ revision: 'canary', weight: 100 }]);
    expect(staged.stopped).toEqual(['stable.baseline']);
  });

  it('routes nothing to a baseline that died with the restart, then starts it again and gives it its share back', async () => {
    const staged = await interrupted(false);
    const { report, lines, calls, before, log } = await recoverAndResume(staged);
    expect(report.resumed).toEqual([staged.rollout.deploymentId]);
    // The rebuilt route, before the canary carried on: the baseline's share back on stable.
    expect(before).toEqual([
      { revision: 'stable', weight: 80 },
      { revision: 'canary', weight: 20 },
    ]);
    expect(log).toContain('stable.baseline has no instance left: its 20% goes back to stable');
    expect(staged.started.map((s) => [s.revision, s.instances])).toEqual([['stable.baseline', 1]]);
    expect(lines).toContain('✔ fresh baseline stable.baseline started again after the restart');
    expect(calls.map((c) => c.routed)).toEqual([THREE_WAY]);
    // What was left of it is stopped before it starts again; the new one at promotion.
    expect(staged.stopped).toEqual(['stable.baseline', 'stable.baseline']);
  });

  it('stops the baseline with the canary when it cannot carry on, all traffic on stable', async () => {
    const staged = await interrupted(true);
    const report = await recover(staged.deps); // nobody to carry it on: fails safe
    expect(report.abandoned).toEqual([staged.rollout.deploymentId]);
    expect(staged.stopped).toEqual(['canary', 'stable.baseline']);
    expect(staged.routed()).toEqual([{ revision: 'stable', weight: 100 }]);
    expect(await staged.records.route(staged.rollout.host)).toMatchObject({
      backends: [{ revision: 'stable', weight: 100 }],
    });
  });
});

describe('a fresh baseline no release carries on with', () => {
  it('is stopped by a restart, and its share of a leftover route goes to stable', async () => {
    const staged = await interrupted(true);
    // The release had finished (its record says so) but the baseline outlived a crash.
    await staged.records.setPhase(staged.rollout.deploymentId, 'done', { status: 'succeeded' });
    const log: string[] = [];
    await recover(staged.deps, (line) => log.push(line));
    expect(staged.stopped).toEqual(['stable.baseline']);
    expect(log).toContain('stable.baseline is a fresh baseline no release carries on with: stopping it');
    expect(staged.routed()).toEqual([
      { revision: 'stable', weight: 80 },
      { revision: 'canary', weight: 20 },
    ]);
  });
});
