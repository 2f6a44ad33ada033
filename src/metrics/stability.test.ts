import { describe, expect, it } from 'vitest';
import { timedDeployments } from './deployments.js';
import { changeFailRate } from './failures.js';
import { recoveryTime } from './recovery.js';
import { reworkRate } from './rework.js';
import { deployment, incident } from './testing.js';
import { HOUR_MS, windowMs } from './window.js';

const production = { service: 'shop', environment: 'production' };
const window = windowMs({ from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-09T00:00:00Z') });
const MIN = 60_000;
const rollback = { kind: 'rollback', planned: false, unplannedReason: 'rollback' } as const;

// One week of production deployments of `shop`, in start order:
const records = [
  // Before the window: not counted.
  deployment('p0', '2026-11-01T10:00:00Z', '2026-11-01T10:10:00Z'),
  // Spans the window's start: it finished inside, so it counts.
  deployment('p1', '2026-11-01T23:55:00Z', '2026-11-02T00:05:00Z'),
  // Followed by a rollback: failed. Recovered when the rollback finished: 10:10 → 11:05 = 55 min.
  deployment('p2', '2026-11-03T10:00:00Z', '2026-11-03T10:10:00Z'),
  deployment('r1', '2026-11-03T11:00:00Z', '2026-11-03T11:05:00Z', rollback),
  // Canary failed analysis (rolled back by the controller at 10:30) and opened incident i1,
  // resolved at 12:00: the incident closes the interval, 10:00 → 12:00 = 2 h.
  deployment('p3', '2026-11-04T10:00:00Z', '2026-11-04T10:30:00Z', {
    artifact: 'a3',
    outcome: 'failedAnalysis',
  }),
  // The same artifact redeployed after a fix elsewhere: a healthy change.
  deployment('p4', '2026-11-05T10:00:00Z', '2026-11-05T10:10:00Z', { artifact: 'a3' }),
  // Followed by a hotfix: failed. Recovered when the hotfix finished: 10:10 → 11:20 = 70 min.
  deployment('p5', '2026-11-06T10:00:00Z', '2026-11-06T10:10:00Z'),
  deployment('p6', '2026-11-06T11:00:00Z', '2026-11-06T11:20:00Z', {
    planned: false,
    unplannedReason: 'hotfix',
  }),
  // An alert two days later is linked to it by inference and is still open: failed, open since
  // the incident opened (11-08 09:00), 15 h before the window's end. Never zero.
  deployment('p7', '2026-11-07T10:00:00Z', '2026-11-07T10:10:00Z'),
  // Failed before serving users: in neither side of the rates.
  deployment('p8', '2026-11-08T10:00:00Z', '2026-11-08T10:05:00Z', { outcome: 'failed' }),
  // Still running: ignored.
  deployment('p9', '2026-11-08T23:00:00Z', null),
  // Another environment and another service: ignored.
  deployment('s1', '2026-11-04T09:00:00Z', '2026-11-04T09:10:00Z', {
    environment: 'staging',
    outcome: 'rolledBack',
  }),
  deployment('o1', '2026-11-04T09:00:00Z', '2026-11-04T09:10:00Z', {
    service: 'other',
    outcome: 'rolledBack',
  }),
];
const incidents = [
  incident('i1', '2026-11-04T10:20:00Z', '2026-11-04T12:00:00Z', {
    source: 'analysis',
    cause: { kind: 'deployment', id: 'p3', inferred: false },
  }),
  incident('i2', '2026-11-08T09:00:00Z', null, {
    source: 'alert',
    cause: { kind: 'deployment', id: 'p7', inferred: true },
  }),
  incident('i3', '2026-11-05T09:00:00Z', '2026-11-05T09:30:00Z', {
    cause: { kind: 'flagChange', id: 'f1', inferred: false },
  }),
];
const timed = timedDeployments(records, production);

describe('change fail rate', () => {
  it('counts the changes that needed intervention, with the record behind each', () => {
    const cfr = changeFailRate(timed, incidents, window);
    // Changes (kind deploy, finished in the window, served users): p1 p2 p3 p4 p5 p6 p7 = 7.
    expect(cfr.deploymentIds).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7']);
    expect(cfr.count).toBe(7);
    // Failed: p2, p3, p5, p7 → 4 / 7.
    expect(cfr.failures).toEqual([
      { deploymentId: 'p2', reasons: ['followedByRollback'], incidentIds: [] },
      { deploymentId: 'p3', reasons: ['failedAnalysis', 'incident'], incidentIds: ['i1'] },
      { deploymentId: 'p5', reasons: ['followedByFix'], incidentIds: [] },
      { deploymentId: 'p7', reasons: ['inferredIncident'], incidentIds: ['i2'] },
    ]);
    expect(cfr.rate).toBeCloseTo(4 / 7, 12);
    expect(cfr.inferredOnly).toBe(1);
    expect(cfr.notReached).toEqual(['p8']);
    // 57% is above every better cluster's figure in both tables.
    expect(cfr.clusters.map((c) => c.cluster)).toEqual(['low', 'low']);
  });

  it('has no rate, rather than 0%, when nothing was deployed in the window', () => {
    const empty = windowMs({ from: new Date('2026-12-01T00:00:00Z'), to: new Date('2026-12-08T00:00:00Z') });
    const cfr = changeFailRate(timed, incidents, empty);
    expect(cfr).toMatchObject({ count: 0, rate: null, failures: [] });
    expect(cfr.clusters[0]?.cluster).toBeNull();
  });

  it('counts a deployment rolled back during its release, not its redeploy of the same artifact', () => {
    const redeploy = timedDeployments(
      [
        deployment('x1', '2026-11-03T10:00:00Z', '2026-11-03T10:20:00Z', {
          artifact: 'a',
          outcome: 'rolledBack',
        }),
        deployment('x2', '2026-11-03T12:00:00Z', '2026-11-03T12:10:00Z', { artifact: 'a' }),
      ],
      production,
    );
    const cfr = changeFailRate(redeploy, [], window);
    expect(cfr.failures.map((f) => f.deploymentId)).toEqual(['x1']);
    expect(cfr.rate).toBe(0.5);
  });
});

describe('failed deployment recovery time', () => {
  it('measures each failure to the next healthy production state', () => {
    const rt = recoveryTime(timed, incidents, window);
    expect(rt.recovered.map((r) => [r.deploymentId, r.durationMs / MIN])).toEqual([
      ['p2', 55],
      ['p3', 120],
      ['p5', 70],
    ]);
    // Sorted 55, 70, 120 min: median 70; p90 at position 1.8 → 70 + 0.8 × 50 = 110 min.
    expect(rt.medianMs).toBe(70 * MIN);
    expect(rt.p90Ms).toBeCloseTo(110 * MIN, 6);
    expect(rt.count).toBe(4);
    expect(rt.clusters.map((c) => c.cluster)).toEqual(['high', 'high']);
  });

  it('shows a failure not yet recovered as open, with its age, never as zero', () => {
    const rt = recoveryTime(timed, incidents, window);
    expect(rt.open).toEqual([
      {
        deploymentId: 'p7',
        startedAt: '2026-11-08T09:00:00.000Z',
        openForMs: 15 * HOUR_MS,
        incidentIds: ['i2'],
      },
    ]);
    expect(rt.recovered.some((r) => r.deploymentId === 'p7')).toBe(false);
  });

  it('keeps a failure open when its rollback has not succeeded yet, and gives no median', () => {
    const stuck = timedDeployments(
      [
        deployment('y1', '2026-11-08T10:00:00Z', '2026-11-08T10:10:00Z'),
        deployment('y2', '2026-11-08T11:00:00Z', '2026-11-08T11:30:00Z', { ...rollback, outcome: 'failed' }),
      ],
      production,
    );
    const rt = recoveryTime(stuck, [], window);
    // Open since y1 finished (10:10) until the window's end (11-09 00:00): 13 h 50 min.
    expect(rt.open.map((o) => o.openForMs)).toEqual([13 * HOUR_MS + 50 * MIN]);
    expect(rt).toMatchObject({ medianMs: null, p90Ms: null, recovered: [] });
    expect(rt.clusters[0]?.reason).toBe('no failure has recovered yet');
  });

  it('recovers a canary rolled back by the controller when the rollback finished', () => {
    const canary = timedDeployments(
      [deployment('z1', '2026-11-03T10:00:00Z', '2026-11-03T10:12:00Z', { outcome: 'rolledBack' })],
      production,
    );
    expect(recoveryTime(canary, [], window).recovered[0]?.durationMs).toBe(12 * MIN);
  });
});

describe('fail rate and recovery through incidents only', () => {
  const quiet = timedDeployments(
    [
      deployment('q1', '2026-11-03T10:00:00Z', '2026-11-03T10:10:00Z'),
      // Made while incident k1 was open: unplanned, reason incident → q1 was followed by a fix.
      deployment('q2', '2026-11-05T10:00:00Z', '2026-11-05T10:10:00Z', {
        planned: false,
        unplannedReason: 'incident',
      }),
      deployment('q3', '2026-11-06T10:00:00Z', '2026-11-06T10:10:00Z'),
    ],
    production,
  );
  const found = [
    // Found two days after q3 shipped, resolved 3 h later: recovery counts from the opening.
    incident('k2', '2026-11-08T09:00:00Z', '2026-11-08T12:00:00Z', {
      source: 'alert',
      cause: { kind: 'deployment', id: 'q3', inferred: true },
    }),
  ];

  it('counts the next unplanned incident deployment as a fix, and an incident link as a failure', () => {
    const cfr = changeFailRate(quiet, found, window);
    expect(cfr.failures.map((f) => [f.deploymentId, f.reasons])).toEqual([
      ['q1', ['followedByFix']],
      ['q3', ['inferredIncident']],
    ]);
    expect(cfr.rate).toBeCloseTo(2 / 3, 12);
  });

  it('measures an incident-only failure from the incident opening to its resolution', () => {
    const rt = recoveryTime(quiet, found, window);
    // q1: 10:10 on 11-03 → q2 finished 10:10 on 11-05 = 48 h. q3: 09:00 → 12:00 = 3 h.
    expect(rt.recovered.map((r) => [r.deploymentId, r.durationMs / HOUR_MS])).toEqual([
      ['q1', 48],
      ['q3', 3],
    ]);
    // Two values: median (3 + 48) / 2 = 25.5 h; p90 3 + 0.9 × 45 = 43.5 h.
    expect(rt.medianMs).toBe(25.5 * HOUR_MS);
    expect(rt.p90Ms).toBeCloseTo(43.5 * HOUR_MS, 6);
    // 25.5 h: over a day. 2023: between one day and one week → medium; 2024: worse than "less
    // than one day" → low.
    expect(rt.clusters.map((c) => c.cluster)).toEqual(['medium', 'low']);
    expect(reworkRate(quiet, window).byReason).toEqual({ rollback: 0, hotfix: 0, incident: 1 });
  });
});

describe('deployment rework rate', () => {
  it('is the share of deployments that were unplanned fixes', () => {
    const rework = reworkRate(timed, window);
    // Served users and finished in the window: p1 p2 r1 p3 p4 p5 p6 p7 = 8; unplanned: r1, p6.
    expect(rework.deploymentIds).toEqual(['p1', 'p2', 'r1', 'p3', 'p4', 'p5', 'p6', 'p7']);
    expect(rework.unplannedIds).toEqual(['r1', 'p6']);
    expect(rework.rate).toBe(0.25);
    expect(rework.byReason).toEqual({ rollback: 1, hotfix: 1, incident: 0 });
    expect(rework.clusters.map((c) => c.cluster)).toEqual([null, null]);
  });
});
