import { instantOf } from './instant.js';
import type { DeploymentOutcome, DeploymentRecord, Scope } from './types.js';

/**
 * One service's deployments to one environment, with their times parsed once and sorted once:
 * the index every key walks, so no key scans the records twice or nests scans.
 */

export interface TimedDeployment {
  readonly record: DeploymentRecord;
  readonly started: number;
  /** Null while running. */
  readonly finished: number | null;
}

/** Outcomes where the new revision served users: it changed production. */
export function reachedUsers(outcome: DeploymentOutcome): boolean {
  return outcome === 'succeeded' || outcome === 'rolledBack' || outcome === 'failedAnalysis';
}

/** The outcomes where the release itself failed after serving users. */
export function failedInRelease(outcome: DeploymentOutcome): boolean {
  return outcome === 'rolledBack' || outcome === 'failedAnalysis';
}

/**
 * The scope's deployments sorted by start (ties: by finish, then id, so the order never depends
 * on the order records arrived in).
 */
export function timedDeployments(records: readonly DeploymentRecord[], scope: Scope): TimedDeployment[] {
  const out: TimedDeployment[] = [];
  for (const record of records) {
    if (record.service !== scope.service || record.environment !== scope.environment) continue;
    const started = instantOf(record.startedAt, `deployment ${record.id} startedAt`);
    const finished =
      record.finishedAt === null ? null : instantOf(record.finishedAt, `deployment ${record.id} finishedAt`);
    out.push({ record, started, finished });
  }
  return out.sort(
    (a, b) =>
      a.started - b.started ||
      (a.finished ?? Number.POSITIVE_INFINITY) - (b.finished ?? Number.POSITIVE_INFINITY) ||
      (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0),
  );
}
