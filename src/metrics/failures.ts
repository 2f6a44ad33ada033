import { clustersOf } from './clusters.js';
import { failedInRelease, reachedUsers, type TimedDeployment } from './deployments.js';
import { instantOf } from './instant.js';
import type { IncidentRecord, KeyBase } from './types.js';
import { inWindow, type WindowMs } from './window.js';

/**
 * Change fail rate: which deployments needed intervention. Every reason comes from a record
 * (the outcome, the next deployment's kind and plan, an incident's cause link), so the figure
 * can always be drilled down to the deployment and the record that made it count.
 */

/** Why a deployment counts as failed; several can hold at once. */
export type FailureReason =
  | 'rolledBack' // its own release was rolled back
  | 'failedAnalysis' // its release analysis failed
  | 'followedByRollback' // the next deployment to the environment was a rollback
  | 'followedByFix' // the next deployment was an unplanned fix (hotfix or incident)
  | 'incident' // an incident names it as cause
  | 'inferredIncident'; // an incident names it as cause by inference only

export interface DeploymentFailure {
  readonly deploymentId: string;
  readonly reasons: readonly FailureReason[];
  readonly incidentIds: readonly string[];
}

export const FAIL_RATE_DEFINITION =
  'Share of deployments (kind deploy) to the environment that finished in the window after serving users (succeeded, rolled back, failed analysis) and needed intervention: ' +
  'rolled back or failed analysis during their own release; or followed by a rollback (the next deployment to the environment, by start time, is a rollback); ' +
  'or followed by a fix (the next deployment is unplanned with reason hotfix or incident); or named as cause by an incident (inferred causes included, and listed). ' +
  'Rollback deployments are remediation, not changes: they are not in the denominator. Deployments that failed before serving users are counted apart (notReached).';

export interface ChangeFailRate extends KeyBase {
  /** failures / count; null when no deployment reached users in the window. */
  readonly rate: number | null;
  readonly failures: readonly DeploymentFailure[];
  /** The denominator's deployments. */
  readonly deploymentIds: readonly string[];
  /** Deployments in the window that failed before serving users: in neither side of the rate. */
  readonly notReached: readonly string[];
  /** Failures counted only through an inferred incident cause (worth a review). */
  readonly inferredOnly: number;
}

/** The incidents naming each deployment as cause. */
export function incidentsByCause(incidents: readonly IncidentRecord[]): Map<string, IncidentRecord[]> {
  const byCause = new Map<string, IncidentRecord[]>();
  for (const incident of incidents) {
    if (incident.cause?.kind !== 'deployment') continue;
    const list = byCause.get(incident.cause.id);
    if (list === undefined) byCause.set(incident.cause.id, [incident]);
    else list.push(incident);
  }
  return byCause;
}

/** Why the deployment at `index` (in start order) failed; empty when it did not. */
export function failureReasons(
  deployments: readonly TimedDeployment[],
  index: number,
  caused: readonly IncidentRecord[],
): FailureReason[] {
  const d = deployments[index];
  if (d === undefined) return [];
  const reasons: FailureReason[] = [];
  if (d.record.outcome === 'rolledBack') reasons.push('rolledBack');
  if (d.record.outcome === 'failedAnalysis') reasons.push('failedAnalysis');
  const next = deployments[index + 1]?.record;
  if (next !== undefined && !failedInRelease(d.record.outcome)) {
    if (next.kind === 'rollback') reasons.push('followedByRollback');
    else if (!next.planned && (next.unplannedReason === 'hotfix' || next.unplannedReason === 'incident')) {
      reasons.push('followedByFix');
    }
  }
  if (caused.some((i) => i.cause?.inferred === false)) reasons.push('incident');
  else if (caused.length > 0) reasons.push('inferredIncident');
  return reasons;
}

/** The deployments of the window that the fail rate counts, with their index in start order. */
export function changesInWindow(deployments: readonly TimedDeployment[], window: WindowMs): number[] {
  const indexes: number[] = [];
  deployments.forEach((d, i) => {
    if (d.record.kind === 'deploy' && d.finished !== null && inWindow(d.finished, window)) indexes.push(i);
  });
  return indexes;
}

/** Change fail rate of one scope's deployments (sorted by {@link timedDeployments}). */
export function changeFailRate(
  deployments: readonly TimedDeployment[],
  incidents: readonly IncidentRecord[],
  window: WindowMs,
): ChangeFailRate {
  const byCause = incidentsByCause(incidents);
  const ids: string[] = [];
  const notReached: string[] = [];
  const failures: DeploymentFailure[] = [];
  let inferredOnly = 0;
  for (const index of changesInWindow(deployments, window)) {
    const record = deployments[index]?.record;
    if (record === undefined) continue;
    if (!reachedUsers(record.outcome)) {
      if (record.outcome === 'failed') notReached.push(record.id);
      continue;
    }
    ids.push(record.id);
    const caused = byCause.get(record.id) ?? [];
    const reasons = failureReasons(deployments, index, caused);
    if (reasons.length === 0) continue;
    if (reasons.length === 1 && reasons[0] === 'inferredIncident') inferredOnly++;
    failures.push({ deploymentId: record.id, reasons, incidentIds: caused.map((i) => i.id) });
  }
  const rate = ids.length === 0 ? null : failures.length / ids.length;
  return {
    definition: FAIL_RATE_DEFINITION,
    count: ids.length,
    rate,
    failures,
    deploymentIds: ids,
    notReached,
    inferredOnly,
    clusters: clustersOf('changeFailRate', rate, 'no deployment served users in the window'),
  };
}

/** Parses an incident time once, naming the field if it is malformed. */
export function incidentTime(incident: IncidentRecord, field: 'openedAt' | 'resolvedAt'): number | null {
  const value = incident[field];
  return value === null ? null : instantOf(value, `incident ${incident.id} ${field}`);
}
