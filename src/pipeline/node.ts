import type { Step } from '../config/index.js';
import { type FlowlineError, isFlowlineError } from '../core/errors.js';
import { type BuildOnceInput, type BuildOutcome, buildOnce } from './build.js';
import type { Executor } from './executor.js';
import { StageLog, stageLogPath } from './logs.js';
import type { Masker } from './mask.js';
import { runSteps, type StepsOutcome } from './steps.js';
import type { PlanNode } from './types.js';

/** What running one node of a run needs. */
export interface NodeContext {
  readonly runId: string;
  /** Epoch ms the run started: log lines carry their offset from it. */
  readonly runStart: number;
  readonly home: string;
  /** The repository root. */
  readonly cwd: string;
  readonly mask: Masker;
  readonly local: Executor;
  readonly containers: Executor;
  readonly env: (node: PlanNode, step: Step) => Record<string, string>;
  /** The build's inputs, for the build node. */
  readonly build: Omit<BuildOnceInput, 'log' | 'runCommand'>;
  /** A line of output: its masked text, and the line as written to the log file (see StageLog). */
  readonly onLine: (node: string, text: string, stored: string | undefined) => void;
}

export type NodeOutcome = StepsOutcome & Partial<Pick<BuildOutcome, 'cached' | 'artifact' | 'error'>>;

/**
 * Runs one node with its own log: the build (build once, see build.ts) or a stage's steps, on
 * the host or in a container (`image:`). Never throws: Flowline's own failures (an executor that
 * cannot run here, a log that cannot be written) fail the node with the reason.
 */
export async function runNode(ctx: NodeContext, node: PlanNode, signal: AbortSignal): Promise<NodeOutcome> {
  let log: StageLog | undefined;
  try {
    log = new StageLog(stageLogPath(ctx.home, ctx.runId, node.name), ctx.runStart, ctx.mask, (text, stored) =>
      ctx.onLine(node.name, text, stored),
    );
    const open = log;
    const executor = node.image === undefined ? ctx.local : ctx.containers;
    const unavailable = await executor.check().then(
      () => undefined,
      (error: unknown) => error,
    );
    if (unavailable !== undefined) throw unavailable;
    const steps = () =>
      runSteps({
        node,
        executor,
        cwd: ctx.cwd,
        env: (step) => ctx.env(node, step),
        log: open,
        signal,
        keepGoing: node.kind === 'finally',
      });
    if (node.kind === 'build') return await buildOnce({ ...ctx.build, log: open, runCommand: steps });
    return await steps();
  } catch (error) {
    const reason = isFlowlineError(error) ? error.message : `Flowline could not run it: ${String(error)}`;
    log?.write(`! ${isFlowlineError(error) ? `${error.code}: ` : ''}${reason}`);
    return {
      status: 'failed',
      exitCode: null,
      signal: null,
      reason,
      ...(isFlowlineError(error) ? { error: error as FlowlineError } : {}),
    };
  } finally {
    log?.close();
  }
}
