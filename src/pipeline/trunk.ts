import type { FlowlineConfig } from '../config/index.js';
import type { RunOutcome } from './types.js';

/** The trunk whose runs move the andon cord, or null when `pipeline.andon` is off. */
export function andonTrunk(config: Pick<FlowlineConfig, 'pipeline'>): string | null {
  return config.pipeline.andon ? config.pipeline.trunk : null;
}

/**
 * Whether a finished run moves the andon cord: a full run (no `--stages`) on the trunk that was
 * not cancelled. Shared by the local runner and the server recording runs from CI machines.
 */
export function isTrunkRun(run: {
  readonly only: readonly string[] | null;
  readonly trunk: string | null;
  readonly branch: string | null;
  readonly status: RunOutcome;
}): boolean {
  return run.only === null && run.trunk !== null && run.branch === run.trunk && run.status !== 'cancelled';
}
