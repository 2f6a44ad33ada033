import { describe, expect, it } from 'vitest';
import { timedDeployments } from './deployments.js';
import { instantOf } from './instant.js';
import { type CommitLeadTime, changeLeadTime, workInProgress } from './lead-time.js';
import { commit, deployment } from './testing.js';
import { HOUR_MS, windowMs } from './window.js';

const production = { service: 'shop', environment: 'production' };
const staging = { environment: 'staging' };
const window = windowMs({ from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-09T00:00:00Z') });
const H = HOUR_MS;

// The story, one case each (times UTC unless written with an offset):
const commits = [
  // The very first deployment ships all the recorded history, c0 (before the window) included.
  commit('c0', '2026-10-30T12:00:00Z'), // d1 finishes 11-02 12:00 → 72 h
  commit('c1', '2026-11-02T09:00:00Z'), // → 3 h
  commit('c2', '2026-11-02T12:00:00+02:00'), // = 10:00Z → 2 h (time zones)
  // Shipped to staging twice, then to production once: counted once, at production.
  commit('c3', '2026-11-03T08:00:00Z'), // d2 finishes 14:00 → 6 h
  // A squash merge: the squashed commit's own (committer) time, not the PR's first author date.
  commit('c4', '2026-11-04T10:00:00Z', { authoredAt: '2026-10-20T00:00:00Z' }), // d3 11:00 → 1 h
  // A revert is a commit like any other.
  commit('c5', '2026-11-05T09:00:00Z'), // d4 09:30 → 0.5 h
  // Rolled back during its release, then the same artifact redeployed: lead time ends at the redeploy.
  commit('c6', '2026-11-06T08:00:00Z'), // d6 finishes 12:00 → 4 h (not d5's 09:00)
  // Not deployed yet: work in progress, not lead time.
  commit('c7', '2026-11-07T00:00:00Z'),
];
const deployments = [
  deployment('d1', '2026-11-02T11:50:00Z', '2026-11-02T12:00:00Z', { commits: ['c0', 'c1', 'c2'] }),
  deployment('s1', '2026-11-03T08:50:00Z', '2026-11-03T09:00:00Z', { ...staging, commits: ['c3'] }),
  deployment('s2', '2026-11-03T09:50:00Z', '2026-11-03T10:00:00Z', { ...staging, commits: ['c3'] }),
  deployment('d2', '2026-11-03T13:50:00Z', '2026-11-03T14:00:00Z', { commits: ['c3'] }),
  deployment('d3', '2026-11-04T10:50:00Z', '2026-11-04T11:00:00Z', { commits: ['c4'] }),
  deployment('d4', '2026-11-05T09:20:00Z', '2026-11-05T09:30:00Z', { commits: ['c5'] }),
  deployment('d5', '2026-11-06T08:30:00Z', '2026-11-06T09:00:00Z', {
    commits: ['c6'],
    artifact: 'a6',
    outcome: 'rolledBack',
  }),
  deployment('d6', '2026-11-06T11:50:00Z', '2026-11-06T12:00:00Z', { commits: ['c6', 'cX'], artifact: 'a6' }),
];
const timed = timedDeployments(deployments, production);

describe('change lead time', () => {
  it('takes each commit to its first successful production deployment, once', () => {
    const perCommit: CommitLeadTime[] = [];
    const lead = changeLeadTime(commits, timed, window, {}, perCommit);
    // Lead times in hours, sorted: 0.5 (c5), 1 (c4), 2 (c2), 3 (c1), 4 (c6), 6 (c3), 72 (c0); n = 7.
    expect(lead.count).toBe(7);
    expect(Object.fromEntries(perCommit.map((c) => [c.sha, c.leadTimeMs / H]))).toEqual({
      c0: 72,
      c1: 3,
      c2: 2,
      c3: 6,
      c4: 1,
      c5: 0.5,
      c6: 4,
    });
    expect(perCommit.find((c) => c.sha === 'c6')?.deploymentId).toBe('d6');
    // Median: position (7 − 1) × 0.5 = 3 → the 4th value, 3 h.
    expect(lead.medianMs).toBe(3 * H);
    // p90: position 6 × 0.9 = 5.4 → 6 h + 0.4 × (72 h − 6 h) = 32.4 h.
    expect(lead.p90Ms).toBeCloseTo(32.4 * H, 6);
    // Under 1 h: c5; 1 h–1 day: c4, c2, c1, c6, c3; 1 day–1 week: c0.
    expect(lead.histogram.map((b) => b.count)).toEqual([1, 5, 1, 0, 0, 0]);
    expect(lead.deploymentIds).toEqual(['d1', 'd2', 'd3', 'd4', 'd6']);
    expect([...lead.commitShas].sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    expect(lead.unknownCommits).toEqual(['cX']);
    expect(lead.clusters.map((c) => c.cluster)).toEqual(['elite', 'elite']);
    expect(lead.definition).toContain('first successful deployment');
  });

  it('can start the clock at the author date instead (the squash merge then counts from the PR start)', () => {
    const perCommit: CommitLeadTime[] = [];
    changeLeadTime(commits, timed, window, { commitTime: 'authored' }, perCommit);
    // c4: authored 10-20 00:00 → d3 11-04 11:00 = 15 days 11 h = 371 h.
    expect(perCommit.find((c) => c.sha === 'c4')?.leadTimeMs).toBe(371 * H);
  });

  it('counts a commit in the window where it first shipped, not again after a rollback', () => {
    // Window from 11-03: d1 (11-02) is outside, so c0, c1 and c2 are not counted here.
    const later = windowMs({ from: new Date('2026-11-03T00:00:00Z'), to: new Date('2026-11-09T00:00:00Z') });
    expect(changeLeadTime(commits, timed, later).count).toBe(4);
    // c1 shipped by d1, rolled back by r1, shipped again by d9 in the window: still d1's.
    const again = timedDeployments(
      [
        ...deployments,
        deployment('r1', '2026-11-07T10:00:00Z', '2026-11-07T10:05:00Z', {
          kind: 'rollback',
          planned: false,
          unplannedReason: 'rollback',
        }),
        deployment('d9', '2026-11-07T11:00:00Z', '2026-11-07T11:10:00Z', { commits: ['c1'] }),
      ],
      production,
    );
    expect(changeLeadTime(commits, again, later).commitShas).not.toContain('c1');
  });

  it('gives no figure and no cluster when nothing shipped in the window', () => {
    const empty = windowMs({ from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-08T00:00:00Z') });
    const lead = changeLeadTime(commits, timed, empty);
    expect(lead).toMatchObject({ count: 0, medianMs: null, p90Ms: null });
    expect(lead.clusters[0]).toMatchObject({
      cluster: null,
      reason: 'no commit reached the environment in the window',
    });
  });

  it('counts a commit dated after its deployment (clock skew) as 0 and lists it', () => {
    const skewed = [commit('c1', '2026-11-02T12:30:00Z')];
    const lead = changeLeadTime(skewed, timed, window);
    expect(lead.medianMs).toBe(0);
    expect(lead.skewedCommits).toEqual(['c1']);
  });

  it('counts a commit recorded twice only once', () => {
    expect(changeLeadTime([...commits, commits[1] ?? commit('x', 'x')], timed, window).count).toBe(7);
  });
});

describe('work in progress', () => {
  it('is the commits made but not yet shipped by a successful production deployment', () => {
    // At 11-08: everything shipped but c7 (d5's rollback does not ship c6; d6 does).
    expect(workInProgress(commits, timed, instantOf('2026-11-08T00:00:00Z', 'at'))).toEqual({
      count: 1,
      shas: ['c7'],
    });
    // Before d1 finished (11-02 11:00): c0, c1 and c2 are committed and waiting.
    expect(workInProgress(commits, timed, instantOf('2026-11-02T11:00:00Z', 'at')).shas).toEqual([
      'c0',
      'c1',
      'c2',
    ]);
    // At 11-06 10:00 c6 was deployed by d5 but rolled back: still in progress.
    expect(workInProgress(commits, timed, instantOf('2026-11-06T10:00:00Z', 'at')).shas).toEqual(['c6']);
  });
});
