import { describe, expect, it } from 'vitest';
import { computeDora } from './dora.js';
import { commit, deployment, incident } from './testing.js';

const scope = { service: 'shop', environment: 'production' };
const window = { from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-09T00:00:00Z') };
const H = 3_600_000;

// A small first week of a service, every record of every part in one report:
// - d1, the very first deployment (ships c1 and c2), succeeds; then d2 ships c3 and is followed by
//   a rollback r1; d3 redeploys d2's artifact (same range, c3) and succeeds; d4 (c4) is still running.
// - Staging got every artifact first; its deployments must not change any production figure.
const commits = [
  commit('c1', '2026-11-02T08:00:00Z'),
  commit('c2', '2026-11-02T10:30:00+02:00'), // 08:30Z
  commit('c3', '2026-11-03T06:00:00-03:00'), // 09:00Z
  commit('c4', '2026-11-05T09:00:00Z'),
];
const deployments = [
  deployment('s1', '2026-11-02T09:00:00Z', '2026-11-02T09:10:00Z', {
    environment: 'staging',
    commits: ['c1', 'c2'],
  }),
  deployment('d1', '2026-11-02T11:00:00Z', '2026-11-02T12:00:00Z', { commits: ['c1', 'c2'] }),
  deployment('s2', '2026-11-03T09:30:00Z', '2026-11-03T09:40:00Z', {
    environment: 'staging',
    commits: ['c3'],
  }),
  deployment('d2', '2026-11-03T10:00:00Z', '2026-11-03T11:00:00Z', { artifact: 'a2', commits: ['c3'] }),
  deployment('r1', '2026-11-03T11:30:00Z', '2026-11-03T11:40:00Z', {
    kind: 'rollback',
    planned: false,
    unplannedReason: 'rollback',
    artifact: 'a1',
  }),
  deployment('d3', '2026-11-04T10:00:00Z', '2026-11-04T11:00:00Z', { artifact: 'a2', commits: ['c3'] }),
  deployment('d4', '2026-11-05T10:00:00Z', null, { commits: ['c4'] }),
];
const incidents = [
  incident('i1', '2026-11-03T11:10:00Z', '2026-11-03T12:00:00Z', {
    source: 'manual',
    cause: { kind: 'deployment', id: 'd2', inferred: false },
  }),
];

describe('computeDora', () => {
  const report = computeDora({ commits, deployments, incidents }, scope, window);

  it('computes all five keys from the same records', () => {
    // Frequency: d1, d2, r1, d3 succeeded in the window: 4 over 7 days; days Nov 2, 3, 4.
    expect(report.deploymentFrequency).toMatchObject({ deployments: 4, deploymentDays: 3, rollbacks: 1 });
    expect(report.deploymentFrequency.perWeek).toBeCloseTo(4, 12);
    expect(report.deploymentFrequency.bucket).toBe('daily');
    // Lead time: c1 08:00 → d1 12:00 = 4 h; c2 08:30Z → 3.5 h; c3 09:00Z → d3 11-04 11:00 = 26 h
    // (d2 succeeded at 11-03 11:00 first! it was rolled back later by r1, but it did run: 2 h).
    expect(report.changeLeadTime.commitShas).toEqual(['c1', 'c2', 'c3']);
    // Sorted 2, 3.5, 4 h: median 3.5 h; p90 at 1.8 → 3.5 + 0.8 × 0.5 = 3.9 h.
    expect(report.changeLeadTime.medianMs).toBe(3.5 * H);
    expect(report.changeLeadTime.p90Ms).toBeCloseTo(3.9 * H, 6);
    // Fail rate: changes d1, d2, d3 (r1 is remediation, d4 running); d2 failed (rollback, incident).
    expect(report.changeFailRate.rate).toBeCloseTo(1 / 3, 12);
    expect(report.changeFailRate.failures).toEqual([
      { deploymentId: 'd2', reasons: ['followedByRollback', 'incident'], incidentIds: ['i1'] },
    ]);
    // Recovery: from d2's finish (11:00) to i1's resolution (12:00) = 1 h.
    expect(report.recoveryTime.recovered.map((r) => r.durationMs)).toEqual([H]);
    // Rework: d1, d2, r1, d3 served users; r1 unplanned → 1 / 4.
    expect(report.reworkRate.rate).toBe(0.25);
  });

  it('states each key’s definition and the count it is computed over, and the window', () => {
    expect(report.window).toEqual({ from: '2026-11-02T00:00:00.000Z', to: '2026-11-09T00:00:00.000Z' });
    for (const key of [
      report.deploymentFrequency,
      report.changeLeadTime,
      report.changeFailRate,
      report.recoveryTime,
      report.reworkRate,
    ]) {
      expect(key.definition.length).toBeGreaterThan(80);
      expect(key.clusters.map((c) => c.report)).toEqual([2023, 2024]);
    }
    expect([report.changeLeadTime.count, report.changeFailRate.count, report.recoveryTime.count]).toEqual([
      3, 3, 1,
    ]);
  });

  it('gives the same report whatever order the records arrive in', () => {
    const reversed = computeDora(
      { commits: [...commits].reverse(), deployments: [...deployments].reverse(), incidents },
      scope,
      window,
    );
    expect(reversed.changeFailRate).toEqual(report.changeFailRate);
    expect(reversed.recoveryTime).toEqual(report.recoveryTime);
    expect(reversed.deploymentFrequency).toEqual(report.deploymentFrequency);
    expect(reversed.changeLeadTime.medianMs).toBe(report.changeLeadTime.medianMs);
  });

  it('answers an empty window with counts of zero and no figures, not zeros', () => {
    const empty = computeDora({ commits, deployments, incidents }, scope, {
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-31T00:00:00Z'),
    });
    expect(empty.deploymentFrequency).toMatchObject({ deployments: 0, perDay: 0, bucket: 'fewer' });
    expect(empty.changeLeadTime).toMatchObject({ count: 0, medianMs: null });
    expect(empty.changeFailRate).toMatchObject({ count: 0, rate: null });
    expect(empty.recoveryTime).toMatchObject({ count: 0, medianMs: null, open: [] });
    expect(empty.reworkRate).toMatchObject({ count: 0, rate: null });
  });

  it('refuses a record time without a zone, naming the record and field', () => {
    const zoneless = [deployment('bad', '2026-11-03T10:00:00', '2026-11-03T10:10:00Z')];
    expect(() => computeDora({ commits, deployments: zoneless, incidents: [] }, scope, window)).toThrow(
      'deployment bad startedAt `2026-11-03T10:00:00` is not an ISO-8601 date-time with a zone',
    );
  });
});
