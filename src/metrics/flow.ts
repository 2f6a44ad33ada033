import type { TimedDeployment } from './deployments.js';
import { instantOf } from './instant.js';
import type { WorkInProgress } from './lead-time.js';
import { percentile, Samples, summarize } from './stats.js';
import type { ChangeStages, CommitRecord, DurationSummary } from './types.js';
import { DAY_MS, dayNumber, inWindow, type WindowMs } from './window.js';

/**
 * The value stream: where a change's lead time goes, how big the batches are, and how many
 * changes sit in each stage day by day. Milestones are the ChangeStages fields in order; stage i
 * runs from the previous milestone present to milestone i + 1. A missing milestone (a service
 * without staging) gives its stage no value and its time to the next stage, so the stages of a
 * change always add up to its whole lead time (unless clock skew made a stage negative: it is
 * then counted as 0).
 */

/** The milestones, in the order a change passes them. */
export const MILESTONES = [
  'committedAt',
  'pipelineStartedAt',
  'buildFinishedAt',
  'testsFinishedAt',
  'stagingStartedAt',
  'productionStartedAt',
  'productionFinishedAt',
] as const satisfies readonly (keyof ChangeStages)[];

/** The stages, each ending at the milestone after it: stage i ends at MILESTONES[i + 1]. */
export const STAGES = [
  'waiting', // commit → pipeline start
  'build', // pipeline start → build finished
  'tests', // build finished → tests finished
  'waitingForPromotion', // tests finished → staging deployment started
  'staging', // staging started → production deployment started
  'release', // production deployment started → finished (canary steps, pauses, analysis)
] as const;

export type Stage = (typeof STAGES)[number];

/** The milestone times of one change in ms (NaN where absent), written at `out[at…]`. */
function readMilestones(change: ChangeStages, out: Float64Array, at: number): void {
  for (let i = 0; i < MILESTONES.length; i++) {
    const field = MILESTONES[i] ?? 'committedAt';
    const value = change[field];
    out[at + i] = value === undefined ? Number.NaN : instantOf(value, `change ${change.sha} ${field}`);
  }
}

function milestonesOf(change: ChangeStages): Float64Array {
  const times = new Float64Array(MILESTONES.length);
  readMilestones(change, times, 0);
  return times;
}

/**
 * Every change's milestone times, parsed once: row i holds change i's milestones. The breakdown
 * and the cumulative flow read the same table when computed together ({@link valueStream}).
 */
export function milestoneTable(changes: readonly ChangeStages[]): Float64Array {
  const table = new Float64Array(changes.length * MILESTONES.length);
  changes.forEach((change, i) => {
    readMilestones(change, table, i * MILESTONES.length);
  });
  return table;
}

/** Stage durations from milestone times at `times[at…]`, written to `out` (NaN: no value). */
function durationsAt(times: Float64Array, at: number, out: Float64Array): void {
  let previous = times[at] ?? Number.NaN;
  for (let i = 0; i < STAGES.length; i++) {
    const end = times[at + i + 1] ?? Number.NaN;
    if (Number.isNaN(end) || Number.isNaN(previous)) {
      out[i] = Number.NaN;
      continue;
    }
    out[i] = Math.max(0, end - previous);
    previous = end;
  }
}

/** Each stage's duration for one change (undefined where it has no value). */
export function stageDurations(change: ChangeStages): Partial<Record<Stage, number>> {
  const durations = new Float64Array(STAGES.length);
  durationsAt(milestonesOf(change), 0, durations);
  const out: Partial<Record<Stage, number>> = {};
  STAGES.forEach((stage, i) => {
    const d = durations[i] ?? Number.NaN;
    if (!Number.isNaN(d)) out[stage] = d;
  });
  return out;
}

export interface StageSummary extends DurationSummary {
  readonly stage: Stage;
  /** How many changes had this stage. */
  readonly count: number;
  /** This stage's share of all the changes' summed lead time: where the time goes. */
  readonly share: number;
}

