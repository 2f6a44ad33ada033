import type { Cluster, ClusterAssignment } from './types.js';
import { DAY_MS, HOUR_MS, WEEK_MS } from './window.js';

/**
 * The DORA performance clusters, as the published tables state them, in one data table.
 *
 * Sources (docs/metrics.md cites them with the same words):
 * - 2023: Accelerate State of DevOps Report 2023 (DORA / Google Cloud), chapter "How do you
 *   compare?", table of software delivery performance levels (elite 18%, high 31%, medium 33%,
 *   low 17% of respondents).
 * - 2024: Accelerate State of DevOps Report 2024, chapter "Software delivery performance", table
 *   of the four performance levels (elite 19%, high 22%, medium 35%, low 25%).
 * The 2024 report introduces deployment rework rate but publishes no cluster threshold for it,
 * and the 2023 report does not measure it: rework rate gets no cluster (and says so).
 *
 * The tables describe what each cluster's respondents typically answered, not cut-offs, and
 * their ranges overlap (2023's low and medium have the same deployment frequency and lead time;
 * 2024's medium has a lower change failure rate than high). Flowline's one rule for every key:
 * **the best cluster whose published figure the measured value meets or beats; a value worse
 * than every published figure is low.** A cluster whose figure a better cluster already covers
 * can then never be assigned for that key; docs/metrics.md lists those cases.
 */

/** One cluster's published answer for one key, and the bound Flowline reads from it. */
export interface ClusterRow {
  readonly cluster: Cluster;
  /** The table's words. */
  readonly published: string;
  /**
   * The value the measurement must meet: at most this (durations in ms, rates as a share), or
   * for deployment frequency at least this bucket rank. Null: the row sets no bound (the
   * cluster is only the fallback for worse values).
   */
  readonly bound: number | null;
  /** For durations: "less than" (strict) as published, or "up to" (inclusive). */
  readonly strict?: boolean;
}

export type ClusteredKey = 'deploymentFrequency' | 'leadTime' | 'changeFailRate' | 'recoveryTime';

/**
 * Deployment frequency bucket ranks (frequency.ts chooses the bucket): a row's bound is the
 * lowest rank it accepts.
 */
export const BUCKET_RANK = { onDemand: 4, daily: 3, weekly: 2, monthly: 1, fewer: 0 } as const;

const MONTH_MS = 30 * DAY_MS;

export const DORA_CLUSTERS: Readonly<
  Record<2023 | 2024, Readonly<Record<ClusteredKey, readonly ClusterRow[]>>>
> = {
  2023: {
    deploymentFrequency: [
      { cluster: 'elite', published: 'On demand (multiple deploys per day)', bound: BUCKET_RANK.onDemand },
      { cluster: 'high', published: 'Between once per day and once per week', bound: BUCKET_RANK.weekly },
      {
        cluster: 'medium',
        published: 'Between once per week and once per month',
        bound: BUCKET_RANK.monthly,
      },
      { cluster: 'low', published: 'Between once per week and once per month', bound: null },
    ],
    leadTime: [
      { cluster: 'elite', published: 'Less than one day', bound: DAY_MS, strict: true },
      { cluster: 'high', published: 'Between one day and one week', bound: WEEK_MS },
      { cluster: 'medium', published: 'Between one week and one month', bound: MONTH_MS },
      { cluster: 'low', published: 'Between one week and one month', bound: null },
    ],
    changeFailRate: [
      { cluster: 'elite', published: '5%', bound: 0.05 },
      { cluster: 'high', published: '10%', bound: 0.1 },
      { cluster: 'medium', published: '15%', bound: 0.15 },
      { cluster: 'low', published: '64%', bound: null },
    ],
    recoveryTime: [
      { cluster: 'elite', published: 'Less than one hour', bound: HOUR_MS, strict: true },
      { cluster: 'high', published: 'Less than one day', bound: DAY_MS, strict: true },
      { cluster: 'medium', published: 'Between one day and one week', bound: WEEK_MS },
      { cluster: 'low', published: 'Between one month and six months', bound: null },
    ],
  },
  2024: {
    deploymentFrequency: [
      { cluster: 'elite', published: 'On demand (multiple deploys per day)', bound: BUCKET_RANK.onDemand },
      { cluster: 'high', published: 'Between once per day and once per week', bound: BUCKET_RANK.weekly },
      {
        cluster: 'medium',
        published: 'Between once per week and once per month',
        bound: BUCKET_RANK.monthly,
      },
      { cluster: 'low', published: 'Between once per month and once every six months', bound: null },
    ],
    leadTime: [
      { cluster: 'elite', published: 'Less than one day', bound: DAY_MS, strict: true },
      { cluster: 'high', published: 'Between one day and one week', bound: WEEK_MS },
      { cluster: 'medium', published: 'Between one week and one month', bound: MONTH_MS },
      { cluster: 'low', published: 'Between one month and six months', bound: null },
    ],
    changeFailRate: [
      { cluster: 'elite', published: '5%', bound: 0.05 },
      { cluster: 'high', published: '20%', bound: 0.2 },
      { cluster: 'medium', published: '10%', bound: 0.1 },
      { cluster: 'low', published: '40%', bound: null },
    ],
    recoveryTime: [
      { cluster: 'elite', published: 'Less than one hour', bound: HOUR_MS, strict: true },
      { cluster: 'high', published: 'Less than one day', bound: DAY_MS, strict: true },
      { cluster: 'medium', published: 'Less than one day', bound: DAY_MS, strict: true },
      { cluster: 'low', published: 'Between one week and one month', bound: null },
    ],
  },
};

const REPORTS = [2023, 2024] as const;

function meets(key: ClusteredKey, row: ClusterRow, value: number): boolean {
  if (row.bound === null) return false;
  if (key === 'deploymentFrequency') return value >= row.bound;
  return row.strict === true ? value < row.bound : value <= row.bound;
}

/**
 * The cluster of a measured value in both reports' tables: for deployment frequency the bucket
 * rank ({@link BUCKET_RANK}), for lead and recovery time the median in ms, for the fail rate the
 * share (0..1). Null value (nothing measured): no cluster, with the reason.
 */
export function clustersOf(key: ClusteredKey, value: number | null, nothing: string): ClusterAssignment[] {
  return REPORTS.map((report) => {
    if (value === null) return { report, cluster: null, reason: nothing };
    const rows = DORA_CLUSTERS[report][key];
    const row = rows.find((r) => meets(key, r, value));
    if (row !== undefined) {
      return { report, cluster: row.cluster, reason: `meets ${row.cluster}'s published "${row.published}"` };
    }
    const worst = rows[rows.length - 1];
    return {
      report,
      cluster: 'low',
      reason: `worse than every better cluster's published figure (low: "${worst?.published ?? ''}")`,
    };
  });
}

/** Rework rate: 2023 does not measure it, 2024 defines it without publishing thresholds. */
export function reworkClusters(): ClusterAssignment[] {
  return [
    { report: 2023, cluster: null, reason: 'the 2023 report does not measure deployment rework rate' },
    {
      report: 2024,
      cluster: null,
      reason: 'the 2024 report introduces deployment rework rate but publishes no cluster thresholds for it',
    },
  ];
}
