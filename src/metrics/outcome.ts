import type { DeploymentRow } from '../store/index.js';
import type { DeploymentOutcome } from './types.js';

/** The columns of a `deployments` row an outcome is read from (a `selectAll()` row has them). */
export type OutcomeColumns = Pick<DeploymentRow, 'status' | 'served_at' | 'failed_analysis'> & {
  /** An imported deployment's outcome as its file stated it (migration 0016); it wins. */
  readonly outcome?: string | null;
};

const OUTCOMES: ReadonlySet<string> = new Set([
  'succeeded',
  'failed',
  'rolledBack',
  'failedAnalysis',
  'running',
]);

/**
 * How a deployment ended, in the metrics' vocabulary, from its row (docs/metrics.md, "How a
 * deployment ended"). The row's `status` says where the deployment stands; `served_at` whether
 * its new revision ever took users' traffic; `failed_analysis` why the controller gave up:
 *
 * | status | served_at | failed_analysis | outcome |
 * | --- | --- | --- | --- |
 * | `pending`, `running` | any | any | `running` |
 * | `succeeded` | any | any | `succeeded` |
 * | `rolled_back` | any | any | `succeeded`: it completed, and a later rollback deployment replaced it (that rollback is what the fail rate sees) |
 * | `failed` | null | any | `failed`: it never served users (start, health, smoke test, pre-promotion analysis) |
 * | `failed` | set | 1 | `failedAnalysis` |
 * | `failed` | set | 0 | `rolledBack`: it served, then was sent back (an abort, a health failure, a restart) |
 * | `cancelled` | null | any | `failed` |
 * | `cancelled` | set | any | `rolledBack` |
 *
 * Pure: no store, no clock.
 */
export function outcomeOf(row: OutcomeColumns): DeploymentOutcome {
  if (row.outcome != null && OUTCOMES.has(row.outcome)) return row.outcome as DeploymentOutcome;
  switch (row.status) {
    case 'pending':
    case 'running':
      return 'running';
    case 'succeeded':
    case 'rolled_back':
      return 'succeeded';
    case 'failed':
    case 'cancelled':
      if (row.served_at === null) return 'failed';
      return row.failed_analysis === 1 && row.status === 'failed' ? 'failedAnalysis' : 'rolledBack';
  }
}
