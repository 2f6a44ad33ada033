import { clustersOf } from './clusters.js';
import type { TimedDeployment } from './deployments.js';
import { instantOf } from './instant.js';
import { histogram, Samples, summarize } from './stats.js';
import type { CommitRecord, DurationSummary, HistogramBucket, KeyBase } from './types.js';
import { inWindow, type WindowMs } from './window.js';

/**
 * Change lead time: per commit, from its commit time to the first successful deployment to the
 * environment that contains it. Linear: one Map from sha to the index of its first successful
 * deployment (deployments walked in finish order, first writer wins), then one pass over the
 * commits. No commit is matched to a deployment by time or by guess: only by the ranges the
 * recorder stored in `DeploymentRecord.commits`.
 */

export const LEAD_TIME_DEFINITION =
  'Per commit: from its commit time (git committer date by default: for a squash merge the squashed commit, for a revert the revert commit) ' +
  'to the finish of the first successful deployment to the environment whose recorded range contains it. ' +
  'A commit counts once, in the window where that deployment finished; deployments to other environments and repeats after a rollback do not count it again. ' +
  'Commits not yet deployed are work in progress, not lead time. Median and p90 use linear interpolation (type 7).';

export interface LeadTimeOptions {
  /** Which git time starts the clock: `committed` (default) or `authored`. */
  readonly commitTime?: 'committed' | 'authored';
}

export interface ChangeLeadTime extends KeyBase, DurationSummary {
  readonly histogram: readonly HistogramBucket[];
  /** The commits counted (drill-down). */
  readonly commitShas: readonly string[];
  /** The deployments that shipped them. */
  readonly deploymentIds: readonly string[];
  /** Shas in a counted deployment's range with no CommitRecord given: not counted. */
  readonly unknownCommits: readonly string[];
  /** Commits dated after their deployment (clock skew): counted as 0. */
  readonly skewedCommits: readonly string[];
}

/** One counted commit, for a per-commit drill-down. */
export interface CommitLeadTime {
  readonly sha: string;
  readonly deploymentId: string;
  readonly leadTimeMs: number;
}

/**
 * Where each sha first shipped. `entry` maps a sha to its first occurrence in the deployments'
 * ranges laid end to end (in finish order); `deploymentOf[entry]` is that deployment's index in
 * `byFinish`. Walked from the latest deployment back, so the earliest occurrence writes last: one
 * Map write per shipped sha and no lookup. A typed array of entries then marks matched commits
 * without writing to the Map again. Deployments finishing after the window cannot be the first
 * of a commit counted in it and are skipped.
 */
interface FirstShipped {
  readonly entry: Map<string, number>;
  readonly deploymentOf: Int32Array;
}

function firstShipped(byFinish: readonly TimedDeployment[], window: WindowMs): FirstShipped {
  const offsets = new Int32Array(byFinish.length + 1);
  byFinish.forEach((d, i) => {
    offsets[i + 1] = (offsets[i] ?? 0) + d.record.commits.length;
  });
  const entry = new Map<string, number>();
  const deploymentOf = new Int32Array(offsets[byFinish.length] ?? 0);
  for (let i = byFinish.length - 1; i >= 0; i--) {
    const d = byFinish[i];
    if (d === undefined || (d.finished ?? 0) >= window.to) continue;
    const base = offsets[i] ?? 0;
    d.record.commits.forEach((sha, k) => {
      entry.set(sha, base + k);
      deploymentOf[base + k] = i;
    });
  }
  return { entry, deploymentOf };
}

/** Successful, finished deployments sorted by finish (ties by id). */
function successfulByFinish(deployments: readonly TimedDeployment[]): TimedDeployment[] {
  return deployments
    .filter((d) => d.record.outcome === 'succeeded' && d.finished !== null)
    .sort(
      (a, b) =>
        (a.finished ?? 0) - (b.finished ?? 0) ||
        (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0),
    );
}

/**
 * Lead times of the commits whose first successful deployment finished in the window, and,
 * when `perCommit` is given, each one pushed to it.
 */
export function changeLeadTime(
  commits: readonly CommitRecord[],
  deployments: readonly TimedDeployment[],
  window: WindowMs,
  options: LeadTimeOptions = {},
  perCommit?: CommitLeadTime[],
): ChangeLeadTime {
  const byFinish = successfulByFinish(deployments);
  const { entry, deploymentOf } = firstShipped(byFinish, window);
  const matched = new Uint8Array(deploymentOf.length);
  const authored = options.commitTime === 'authored';
  const samples = new Samples();
  const shas: string[] = [];
  const skewed: string[] = [];
  const shipped = new Set<number>();
  for (const commit of commits) {
    const e = entry.get(commit.sha);
    if (e === undefined || matched[e] === 1) continue; // not deployed, or a second record of it
    const index = deploymentOf[e] ?? -1;
    const deployment = byFinish[index];
    if (deployment?.finished == null || !inWindow(deployment.finished, window)) continue;
    matched[e] = 1;
    const time = authored ? commit.authoredAt : commit.committedAt;
    let lead =
      deployment.finished -
      instantOf(time, `commit ${commit.sha} ${authored ? 'authoredAt' : 'committedAt'}`);
    if (lead < 0) {
      skewed.push(commit.sha);
      lead = 0;
    }
    samples.push(lead);
    shas.push(commit.sha);
    shipped.add(index);
    perCommit?.push({ sha: commit.sha, deploymentId: deployment.record.id, leadTimeMs: lead });
  }
  const unknown: string[] = [];
  for (const [sha, e] of entry) {
    const finished = byFinish[deploymentOf[e] ?? -1]?.finished;
    if (matched[e] === 0 && finished != null && inWindow(finished, window)) unknown.push(sha);
  }
  const sorted = samples.sorted();
  const summary = summarize(sorted);
  return {
    definition: LEAD_TIME_DEFINITION,
    count: sorted.length,
    ...summary,
    histogram: histogram(sorted),
    commitShas: shas,
    deploymentIds: [...shipped].sort((a, b) => a - b).map((i) => byFinish[i]?.record.id ?? ''),
    unknownCommits: unknown,
    skewedCommits: skewed,
    clusters: clustersOf('leadTime', summary.medianMs, 'no commit reached the environment in the window'),
  };
}

/** Commits made by `at` that no successful deployment finished by `at` contains. */
export interface WorkInProgress {
  readonly count: number;
  readonly shas: readonly string[];
}

/**
 * Work in progress at an instant: the given commits (the service's trunk history, as recorded)
 * committed at or before `at` and not shipped by a successful deployment finished at or before
 * `at`. They are absent from lead time until they ship.
 */
export function workInProgress(
  commits: readonly CommitRecord[],
  deployments: readonly TimedDeployment[],
  at: number,
): WorkInProgress {
  const shipped = new Set<string>();
  for (const d of deployments) {
    if (d.record.outcome !== 'succeeded' || d.finished === null || d.finished > at) continue;
    for (const sha of d.record.commits) shipped.add(sha);
  }
  const shas: string[] = [];
  for (const c of commits) {
    if (!shipped.has(c.sha) && instantOf(c.committedAt, `commit ${c.sha} committedAt`) <= at)
      shas.push(c.sha);
  }
  return { count: shas.length, shas };
}
