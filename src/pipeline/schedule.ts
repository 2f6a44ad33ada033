import type { FinalStatus } from './types.js';

/** What the scheduler needs to know of a node. */
export interface SchedulableNode {
  readonly name: string;
  readonly needs: readonly string[];
  /** A failure of this node neither fails the run nor stops its dependents. */
  readonly continueOnFailure: boolean;
}

/** How a node ended, as decided by its runner or by the scheduler (skipped, cancelled). */
export interface Settled {
  readonly status: FinalStatus;
  readonly reason?: string | undefined;
}

export interface ScheduleOptions<N extends SchedulableNode> {
  /** In plan order: among nodes ready at once, earlier ones start first. */
  readonly nodes: readonly N[];
  /** At most this many nodes run at once (at least 1). */
  readonly maxParallel: number;
  /** When a node fails (without continueOnFailure), cancel the nodes still running. */
  readonly cancelOnFailure: boolean;
  /** Aborting it cancels everything (Ctrl-C): running nodes get their signal aborted. */
  readonly signal?: AbortSignal | undefined;
  /**
   * Runs one node. `signal` aborts when the node must stop (cancel), its `reason` a sentence
   * saying why; the runner then resolves `cancelled` once its processes are gone.
   */
  run(node: N, signal: AbortSignal): Promise<Settled>;
  /** Called for nodes that never start, with their final status and the reason. */
  onSettled?(node: N, settled: Settled): void;
}

/** The outcome of a schedule: every node's final status, and whether a (non-optional) node failed. */
export interface ScheduleResult {
  readonly results: ReadonlyMap<string, Settled>;
  readonly failed: boolean;
  readonly cancelled: boolean;
}

/**
 * Walks a graph of nodes: a node starts when all its needs succeeded (or were cached, or failed
 * with `continueOnFailure`), at most `maxParallel` at once, in plan order among the ready ones.
 * A failed node skips its dependents; with `cancelOnFailure` it also cancels what runs and what
 * has not started. An aborted `signal` cancels everything. Needs naming no node, and cycles,
 * leave nodes that can never start: they end `skipped` rather than hanging the run.
 */
export async function schedule<N extends SchedulableNode>(
  options: ScheduleOptions<N>,
): Promise<ScheduleResult> {
  const { nodes, cancelOnFailure, signal } = options;
  const maxParallel = Math.max(1, Math.floor(options.maxParallel));
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const results = new Map<string, Settled>();
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let pending = [...nodes];
  let failed = false;
  let stopReason: string | undefined;

  const settle = (node: N, settled: Settled): void => {
    results.set(node.name, settled);
    options.onSettled?.(node, settled);
  };
  const stop = (reason: string): void => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    for (const entry of running.values()) entry.controller.abort(reason);
  };
  const onAbort = () => stop('cancelled: the run was interrupted');
  if (signal?.aborted) onAbort();
  signal?.addEventListener('abort', onAbort, { once: true });

  /** `ready`, `waiting`, or why the node can never run. */
  const readiness = (node: N): 'ready' | 'waiting' | Settled => {
    let waiting = false;
    for (const need of node.needs) {
      const result = results.get(need);
      if (result === undefined) {
        if (!byName.has(need))
          return { status: 'skipped', reason: `needs \`${need}\`, which is not in the run` };
        waiting = true;
        continue;
      }
      if (result.status === 'succeeded' || result.status === 'cached') continue;
      if (result.status === 'failed' && byName.get(need)?.continueOnFailure === true) continue;
      // A need cancelled with the run cancels its dependents too; a failed or skipped one skips them.
      if (result.status === 'cancelled') return { status: 'cancelled', reason: stopReason ?? result.reason };
      const what = result.status === 'failed' ? 'failed' : `was ${result.status}`;
      return { status: 'skipped', reason: `needs \`${need}\`, which ${what}` };
    }
    return waiting ? 'waiting' : 'ready';
  };

  try {
    for (;;) {
      // Settle what can never run, until nothing changes (a skip can skip its dependents).
      for (let changed = true; changed; ) {
        changed = false;
        for (const node of pending) {
          // A node that can never run is skipped (its need failed) even when the run stops.
          const state = readiness(node);
          if (state !== 'ready' && state !== 'waiting') settle(node, state);
          else if (stopReason !== undefined) settle(node, { status: 'cancelled', reason: stopReason });
          else continue;
          changed = true;
        }
        pending = pending.filter((node) => !results.has(node.name));
      }
      for (const node of pending) {
        if (running.size >= maxParallel) break;
        if (readiness(node) !== 'ready') continue;
        const controller = new AbortController();
        const done = options.run(node, controller.signal).then(
          (settled) => settled,
          (error: unknown): Settled => ({ status: 'failed', reason: `internal error: ${String(error)}` }),
        );
        running.set(node.name, {
          controller,
          done: done.then((settled) => {
            running.delete(node.name);
            results.set(node.name, settled);
            if (settled.status === 'failed' && !node.continueOnFailure) {
              failed = true;
              if (cancelOnFailure) stop(`cancelled: \`${node.name}\` failed`);
            }
          }),
        });
      }
      pending = pending.filter((node) => !running.has(node.name));
      if (running.size === 0) {
        // Nothing runs and nothing can start: whatever is left waits on a cycle.
        for (const node of pending) settle(node, { status: 'skipped', reason: 'its needs form a cycle' });
        break;
      }
      await Promise.race([...running.values()].map((entry) => entry.done));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return { results, failed, cancelled: signal?.aborted === true };
}
