import { clustersOf } from './clusters.js';
import { failedInRelease, reachedUsers, type TimedDeployment } from './deployments.js';
import { changesInWindow, failureReasons, incidentsByCause, incidentTime } from './failures.js';
import { Samples, summarize } from './stats.js';
import type { DurationSummary, IncidentRecord, KeyBase } from './types.js';
import type { WindowMs } from './window.js';

/**
 * Failed deployment recovery time, for the same failures the fail rate counts.
 *
 * Start: when users were first exposed, if the deployment's own records show the failure
 * (its release was rolled back or failed analysis: its start; followed by a rollback or a fix:
 * its finish). If only an incident shows it, the incident's opening: for a defect found days
 * later, Flowline cannot know when impact began, and counting from the deployment would add
 * detection latency that is not recovery.
 * End: if incidents name the deployment as cause, the last of their resolutions (resolving an
 * incident is what closes the interval; one still open keeps the failure open). Otherwise the
 * deployment's own rollback finishing (failed in release), or the next successful deployment to
 * the environment finishing (the rollback or fix that marked it failed).
 * A failure with no end yet is open: listed with its age at the window's end, never as zero,
 * and not in the median.
 */

export const RECOVERY_DEFINITION =
  'For each failed deployment of the change fail rate: from the start of user exposure (release start if its own release failed, its finish if a rollback or fix followed; ' +
  'the first caused incident opening if only incidents show the failure) to the next healthy production state: the last resolution of the incidents it caused if any; ' +
  'else its own rollback finishing, or the next successful deployment to the environment finishing. Median and p90 over recovered failures; unrecovered ones are open, never zero.';

export interface Recovery {
  readonly deploymentId: string;
  readonly startedAt: string;
  readonly recoveredAt: string;
  readonly durationMs: number;
}

export interface OpenFailure {
  readonly deploymentId: string;
  readonly startedAt: string;
  /** How long it has been open at the window's end. */
  readonly openForMs: number;
  readonly incidentIds: readonly string[];
}

export interface RecoveryTime extends KeyBase, DurationSummary {
  readonly recovered: readonly Recovery[];
  readonly open: readonly OpenFailure[];
}

/** Index of the next successful finished deployment after each index (start order); -1 if none. */
function nextSuccess(deployments: readonly TimedDeployment[]): Int32Array {
  const next = new Int32Array(deployments.length).fill(-1);
  let following = -1;
  for (let i = deployments.length - 1; i >= 0; i--) {
    next[i] = following;
    const d = deployments[i];
    if (d?.record.outcome === 'succeeded' && d.finished !== null) following = i;
  }
  return next;
}

/** Recovery time of one scope's failed deployments that finished in the window. */
export function recoveryTime(
  deployments: readonly TimedDeployment[],
  incidents: readonly IncidentRecord[],
  window: WindowMs,
): RecoveryTime {
  const byCause = incidentsByCause(incidents);
  const next = nextSuccess(deployments);
  const samples = new Samples();
  const recovered: Recovery[] = [];
  const open: OpenFailure[] = [];
  for (const index of changesInWindow(deployments, window)) {
    const d = deployments[index];
    if (d === undefined || d.finished === null || !reachedUsers(d.record.outcome)) continue;
    const caused = byCause.get(d.record.id) ?? [];
    const reasons = failureReasons(deployments, index, caused);
    if (reasons.length === 0) continue;
    const inRelease = failedInRelease(d.record.outcome);
    const shownByDeployment = reasons.some((r) => r !== 'incident' && r !== 'inferredIncident');
    let start = inRelease ? d.started : d.finished;
    if (!shownByDeployment) start = Math.min(...caused.map((i) => incidentTime(i, 'openedAt') ?? start));
    let end: number | null;
    if (caused.length > 0) {
      const resolutions = caused.map((i) => incidentTime(i, 'resolvedAt'));
      end = resolutions.some((r) => r === null) ? null : Math.max(...(resolutions as number[]));
    } else if (inRelease) {
      end = d.finished;
    } else {
      const after = deployments[next[index] ?? -1];
      end = after?.finished ?? null;
    }
    if (end === null) {
      open.push({
        deploymentId: d.record.id,
        startedAt: new Date(start).toISOString(),
        openForMs: Math.max(0, window.to - start),
        incidentIds: caused.map((i) => i.id),
      });
      continue;
    }
    const duration = Math.max(0, end - start);
    samples.push(duration);
    recovered.push({
      deploymentId: d.record.id,
      startedAt: new Date(start).toISOString(),
      recoveredAt: new Date(end).toISOString(),
      durationMs: duration,
    });
  }
  const summary = summarize(samples.sorted());
  return {
    definition: RECOVERY_DEFINITION,
    count: recovered.length + open.length,
    ...summary,
    recovered,
    open,
    clusters: clustersOf(
      'recoveryTime',
      summary.medianMs,
      open.length > 0 ? 'no failure has recovered yet' : 'no failed deployment in the window',
    ),
  };
}
