import { describe, expect, it } from 'vitest';
import type { DoraReport, FlowDay, Incident } from '../api/metrics.js';
import {
  behindOf,
  clusterWords,
  deploymentHref,
  keyFigure,
  metricsHref,
  metricsParams,
  monthOf,
  readFilters,
  sortIncidents,
  stackedFlow,
  trendValue,
  weekWindows,
} from './metrics-model.js';

const H = 3_600_000;
const clusters = [
  { report: 2023 as const, cluster: 'high' as const, reason: 'meets high' },
  { report: 2024 as const, cluster: null, reason: 'not published' },
];
const base = { definition: 'd', clusters };

const report: DoraReport = {
  scope: { service: 'shop', environment: 'production' },
  window: { from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' },
  deploymentFrequency: {
    ...base,
    count: 4,
    deployments: 4,
    perDay: 4 / 7,
    perWeek: 4,
    deploymentDays: 4,
    deploymentDaysPerWeek: 4,
    bucket: 'daily',
    rollbacks: 1,
    deploymentIds: ['dep_1', 'dep_2', 'dep_3', 'dep_4'],
  },
  changeLeadTime: {
    ...base,
    count: 2,
    medianMs: 25.5 * H,
    p90Ms: 39.7 * H,
    commitShas: ['a'.repeat(40), 'b'.repeat(40)],
    deploymentIds: ['dep_1'],
    unknownCommits: ['c'.repeat(40)],
    skewedCommits: [],
  },
  changeFailRate: {
    ...base,
    count: 3,
    rate: 1 / 3,
    failures: [{ deploymentId: 'dep_2', reasons: ['followedByRollback'], incidentIds: ['inc_1', 'inc_1'] }],
    deploymentIds: ['dep_1', 'dep_2', 'dep_3'],
    notReached: ['dep_9'],
    inferredOnly: 0,
  },
  recoveryTime: {
    ...base,
    count: 1,
    medianMs: null,
    p90Ms: null,
    recovered: [],
    open: [
      { deploymentId: 'dep_2', startedAt: '2026-11-20T00:00:00Z', openForMs: 2 * H, incidentIds: ['inc_1'] },
    ],
  },
  reworkRate: {
    ...base,
    count: 4,
    rate: 0.25,
    unplannedIds: ['dep_4'],
    byReason: { rollback: 1, hotfix: 0, incident: 0 },
    deploymentIds: ['dep_1', 'dep_2', 'dep_3', 'dep_4'],
  },
};

describe('the metrics filters', () => {
  it('reads the URL with production as the default environment and empty values left out', () => {
    expect(readFilters({ service: 'shop', since: '', commitTime: 'bogus' })).toEqual({
      service: 'shop',
      environment: 'production',
      since: undefined,
      from: undefined,
      to: undefined,
      utcOffset: undefined,
      commitTime: undefined,
      period: undefined,
    });
  });

  it('writes a shareable URL that reads back to the same filters', () => {
    const href = metricsHref({ service: 'shop', environment: 'staging', since: '7d', period: '2026-11' });
    expect(href).toBe('/delivery?service=shop&environment=staging&since=7d&period=2026-11');
    const back = readFilters(Object.fromEntries(new URL(href, 'http://x').searchParams));
    expect(metricsHref(back)).toBe(href);
    expect(metricsParams(back)).not.toHaveProperty('period', '2026-11');
  });
});

describe('the trend windows', () => {
  it('are 12 consecutive weeks ending at the given instant, oldest first', () => {
    const end = Date.parse('2026-12-01T00:00:00Z');
    const weeks = weekWindows(end, 12);
    expect(weeks).toHaveLength(12);
    expect(weeks[0]).toEqual({ from: '2026-09-08T00:00:00.000Z', to: '2026-09-15T00:00:00.000Z' });
    expect(weeks[11]).toEqual({ from: '2026-11-24T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    for (let i = 1; i < weeks.length; i++) expect(weeks[i]?.from).toBe(weeks[i - 1]?.to);
  });

  it('plots deployments per week, hours and percentages, and nothing where a week has no value', () => {
    expect(trendValue('deploymentFrequency', report)).toBe(4);
    expect(trendValue('changeLeadTime', report)).toBe(25.5);
    expect(trendValue('changeFailRate', report)).toBeCloseTo(33.33, 2);
    expect(trendValue('recoveryTime', report)).toBeNull();
    expect(trendValue('reworkRate', report)).toBe(25);
  });

  it('takes the quality month in UTC', () => {
    expect(monthOf(Date.parse('2026-11-30T23:30:00-02:00'))).toBe('2026-12');
  });
});

describe('each key in words', () => {
  it('gives the figure and what it is computed over, as the CLI does', () => {
    expect(keyFigure('deploymentFrequency', report)).toEqual({
      value: '0.57 per day, 4.0 per week (daily)',
      over: 'over 4 deployments (1 rollback), 4.0 deployment days per week',
    });
    expect(keyFigure('changeLeadTime', report).value).toBe('median 1d 1h, p90 1d 15h');
    expect(keyFigure('changeFailRate', report).value).toBe('33.3% (1 needed intervention)');
    expect(keyFigure('recoveryTime', report)).toEqual({
      value: 'nothing recovered',
      over: 'over 1 failure, 1 still open',
    });
    expect(keyFigure('reworkRate', report).value).toBe('25% (rollback 1, hotfix 0, incident 0)');
  });

  it('names each report cluster, or says there is none', () => {
    expect(clusterWords(clusters)).toBe('2023: high · 2024: no cluster');
  });
});

describe('what is behind a figure', () => {
  it('lists the counted commits, then those not counted with why', () => {
    const behind = behindOf('changeLeadTime', report);
    expect(behind.commits.map((c) => c.note)).toEqual([
      undefined,
      undefined,
      'no commit record: not counted',
    ]);
    expect(behind.deployments).toEqual([{ id: 'dep_1', note: 'shipped counted commits' }]);
  });

  it('puts failures first with their reasons, each deployment once, incidents once', () => {
    const behind = behindOf('changeFailRate', report);
    expect(behind.deployments.map((d) => d.id)).toEqual(['dep_2', 'dep_1', 'dep_3', 'dep_9']);
    expect(behind.deployments[0]?.note).toBe('failure: followedByRollback');
    expect(behind.incidents).toEqual(['inc_1']);
  });

  it('links a deployment to its release page', () => {
    expect(deploymentHref('shop', 'production', 'dep_1')).toBe('/releases/shop/production?deployment=dep_1');
  });
});

describe('incidents and cumulative flow', () => {
  const incident = (id: string, status: Incident['status'], openedAt: string): Incident => ({
    id,
    service: 'shop',
    environment: 'production',
    title: id,
    source: 'manual',
    status,
    openedAt,
    openedBy: 'ana',
    acknowledgedAt: null,
    resolvedAt: null,
    resolvedBy: null,
    resolution: null,
    cause: null,
  });

  it('shows open incidents first, newest first within a status', () => {
    const sorted = sortIncidents([
      incident('r', 'resolved', '2026-11-30T00:00:00Z'),
      incident('o1', 'open', '2026-11-01T00:00:00Z'),
      incident('a', 'acknowledged', '2026-11-29T00:00:00Z'),
      incident('o2', 'open', '2026-11-02T00:00:00Z'),
    ]);
    expect(sorted.map((i) => i.id)).toEqual(['o2', 'o1', 'a', 'r']);
  });

  it('stacks the states with production at the bottom', () => {
    const counts = {
      committed: 1,
      building: 0,
      testing: 0,
      tested: 0,
      staging: 2,
      releasing: 0,
      production: 3,
    };
    const days: FlowDay[] = [{ day: '2026-11-01', counts }];
    const { x, stacked } = stackedFlow(days);
    expect(x).toEqual([Date.parse('2026-11-01T00:00:00Z') / 1000]);
    // production 3, releasing 3, staging 5, tested 5, testing 5, building 5, committed 6
    expect(stacked.map((s) => s[0])).toEqual([3, 3, 5, 5, 5, 5, 6]);
  });
});
