import { BUCKET_RANK, clustersOf } from './clusters.js';
import type { TimedDeployment } from './deployments.js';
import { percentile } from './stats.js';
import type { KeyBase } from './types.js';
import { DAY_MS, dayNumber, inWindow, type WindowMs } from './window.js';

/** The DORA deployment-frequency answer a window falls in. */
export type FrequencyBucket = keyof typeof BUCKET_RANK;

export const FREQUENCY_DEFINITION =
  'Successful deployments to the environment that finished in the window (rollbacks included: they change what runs; failed deployments that never served users excluded), ' +
  'per day and per week of the window, and deployment days (calendar days, in the given UTC offset, with at least one). ' +
  'Bucket: weeks are consecutive 7-day periods from the first day of the window (a trailing partial week is dropped unless it is the only one), months consecutive 28-day periods likewise; ' +
  'on demand = median deployment days per week ≥ 3 and median deployments per deployment day ≥ 2; daily = median deployment days per week ≥ 3; ' +
  'weekly = median deployment days per week ≥ 1; monthly = median deployment days per 28-day period ≥ 1; fewer = otherwise.';

export interface DeploymentFrequency extends KeyBase {
  readonly deployments: number;
  readonly perDay: number;
  readonly perWeek: number;
  /** Distinct calendar days with a deployment. */
  readonly deploymentDays: number;
  /** Deployment days divided by the window's length in weeks. */
  readonly deploymentDaysPerWeek: number;
  readonly medianDeploymentDaysPerWeek: number;
  readonly bucket: FrequencyBucket;
  /** How many of the deployments were rollbacks. */
  readonly rollbacks: number;
  readonly deploymentIds: readonly string[];
}

export interface FrequencyOptions {
  /** The team's calendar: minutes east of UTC (e.g. 60 for CET); 0 by default. */
  readonly utcOffsetMinutes?: number;
}

/** Medians of per-period deployment-day counts over consecutive groups of `size` days. */
function medianPerPeriod(daysWithDeploys: Uint8Array, size: number): number {
  const full = Math.floor(daysWithDeploys.length / size);
  const periods = full === 0 ? 1 : full;
  const counts = new Float64Array(periods);
  for (let p = 0; p < periods; p++) {
    let n = 0;
    const end = Math.min((p + 1) * size, daysWithDeploys.length);
    for (let d = p * size; d < end; d++) n += daysWithDeploys[d] ?? 0;
    counts[p] = n;
  }
  return percentile(counts.sort(), 0.5);
}

/** Deployment frequency of one scope's deployments (sorted by {@link timedDeployments}). */
export function deploymentFrequency(
  deployments: readonly TimedDeployment[],
  window: WindowMs,
  options: FrequencyOptions = {},
): DeploymentFrequency {
  const offset = options.utcOffsetMinutes ?? 0;
  const firstDay = dayNumber(window.from, offset);
  const dayCount = dayNumber(window.to - 1, offset) - firstDay + 1;
  const perDayCounts = new Uint32Array(dayCount);
  const ids: string[] = [];
  let rollbacks = 0;
  for (const d of deployments) {
    if (d.record.outcome !== 'succeeded' || d.finished === null || !inWindow(d.finished, window)) continue;
    ids.push(d.record.id);
    if (d.record.kind === 'rollback') rollbacks++;
    const day = dayNumber(d.finished, offset) - firstDay;
    perDayCounts[day] = (perDayCounts[day] ?? 0) + 1;
  }
  const hasDeploy = perDayCounts.map((n) => (n > 0 ? 1 : 0));
  const deployDayCounts = Float64Array.from(perDayCounts.filter((n) => n > 0)).sort();
  const deploymentDays = deployDayCounts.length;
  const days = (window.to - window.from) / DAY_MS;
  const weekly = medianPerPeriod(new Uint8Array(hasDeploy), 7);
  const monthly = medianPerPeriod(new Uint8Array(hasDeploy), 28);
  const perDeployDay = deploymentDays === 0 ? 0 : percentile(deployDayCounts, 0.5);
  const bucket: FrequencyBucket =
    weekly >= 3 && perDeployDay >= 2
      ? 'onDemand'
      : weekly >= 3
        ? 'daily'
        : weekly >= 1
          ? 'weekly'
          : monthly >= 1
            ? 'monthly'
            : 'fewer';
  return {
    definition: FREQUENCY_DEFINITION,
    count: ids.length,
    deployments: ids.length,
    perDay: ids.length / days,
    perWeek: (ids.length / days) * 7,
    deploymentDays,
    deploymentDaysPerWeek: deploymentDays / (days / 7),
    medianDeploymentDaysPerWeek: weekly,
    bucket,
    rollbacks,
    deploymentIds: ids,
    clusters: clustersOf('deploymentFrequency', BUCKET_RANK[bucket], ''),
  };
}