export interface StageBreakdown {
  /** Changes that reached production in the window. */
  readonly count: number;
  readonly stages: readonly StageSummary[];
  readonly shas: readonly string[];
}

/** Median, p90 and share of each stage over the changes that reached production in the window. */
export function stageBreakdown(
  changes: readonly ChangeStages[],
  window: WindowMs,
  table: Float64Array = milestoneTable(changes),
): StageBreakdown {
  const samples = STAGES.map(() => new Samples());
  const sums = new Float64Array(STAGES.length);
  const durations = new Float64Array(STAGES.length);
  const shas: string[] = [];
  const last = MILESTONES.length - 1;
  changes.forEach((change, c) => {
    const at = c * MILESTONES.length;
    const live = table[at + last] ?? Number.NaN;
    if (Number.isNaN(live) || !inWindow(live, window)) return;
    shas.push(change.sha);
    durationsAt(table, at, durations);
    for (let i = 0; i < STAGES.length; i++) {
      const d = durations[i] ?? Number.NaN;
      if (Number.isNaN(d)) continue;
      samples[i]?.push(d);
      sums[i] = (sums[i] ?? 0) + d;
    }
  });
  const total = sums.reduce((a, b) => a + b, 0);
  return {
    count: shas.length,
    shas,
    stages: STAGES.map((stage, i) => {
      const sorted = samples[i]?.sorted() ?? new Float64Array();
      return {
        stage,
        count: sorted.length,
        ...summarize(sorted),
        share: total === 0 ? 0 : (sums[i] ?? 0) / total,
      };
    }),
  };
}

export interface BatchSizes {
  /** Successful deployments that finished in the window. */
  readonly count: number;
  readonly commits: { readonly median: number | null; readonly p90: number | null };
  readonly linesChanged: { readonly median: number | null; readonly p90: number | null };
  readonly perDeployment: readonly {
    readonly deploymentId: string;
    readonly commits: number;
    readonly linesChanged: number;
  }[];
  /** Shas in ranges with no CommitRecord: counted as commits, with 0 lines. */
  readonly unknownCommits: number;
}

function medianAndP90(sorted: Float64Array): { median: number | null; p90: number | null } {
  return sorted.length === 0
    ? { median: null, p90: null }
    : { median: percentile(sorted, 0.5), p90: percentile(sorted, 0.9) };
}

/** Commits and lines changed (added + deleted) per successful deployment finished in the window. */
export function batchSizes(
  commits: readonly CommitRecord[],
  deployments: readonly TimedDeployment[],
  window: WindowMs,
): BatchSizes {
  const lines = new Map<string, number>();
  for (const c of commits) lines.set(c.sha, c.linesAdded + c.linesDeleted);
  const commitCounts = new Samples();
  const lineCounts = new Samples();
  const perDeployment: { deploymentId: string; commits: number; linesChanged: number }[] = [];
  let unknown = 0;
  for (const d of deployments) {
    if (d.record.outcome !== 'succeeded' || d.finished === null || !inWindow(d.finished, window)) continue;
    let changed = 0;
    for (const sha of d.record.commits) {
      const n = lines.get(sha);
      if (n === undefined) unknown++;
      else changed += n;
    }
    commitCounts.push(d.record.commits.length);
    lineCounts.push(changed);
    perDeployment.push({
      deploymentId: d.record.id,
      commits: d.record.commits.length,
      linesChanged: changed,
    });
  }
  return {
    count: perDeployment.length,
    commits: medianAndP90(commitCounts.sorted()),
    linesChanged: medianAndP90(lineCounts.sorted()),
    perDeployment,
    unknownCommits: unknown,
  };
}

/** The state a change is in at the end of a day: the last milestone it reached. */
export const FLOW_STATES = [
  'committed',
  'building',
  'testing',
  'tested',
  'staging',
  'releasing',
  'production',
] as const;

