import { reworkClusters } from './clusters.js';
import { reachedUsers, type TimedDeployment } from './deployments.js';
import type { KeyBase, UnplannedReason } from './types.js';
import { inWindow, type WindowMs } from './window.js';

/**
 * Deployment rework rate (introduced by the 2024 DORA report): the share of deployments that
 * were not planned but made to fix a user-facing problem. The recorder marks a deployment
 * unplanned only for remediation (a rollback, the hotfix flag, or a deployment while an incident
 * is open), so every unplanned deployment counts; the reasons are listed for drill-down. A
 * deployment made during an incident for another purpose cannot be told apart from a fix by
 * record, and counts: the cost of that doubt is on the side of showing rework, not hiding it.
 */

export const REWORK_DEFINITION =
  'Share of deployments to the environment (rollbacks included) that finished in the window after serving users and were unplanned: ' +
  'a rollback, a hotfix, or made while an incident was open. Deployments that failed before serving users are in neither side.';

export interface ReworkRate extends KeyBase {
  /** unplanned / count; null when no deployment reached users in the window. */
  readonly rate: number | null;
  readonly unplannedIds: readonly string[];
  readonly byReason: Readonly<Record<UnplannedReason, number>>;
  readonly deploymentIds: readonly string[];
}

export function reworkRate(deployments: readonly TimedDeployment[], window: WindowMs): ReworkRate {
  const ids: string[] = [];
  const unplanned: string[] = [];
  const byReason: Record<UnplannedReason, number> = { rollback: 0, hotfix: 0, incident: 0 };
  for (const d of deployments) {
    if (d.finished === null || !inWindow(d.finished, window) || !reachedUsers(d.record.outcome)) continue;
    ids.push(d.record.id);
    // A rollback is unplanned by nature, even if a recorder forgot to say so.
    if (d.record.planned && d.record.kind === 'deploy') continue;
    unplanned.push(d.record.id);
    const reason = d.record.unplannedReason ?? (d.record.kind === 'rollback' ? 'rollback' : undefined);
    if (reason !== undefined) byReason[reason]++;
  }
  return {
    definition: REWORK_DEFINITION,
    count: ids.length,
    rate: ids.length === 0 ? null : unplanned.length / ids.length,
    unplannedIds: unplanned,
    byReason,
    deploymentIds: ids,
    clusters: reworkClusters(),
  };
}
