import type { Andon } from '../andon/index.js';
import type { Actor, AuditLog } from '../audit/index.js';
import type { Catalog } from '../catalog/index.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../store/index.js';
import { markReaped, readRunnerState } from './runner-state.js';
import { isTrunkRun } from './trunk.js';

export interface RunReaperDeps {
  readonly store: Store;
  readonly catalog: Pick<Catalog, 'findRun'>;
  readonly audit: AuditLog;
  readonly andon: Pick<Andon, 'recordTrunkRun'>;
  readonly clock: Clock;
  /** How long a runner may stay silent (FLOWLINE_RUNNER_TIMEOUT). */
  readonly timeoutMs: number;
  /** Who reaps, in the audit trail and on the andon cord: Flowline itself. */
  readonly actor: Actor;
}

export interface RunReaper {
  /** Marks failed each recorded run whose runner has been silent too long; resolves with their ids. */
  reap(): Promise<string[]>;
}

/**
 * Reaps runs whose CI job was killed. A runner reports every stage change and log batch and, in
 * between, a heartbeat every 30 s; one silent for longer than the timeout is gone (SIGKILL, a
 * lost machine) and its run would stay `running` forever. Such a run is marked failed, its
 * running stages failed and its queued ones cancelled, each with the reason; it is audited as
 * `run.reap`, and a trunk run turns the andon cord red as any failed trunk run does. A late
 * message from its runner is then refused with FLOWLINE_RUN_REAPED (intake.ts).
 * Runs executed on this machine have no runner state and are never reaped.
 */
export function createRunReaper(deps: RunReaperDeps): RunReaper {
  let reaping = false;
  return {
    async reap() {
      if (reaping) return []; // a slow pass still going: the next tick catches up
      reaping = true;
      try {
        const running = await deps.store.db
          .selectFrom('runs')
          .select('id')
          .where('status', '=', 'running')
          .execute();
        const reaped: string[] = [];
        for (const { id } of running) if (await reapIfSilent(deps, id)) reaped.push(id);
        return reaped;
      } finally {
        reaping = false;
      }
    },
  };
}

/** True when the runner of a recorded run has been silent past the timeout (and not reaped yet). */
function silent(deps: RunReaperDeps, state: Awaited<ReturnType<typeof readRunnerState>>, now: Date) {
  return (
    state !== undefined &&
    state.reaped === undefined &&
    now.getTime() - state.heardAt.getTime() >= deps.timeoutMs
  );
}

async function reapIfSilent(deps: RunReaperDeps, runId: string): Promise<boolean> {
  const now = deps.clock.now();
  if (!silent(deps, await readRunnerState(deps.store.db, runId), now)) return false;
  const run = await deps.catalog.findRun(runId);
  if (run === undefined) return false;
  const at = now.toISOString();
  const reaped = await deps.store.write(async (tx) => {
    // Judged again inside the write: a message from the runner may have arrived meanwhile.
    const state = await readRunnerState(tx, runId);
    if (state === undefined || !silent(deps, state, now)) return undefined;
    const reason = `the runner stopped reporting at ${state.heardAt.toISOString()}: its CI job was probably killed`;
    // Only if still running: the runner may have finished the run since it was listed.
    const updated = await tx
      .updateTable('runs')
      .set({ status: 'failed', finished_at: at })
      .where('id', '=', runId)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0) return undefined;
    const stages = await tx
      .selectFrom('run_stages')
      .select('name')
      .where('run_id', '=', runId)
      .where('status', '=', 'running')
      .execute();
    await tx
      .updateTable('run_stages')
      .set({ status: 'failed', finished_at: at, reason })
      .where('run_id', '=', runId)
      .where('status', '=', 'running')
      .execute();
    await tx
      .updateTable('run_stages')
      .set({ status: 'cancelled', reason })
      .where('run_id', '=', runId)
      .where('status', '=', 'queued')
      .execute();
    const names = stages.map((s) => s.name);
    await markReaped(tx, runId, at, reason);
    await deps.audit.append(
      {
        actor: deps.actor,
        action: 'run.reap',
        target: `run:${runId}`,
        where: run.where,
        details: { service: run.service, status: 'failed', branch: run.branch, failed: names, reason },
      },
      tx,
    );
    return { state, reason };
  });
  if (reaped === undefined) return false;
  const { state, reason } = reaped;
  if (isTrunkRun({ only: state.only, trunk: state.trunk, branch: run.branch, status: 'failed' })) {
    await deps.andon.recordTrunkRun({
      service: run.service,
      runId,
      passed: false,
      detail: reason,
      actor: deps.actor,
      where: run.where,
    });
  }
  return true;
}