export type FlowState = (typeof FLOW_STATES)[number];

export interface FlowDay {
  /** The calendar day, `YYYY-MM-DD`, in the given UTC offset. */
  readonly day: string;
  readonly counts: Readonly<Record<FlowState, number>>;
}

/**
 * Cumulative flow: for each calendar day of the window, how many changes were in each state at
 * the day's end (`production` accumulates). Linear: each change adds +1/−1 at the days it enters
 * and leaves each state (difference arrays), then one prefix sum per state.
 */
export function cumulativeFlow(
  changes: readonly ChangeStages[],
  window: WindowMs,
  utcOffsetMinutes = 0,
  table: Float64Array = milestoneTable(changes),
): FlowDay[] {
  const first = dayNumber(window.from, utcOffsetMinutes);
  const days = dayNumber(window.to - 1, utcOffsetMinutes) - first + 1;
  // One row of days + 1 per state: entering adds at its day, leaving subtracts at its day.
  const diff = FLOW_STATES.map(() => new Int32Array(days + 1));
  const clamp = (day: number) => Math.min(Math.max(day - first, 0), days);
  for (let c = 0; c < changes.length; c++) {
    const at = c * MILESTONES.length;
    let state = -1;
    let entered = 0;
    for (let m = 0; m < MILESTONES.length; m++) {
      const t = table[at + m] ?? Number.NaN;
      if (Number.isNaN(t)) continue;
      const day = dayNumber(t, utcOffsetMinutes);
      if (state >= 0) {
        const row = diff[state];
        if (row !== undefined) {
          row[clamp(entered)] = (row[clamp(entered)] ?? 0) + 1;
          row[clamp(day)] = (row[clamp(day)] ?? 0) - 1;
        }
      }
      state = m;
      entered = day;
    }
    const row = diff[state];
    if (row !== undefined) row[clamp(entered)] = (row[clamp(entered)] ?? 0) + 1;
  }
  const running = new Int32Array(FLOW_STATES.length);
  const out: FlowDay[] = [];
  for (let d = 0; d < days; d++) {
    const counts = {} as Record<FlowState, number>;
    FLOW_STATES.forEach((state, s) => {
      running[s] = (running[s] ?? 0) + (diff[s]?.[d] ?? 0);
      counts[state] = running[s] ?? 0;
    });
    const date = new Date((first + d) * DAY_MS).toISOString().slice(0, 10);
    out.push({ day: date, counts });
  }
  return out;
}

export interface ValueStream {
  readonly stages: StageBreakdown;
  readonly batchSizes: BatchSizes;
  readonly cumulativeFlow: readonly FlowDay[];
}

/** The whole value stream of one scope over a window, each change's milestones parsed once. */
export function valueStream(
  changes: readonly ChangeStages[],
  commits: readonly CommitRecord[],
  deployments: readonly TimedDeployment[],
  window: WindowMs,
  utcOffsetMinutes = 0,
): ValueStream {
  const table = milestoneTable(changes);
  return {
    stages: stageBreakdown(changes, window, table),
    batchSizes: batchSizes(commits, deployments, window),
    cumulativeFlow: cumulativeFlow(changes, window, utcOffsetMinutes, table),
  };
}

/**
 * Work in progress at an instant: the changes committed by `at` that were not live in
 * production by `at` (no `productionFinishedAt`, or a later one).
 */
export function changesInProgress(changes: readonly ChangeStages[], at: number): WorkInProgress {
  const shas: string[] = [];
  for (const change of changes) {
    if (instantOf(change.committedAt, `change ${change.sha} committedAt`) > at) continue;
    const live = change.productionFinishedAt;
    if (live === undefined || instantOf(live, `change ${change.sha} productionFinishedAt`) > at)
      shas.push(change.sha);
  }
  return { count: shas.length, shas };
}
