import { describe, expect, it } from 'vitest';
import { timedDeployments } from './deployments.js';
import { batchSizes, cumulativeFlow, stageBreakdown, stageDurations, valueStream } from './flow.js';
import { commit, deployment } from './testing.js';
import type { ChangeStages } from './types.js';
import { windowMs } from './window.js';

const MIN = 60_000;
const window = windowMs({ from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-09T00:00:00Z') });

// A: every milestone. 5 + 10 + 20 + 60 + 120 + 60 = 275 min = 09:00 → 13:35.
const a: ChangeStages = {
  sha: 'a',
  deploymentId: 'd1',
  committedAt: '2026-11-03T09:00:00Z',
  pipelineStartedAt: '2026-11-03T09:05:00Z',
  buildFinishedAt: '2026-11-03T09:15:00Z',
  testsFinishedAt: '2026-11-03T09:35:00Z',
  stagingStartedAt: '2026-11-03T10:35:00Z',
  productionStartedAt: '2026-11-03T12:35:00Z',
  productionFinishedAt: '2026-11-03T13:35:00Z',
};
// B: no staging; written at UTC+01:00. 1 + 10 + 10 + (60, to staging) + 30 = 111 min.
const b: ChangeStages = {
  sha: 'b',
  deploymentId: 'd2',
  committedAt: '2026-11-04T11:00:00+01:00',
  pipelineStartedAt: '2026-11-04T10:01:00Z',
  buildFinishedAt: '2026-11-04T10:11:00Z',
  testsFinishedAt: '2026-11-04T10:21:00Z',
  productionStartedAt: '2026-11-04T11:21:00Z',
  productionFinishedAt: '2026-11-04T11:51:00Z',
};
// C: still in the pipeline, not in the breakdown.
const c: ChangeStages = {
  sha: 'c',
  committedAt: '2026-11-05T09:00:00Z',
  pipelineStartedAt: '2026-11-05T09:01:00Z',
};

describe('value stream stages', () => {
  it('splits a change’s lead time into stages that add up to it', () => {
    const d = stageDurations(a);
    expect(d).toEqual({
      waiting: 5 * MIN,
      build: 10 * MIN,
      tests: 20 * MIN,
      waitingForPromotion: 60 * MIN,
      staging: 120 * MIN,
      release: 60 * MIN,
    });
    expect(Object.values(d).reduce((x, y) => x + y, 0)).toBe(275 * MIN);
  });

  it('gives a missing milestone’s time to the next stage', () => {
    const d = stageDurations(b);
    expect(d.waitingForPromotion).toBeUndefined();
    expect(d.staging).toBe(60 * MIN); // tests finished 10:21 → production started 11:21
    expect(Object.values(d).reduce((x, y) => x + y, 0)).toBe(111 * MIN);
  });

  it('gives median, p90 and share of time per stage over the changes that reached production', () => {
    const breakdown = stageBreakdown([a, b, c], window);
    expect(breakdown.count).toBe(2);
    expect(breakdown.shas).toEqual(['a', 'b']);
    const byStage = Object.fromEntries(
      breakdown.stages.map((s) => [
        s.stage,
        [s.count, (s.medianMs ?? 0) / MIN, (s.p90Ms ?? 0) / MIN, s.share * 386],
      ]),
    );
    // Two values x ≤ y: median (x + y) / 2, p90 x + 0.9 (y − x). Summed time: 275 + 111 = 386 min.
    expect(byStage.waiting?.map((v) => Number(v.toFixed(9)))).toEqual([2, 3, 4.6, 6]); // 1, 5
    expect(byStage.build).toEqual([2, 10, 10, 20]);
    expect(byStage.tests?.map((v) => Number(v.toFixed(9)))).toEqual([2, 15, 19, 30]); // 10, 20
    expect(byStage.waitingForPromotion?.map((v) => Number(v.toFixed(9)))).toEqual([1, 60, 60, 60]);
    expect(byStage.staging?.map((v) => Number(v.toFixed(9)))).toEqual([2, 90, 114, 180]); // 60, 120
    expect(byStage.release?.map((v) => Number(v.toFixed(9)))).toEqual([2, 45, 57, 90]); // 30, 60
  });
});

describe('batch size', () => {
  it('counts commits and lines changed per successful deployment', () => {
    const commits = [
      commit('a', '2026-11-02T09:00:00Z', { linesAdded: 10, linesDeleted: 2 }),
      commit('b', '2026-11-02T09:00:00Z', { linesAdded: 5, linesDeleted: 5 }),
      commit('c', '2026-11-02T09:00:00Z', { linesAdded: 0, linesDeleted: 1 }),
      commit('d', '2026-11-03T09:00:00Z', { linesAdded: 100, linesDeleted: 50 }),
      commit('e', '2026-11-04T09:00:00Z', { linesAdded: 1, linesDeleted: 1 }),
    ];
    const deployments = timedDeployments(
      [
        deployment('d1', '2026-11-02T10:00:00Z', '2026-11-02T10:10:00Z', { commits: ['a', 'b', 'c'] }),
        deployment('d2', '2026-11-03T10:00:00Z', '2026-11-03T10:10:00Z', { commits: ['d'] }),
        deployment('d3', '2026-11-04T10:00:00Z', '2026-11-04T10:10:00Z', { commits: ['e', 'x'] }),
        deployment('d4', '2026-11-05T10:00:00Z', '2026-11-05T10:10:00Z', {
          commits: ['f'],
          outcome: 'rolledBack',
        }),
      ],
      { service: 'shop', environment: 'production' },
    );
    const sizes = batchSizes(commits, deployments, window);
    // Lines: d1 12 + 10 + 1 = 23; d2 150; d3 2 (x unknown). Commits: 3, 1, 2.
    expect(sizes.perDeployment).toEqual([
      { deploymentId: 'd1', commits: 3, linesChanged: 23 },
      { deploymentId: 'd2', commits: 1, linesChanged: 150 },
      { deploymentId: 'd3', commits: 2, linesChanged: 2 },
    ]);
    // Sorted commits 1, 2, 3: median 2, p90 2 + 0.8 × 1 = 2.8. Lines 2, 23, 150: 23, 23 + 0.8 × 127.
    expect(sizes.commits.median).toBe(2);
    expect(sizes.commits.p90).toBeCloseTo(2.8, 12);
    expect(sizes.linesChanged.median).toBe(23);
    expect(sizes.linesChanged.p90).toBeCloseTo(124.6, 9);
    expect(sizes.unknownCommits).toBe(1);
  });
});

describe('cumulative flow', () => {
  it('counts the changes in each state at the end of each day', () => {
    const narrow = windowMs({ from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-05T00:00:00Z') });
    const x: ChangeStages = {
      sha: 'x',
      committedAt: '2026-11-01T15:00:00Z', // before the window
      pipelineStartedAt: '2026-11-02T09:00:00Z',
      buildFinishedAt: '2026-11-02T09:10:00Z', // end of Nov 2: testing
      testsFinishedAt: '2026-11-03T09:00:00Z',
      stagingStartedAt: '2026-11-03T10:00:00Z', // end of Nov 3: staging
      productionStartedAt: '2026-11-04T09:00:00Z',
      productionFinishedAt: '2026-11-04T10:00:00Z', // end of Nov 4: production
    };
    const y: ChangeStages = { sha: 'y', committedAt: '2026-11-03T12:00:00Z' };
    const days = cumulativeFlow([x, y], narrow);
    const nonZero = days.map((d) => [d.day, Object.entries(d.counts).filter(([, n]) => n > 0)]);
    expect(nonZero).toEqual([
      ['2026-11-02', [['testing', 1]]],
      [
        '2026-11-03',
        [
          ['committed', 1],
          ['staging', 1],
        ],
      ],
      [
        '2026-11-04',
        [
          ['committed', 1],
          ['production', 1],
        ],
      ],
    ]);
  });

  it('keeps changes that reached production before the window in production', () => {
    const done: ChangeStages = {
      sha: 'z',
      committedAt: '2026-10-01T09:00:00Z',
      productionFinishedAt: '2026-10-02T09:00:00Z',
    };
    expect(cumulativeFlow([done], window).every((d) => d.counts.production === 1)).toBe(true);
  });
});

describe('valueStream', () => {
  it('gives the same figures as the parts computed one by one', () => {
    const changes = [a, b, c];
    const deployments = timedDeployments(
      [deployment('d1', '2026-11-03T12:35:00Z', '2026-11-03T13:35:00Z', { commits: ['a'] })],
      { service: 'shop', environment: 'production' },
    );
    const commits = [commit('a', a.committedAt)];
    const all = valueStream(changes, commits, deployments, window, 60);
    expect(all.stages).toEqual(stageBreakdown(changes, window));
    expect(all.batchSizes).toEqual(batchSizes(commits, deployments, window));
    expect(all.cumulativeFlow).toEqual(cumulativeFlow(changes, window, 60));
    // Seven days at UTC+01:00: Nov 2 to Nov 9 00:00Z spans local days Nov 2 … Nov 9 01:00.
    expect(all.cumulativeFlow.map((d) => d.day)).toEqual([
      '2026-11-02',
      '2026-11-03',
      '2026-11-04',
      '2026-11-05',
      '2026-11-06',
      '2026-11-07',
      '2026-11-08',
      '2026-11-09',
    ]);
  });
});
