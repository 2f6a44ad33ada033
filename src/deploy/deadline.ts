import { formatDuration } from '../core/time.js';
import type { ReleaseControl } from './release-control.js';

/** `progressDeadline` when a stored release predates it (flowline.yaml's default). */
export const DEFAULT_PROGRESS_DEADLINE_MS = 600_000;

/**
 * `progressDeadline`, as Argo Rollouts' `progressDeadlineSeconds`: a step that moves the release
 * on (shifting traffic, an analysis) must end within the deadline, or the release fails and
 * traffic goes back to stable, as for any automatic failure. Waiting is not stalling: pauses and
 * holds for a person (an inconclusive analysis) are never timed, as in Argo, where a paused
 * rollout does not count against its deadline. `sleep` is the controller's (tests pass their own).
 */
export async function withinDeadline<T>(
  deps: { readonly sleep: (ms: number, signal: AbortSignal) => Promise<void> },
  control: ReleaseControl,
  deadlineMs: number,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  const stop = new AbortController();
  deps.sleep(deadlineMs, stop.signal).then(
    () => {
      if (stop.signal.aborted || control.aborted !== undefined) return;
      control.abort(
        `${what} made no progress for ${formatDuration(deadlineMs)} (progressDeadline)`,
        'automatic',
      );
    },
    () => {},
  );
  try {
    return await work();
  } finally {
    stop.abort();
  }
}
