/**
 * The metrics view's pure logic: the URL's filters, the week windows of the trend, each key's
 * figure and what it is computed over, and the ids behind it. No DOM, no fetch: unit-tested in
 * node (metrics-model.test.ts). Figures are the API's own; nothing here estimates a missing one.
 */
import type { ClusterAssignment, DoraKey, DoraReport, FlowDay, FlowState, Incident } from '../api/metrics.js';
import { FLOW_STATES } from '../api/metrics.js';
import { duration, percent, plural } from '../format.js';

/** What the page's URL selects; every field is a query-string parameter of `/delivery`. */
export interface MetricsFilters {
  readonly service: string | undefined;
  readonly environment: string;
  readonly since: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly utcOffset: string | undefined;
  readonly commitTime: 'committed' | 'authored' | undefined;
  /** The quality report's month, `YYYY-MM`; the current month when absent. */
  readonly period: string | undefined;
}

const FILTER_NAMES = ['service', 'environment', 'since', 'from', 'to', 'utcOffset', 'commitTime', 'period'];

/** Reads the filters from the URL's query; empty values count as absent. */
export function readFilters(params: Readonly<Record<string, string | undefined>>): MetricsFilters {
  const get = (name: string) => {
    const value = params[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const commitTime = get('commitTime');
  return {
    service: get('service'),
    environment: get('environment') ?? 'production',
    since: get('since'),
    from: get('from'),
    to: get('to'),
    utcOffset: get('utcOffset'),
    commitTime: commitTime === 'committed' || commitTime === 'authored' ? commitTime : undefined,
    period: get('period'),
  };
}

/** The page's own URL for some filters (shareable), leaving empty ones out. */
export function metricsHref(
  filters: {
    readonly [K in keyof MetricsFilters]?: string | undefined;
  },
): string {
  const search = new URLSearchParams();
  for (const name of FILTER_NAMES) {
    const value = filters[name as keyof MetricsFilters];
    if (value !== undefined && value !== '') search.set(name, value);
  }
  const text = search.toString();
  return text === '' ? '/delivery' : `/delivery?${text}`;
}

/** The query of `GET /v1/metrics/dora|flow` for the filters: the server reads the window. */
export function metricsParams(filters: MetricsFilters): Record<string, string | undefined> {
  return {
    service: filters.service,
    environment: filters.environment,
    since: filters.since,
    from: filters.from,
    to: filters.to,
    utcOffset: filters.utcOffset,
    commitTime: filters.commitTime,
  };
}

const DAY_MS = 86_400_000;

/**
 * The trend's windows: `weeks` consecutive 7-day windows ending at `endMs`, oldest first, as
 * absolute instants so every request of one trend measures the same calendar.
 */
export function weekWindows(endMs: number, weeks = 12): { from: string; to: string }[] {
  return Array.from({ length: weeks }, (_, i) => ({
    from: new Date(endMs - (weeks - i) * 7 * DAY_MS).toISOString(),
    to: new Date(endMs - (weeks - i - 1) * 7 * DAY_MS).toISOString(),
  }));
}

/** The month `YYYY-MM` (UTC) an instant falls in: the quality report's default period. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

export const KEY_LABELS: Readonly<Record<DoraKey, string>> = {
  deploymentFrequency: 'Deployment frequency',
  changeLeadTime: 'Change lead time',
  changeFailRate: 'Change fail rate',
  recoveryTime: 'Failed deployment recovery time',
  reworkRate: 'Deployment rework rate',
};

const BUCKET_WORDS = {
  onDemand: 'on demand',
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  fewer: 'fewer than monthly',
} as const;

/** A key's figure as the CLI words it, and what it is computed over. */
export function keyFigure(key: DoraKey, report: DoraReport): { value: string; over: string } {
  switch (key) {
    case 'deploymentFrequency': {
      const f = report.deploymentFrequency;
      return {
        value: `${f.perDay.toFixed(2)} per day, ${f.perWeek.toFixed(1)} per week (${BUCKET_WORDS[f.bucket]})`,
        over: `over ${plural(f.deployments, 'deployment')} (${plural(f.rollbacks, 'rollback')}), ${f.deploymentDaysPerWeek.toFixed(1)} deployment days per week`,
      };
    }
    case 'changeLeadTime': {
      const t = report.changeLeadTime;
      return {
        value:
          t.medianMs === null
            ? 'no commit shipped'
            : `median ${duration(t.medianMs)}, p90 ${duration(t.p90Ms)}`,
        over: `over ${plural(t.count, 'commit')}`,
      };
    }
    case 'changeFailRate': {
      const r = report.changeFailRate;
      return {
        value:
          r.rate === null
            ? 'no deployment served users'
            : `${percent(r.rate)} (${r.failures.length} needed intervention)`,
        over: `over ${plural(r.count, 'deployment')} that served users`,
      };
    }
    case 'recoveryTime': {
      const r = report.recoveryTime;
      const open = r.open.length > 0 ? `, ${r.open.length} still open` : '';
      return {
        value:
          r.medianMs === null
            ? 'nothing recovered'
            : `median ${duration(r.medianMs)}, p90 ${duration(r.p90Ms)}`,
        over: `over ${plural(r.count, 'failure')}${open}`,
      };
    }
    case 'reworkRate': {
      const r = report.reworkRate;
      const { rollback, hotfix, incident } = r.byReason;
      return {
        value:
          r.rate === null
            ? 'no deployment served users'
            : `${percent(r.rate)} (rollback ${rollback}, hotfix ${hotfix}, incident ${incident})`,
        over: `over ${plural(r.count, 'deployment')}`,
      };
    }
  }
}

/** The number a key's trend plots for one week, or null where the week has none. */
export function trendValue(key: DoraKey, report: DoraReport): number | null {
  switch (key) {
    case 'deploymentFrequency':
      return report.deploymentFrequency.deployments;
    case 'changeLeadTime':
      return hours(report.changeLeadTime.medianMs);
    case 'changeFailRate':
      return report.changeFailRate.rate === null ? null : report.changeFailRate.rate * 100;
    case 'recoveryTime':
      return hours(report.recoveryTime.medianMs);
    case 'reworkRate':
      return report.reworkRate.rate === null ? null : report.reworkRate.rate * 100;
  }
}

const hours = (ms: number | null) => (ms === null ? null : ms / 3_600_000);

/** What a trend's y axis counts. */
export const TREND_UNITS: Readonly<Record<DoraKey, string>> = {
  deploymentFrequency: 'deployments per week',
  changeLeadTime: 'median hours',
  changeFailRate: '% of deployments',
  recoveryTime: 'median hours',
  reworkRate: '% of deployments',
};

/** `2023: high · 2024: elite`; a report without a cluster says so. */
export function clusterWords(clusters: readonly ClusterAssignment[]): string {
  return clusters.map((c) => `${c.report}: ${c.cluster ?? 'no cluster'}`).join(' · ');
}

/** One item behind a figure, with why it is there when the figure says. */
export interface BehindItem {
  readonly id: string;
  readonly note?: string;
}

export interface Behind {
  readonly deployments: readonly BehindItem[];
  readonly commits: readonly BehindItem[];
  readonly incidents: readonly string[];
}

/** The deployments, commits and incidents a key's figure is computed from (the API's ids). */
export function behindOf(key: DoraKey, report: DoraReport): Behind {
  const plain = (ids: readonly string[], note?: string): BehindItem[] =>
    ids.map((id) => (note === undefined ? { id } : { id, note }));
  switch (key) {
    case 'deploymentFrequency':
      return { deployments: plain(report.deploymentFrequency.deploymentIds), commits: [], incidents: [] };
    case 'changeLeadTime': {
      const t = report.changeLeadTime;
      return {
        deployments: plain(t.deploymentIds, 'shipped counted commits'),
        commits: [
          ...plain(t.commitShas),
          ...plain(t.unknownCommits, 'no commit record: not counted'),
          ...plain(t.skewedCommits, 'dated after its deployment: counted as 0'),
        ],
        incidents: [],
      };
    }
    case 'changeFailRate': {
      const r = report.changeFailRate;
      const failed = new Set(r.failures.map((f) => f.deploymentId));
      return {
        deployments: [
          ...r.failures.map((f) => ({ id: f.deploymentId, note: `failure: ${f.reasons.join(', ')}` })),
          ...plain(
            r.deploymentIds.filter((id) => !failed.has(id)),
            'no intervention needed',
          ),
          ...plain(r.notReached, 'failed before serving users: not counted'),
        ],
        commits: [],
        incidents: unique(r.failures.flatMap((f) => f.incidentIds)),
      };
    }
    case 'recoveryTime': {
      const r = report.recoveryTime;
      return {
        deployments: [
          ...r.recovered.map((x) => ({ id: x.deploymentId, note: `recovered in ${duration(x.durationMs)}` })),
          ...r.open.map((x) => ({ id: x.deploymentId, note: `open for ${duration(x.openForMs)}` })),
        ],
        commits: [],
        incidents: unique(r.open.flatMap((x) => x.incidentIds)),
      };
    }
    case 'reworkRate': {
      const r = report.reworkRate;
      const unplanned = new Set(r.unplannedIds);
      return {
        deployments: [
          ...plain(r.unplannedIds, 'unplanned'),
          ...plain(
            r.deploymentIds.filter((id) => !unplanned.has(id)),
            'planned',
          ),
        ],
        commits: [],
        incidents: [],
      };
    }
  }
}

function unique(ids: readonly string[]): string[] {
  return [...new Set(ids)];
}

/** The release page of a deployment: where its steps, analysis and commits are. */
export function deploymentHref(service: string, environment: string, id: string): string {
  return `/releases/${encodeURIComponent(service)}/${encodeURIComponent(environment)}?deployment=${encodeURIComponent(id)}`;
}

const STATUS_ORDER: Readonly<Record<Incident['status'], number>> = { open: 0, acknowledged: 1, resolved: 2 };

/** Open incidents first, then acknowledged, then resolved; newest first within each. */
export function sortIncidents(incidents: readonly Incident[]): Incident[] {
  return [...incidents].sort(
    (a, b) =>
      STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || Date.parse(b.openedAt) - Date.parse(a.openedAt),
  );
}

/** The flow states from the bottom of the chart up: delivered first, as cumulative flow is drawn. */
export const STACK_ORDER: readonly FlowState[] = [...FLOW_STATES].reverse();

/**
 * Cumulative flow as stacked series for a chart: x in seconds (each day's UTC midnight), and per
 * state in {@link STACK_ORDER} the running sum of it and the states below it.
 */
export function stackedFlow(days: readonly FlowDay[]): { x: number[]; stacked: number[][] } {
  const x = days.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000);
  const stacked: number[][] = [];
  let below = days.map(() => 0);
  for (const state of STACK_ORDER) {
    const row = days.map((d, i) => (below[i] ?? 0) + d.counts[state]);
    stacked.push(row);
    below = row;
  }
  return { x, stacked };
}

export const STAGE_LABELS: Readonly<Record<string, string>> = {
  waiting: 'Waiting for a pipeline',
  build: 'Build',
  tests: 'Tests',
  waitingForPromotion: 'Waiting for promotion',
  staging: 'Staging',
  release: 'Release',
};
