import type { Kysely } from 'kysely';
import type { Database } from '../store/index.js';

/**
 * What a server knows of the CI machine executing a run it records (table `run_runners`):
 * - what the runner declared at start that the run row does not hold: the trunk and `--stages`,
 *   so that a reaped trunk run moves the andon cord by the same rule as a finished one;
 * - when the runner was last heard from, set on each message;
 * - once the run is reaped, when and why.
 * Its presence marks a run as executed elsewhere: local runs have none and are never reaped.
 * Each function takes the connection or the write transaction it should run in, so that a check
 * and the change it leads to can share one transaction.
 */
export interface RunnerState {
  /** The trunk of the service's policy when the run started, or null when its andon is off. */
  readonly trunk: string | null;
  /** `--stages`, or null for a full run. */
  readonly only: readonly string[] | null;
  /** The token that started the run (null: recorded before tokens owned runs). */
  readonly tokenId: string | null;
  readonly reaped?: { readonly at: string; readonly reason: string };
}

type Db = Kysely<Database>;

/** Records the runner of a run being started (in the transaction that inserts the run). */
export async function recordRunner(db: Db, runId: string, state: RunnerState, heardAt: Date): Promise<void> {
  await db
    .insertInto('run_runners')
    .values({
      run_id: runId,
      trunk: state.trunk,
      only_json: state.only === null ? null : JSON.stringify(state.only),
      heard_at: heardAt.toISOString(),
      reaped_at: null,
      reaped_reason: null,
      token_id: state.tokenId,
    })
    .execute();
}

/** Records that the runner was heard from at `at`; a run without a runner row is left alone. */
export async function touchRunner(db: Db, runId: string, at: Date): Promise<void> {
  await db
    .updateTable('run_runners')
    .set({ heard_at: at.toISOString() })
    .where('run_id', '=', runId)
    .where('reaped_at', 'is', null)
    .execute();
}

/** Marks the run's runner as reaped, with why. */
export async function markReaped(db: Db, runId: string, at: string, reason: string): Promise<void> {
  await db
    .updateTable('run_runners')
    .set({ reaped_at: at, reaped_reason: reason })
    .where('run_id', '=', runId)
    .execute();
}

/** The runner's state and when it was last heard from; undefined for a run executed here. */
export async function readRunnerState(
  db: Db,
  runId: string,
): Promise<(RunnerState & { readonly heardAt: Date }) | undefined> {
  const row = await db.selectFrom('run_runners').selectAll().where('run_id', '=', runId).executeTakeFirst();
  if (row === undefined) return undefined;
  return {
    trunk: row.trunk,
    only: row.only_json === null ? null : (JSON.parse(row.only_json) as string[]),
    tokenId: row.token_id,
    heardAt: new Date(row.heard_at),
    ...(row.reaped_at === null ? {} : { reaped: { at: row.reaped_at, reason: row.reaped_reason ?? '' } }),
  };
}
