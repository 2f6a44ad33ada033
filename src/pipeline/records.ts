import type { Clock } from '../core/clock.js';
import type { RunStageRow, Store } from '../store/index.js';
import type { NodeKind, NodeResult, NodeStatus } from './types.js';

/** A change to one node's record. */
export interface StagePatch {
  readonly status: NodeStatus;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly reason?: string | null;
}

/** A planned node as recorded: what `plan` writes, and what the server writes for a runner's run. */
export interface PlannedNode {
  readonly name: string;
  readonly kind: NodeKind;
  readonly logPath: string;
  /** The stages it waits for; left out by runners older than the run graph. */
  readonly needs?: readonly string[] | undefined;
}

/** The `run_stages` rows of a run's nodes, `queued`, in plan order. */
export function queuedStageRows(runId: string, nodes: readonly PlannedNode[]) {
  return nodes.map((node, position) => ({
    run_id: runId,
    name: node.name,
    position,
    kind: node.kind,
    status: 'queued' as const,
    started_at: null,
    finished_at: null,
    exit_code: null,
    signal: null,
    log_path: node.logPath,
    reason: null,
    needs: node.needs === undefined ? null : JSON.stringify(node.needs),
  }));
}

/** The `run_stages` records of runs: one row per node, written as the node moves on. */
export interface StageRecords {
  /** Records a run's nodes as `queued`, in plan order. */
  plan(runId: string, nodes: readonly PlannedNode[]): Promise<void>;
  /** Updates one node and returns it as recorded. */
  update(runId: string, name: string, patch: StagePatch): Promise<NodeResult>;
  /** The nodes of a run in plan order; empty for an unknown run. */
  list(runId: string): Promise<NodeResult[]>;
}

export function createStageRecords(deps: { store: Store; clock: Clock }): StageRecords {
  const { store } = deps;
  return {
    async plan(runId, nodes) {
      if (nodes.length === 0) return;
      await store.write((tx) => tx.insertInto('run_stages').values(queuedStageRows(runId, nodes)).execute());
    },

    async update(runId, name, patch) {
      return store.write(async (tx) => {
        await tx
          .updateTable('run_stages')
          .set({
            status: patch.status,
            ...(patch.startedAt === undefined ? {} : { started_at: patch.startedAt }),
            ...(patch.finishedAt === undefined ? {} : { finished_at: patch.finishedAt }),
            ...(patch.exitCode === undefined ? {} : { exit_code: patch.exitCode }),
            ...(patch.signal === undefined ? {} : { signal: patch.signal }),
            ...(patch.reason === undefined ? {} : { reason: patch.reason }),
          })
          .where('run_id', '=', runId)
          .where('name', '=', name)
          .execute();
        const row = await tx
          .selectFrom('run_stages')
          .selectAll()
          .where('run_id', '=', runId)
          .where('name', '=', name)
          .executeTakeFirstOrThrow();
        return toNodeResult(row);
      });
    },

    async list(runId) {
      const rows = await store.db
        .selectFrom('run_stages')
        .selectAll()
        .where('run_id', '=', runId)
        .orderBy('position')
        .execute();
      return rows.map(toNodeResult);
    },
  };
}

export function toNodeResult(row: RunStageRow): NodeResult {
  const durationMs =
    row.started_at !== null && row.finished_at !== null
      ? new Date(row.finished_at).getTime() - new Date(row.started_at).getTime()
      : null;
  return {
    name: row.name,
    kind: row.kind,
    status: row.status,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationMs,
    exitCode: row.exit_code,
    signal: row.signal,
    reason: row.reason,
    needs: row.needs === null ? null : parseNeeds(row.needs),
    logPath: row.log_path,
  };
}

/** A stored `needs` list; a value that is not a list of names reads as unknown. */
function parseNeeds(text: string): string[] | null {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : null;
  } catch {
    return null;
  }
}
