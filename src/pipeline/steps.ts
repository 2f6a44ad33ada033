import path from 'node:path';
import type { Step } from '../config/index.js';
import { type Executor, type StepResult, signalOfExitCode } from './executor.js';
import { describeNode, formatMillis } from './format.js';
import type { StageLog } from './logs.js';
import type { PlanNode } from './types.js';

/** How a node's steps went. */
export interface StepsOutcome {
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly reason: string | null;
}

export interface RunStepsInput {
  readonly node: PlanNode;
  readonly executor: Executor;
  /** The repository root; a step's `workdir` is relative to it. */
  readonly cwd: string;
  readonly env: (step: Step) => Record<string, string>;
  readonly log: StageLog;
  readonly signal: AbortSignal;
  /** Run every step even after one failed (the `finally` steps); default: stop at the first failure. */
  readonly keepGoing?: boolean;
  readonly now?: () => number;
}

/**
 * Runs a node's steps in order, each within its own `timeout` and what is left of the node's.
 * The log gets a `$ command` line before each step and a `! reason` line for each failure.
 * What steps leave running in the background is ended when the node ends.
 */
export async function runSteps(input: RunStepsInput): Promise<StepsOutcome> {
  const { node, log, signal } = input;
  const now = input.now ?? Date.now;
  const deadline = now() + node.timeout;
  const started: StepResult[] = [];
  let failure: StepsOutcome | undefined;
  try {
    for (const step of node.steps) {
      if (signal.aborted) return cancelled(step);
      const remaining = deadline - now();
      const nodeLimited = step.timeout === undefined || remaining < step.timeout;
      if (remaining <= 0) {
        failure ??= fail(log, {
          exitCode: null,
          signal: null,
          reason: `${describeNode(node)} timed out after ${formatMillis(node.timeout)}`,
        });
        if (input.keepGoing) continue;
        return failure;
      }
      log.write(`$ ${step.run}`);
      const result = await input.executor.run({
        command: step.run,
        cwd: step.workdir === undefined ? input.cwd : path.resolve(input.cwd, step.workdir),
        env: input.env(step),
        timeoutMs: nodeLimited ? remaining : step.timeout,
        signal,
        onLine: (line) => log.write(line),
        image: node.image,
      });
      started.push(result);
      if (result.cancelled) return cancelled(step);
      const problem = stepProblem(node, step, result, nodeLimited);
      if (problem === undefined) continue;
      failure ??= fail(log, problem);
      if (!input.keepGoing) return failure;
      if (problem.reason !== failure.reason) log.write(`! ${problem.reason}`);
    }
    return failure ?? { status: 'succeeded', exitCode: 0, signal: null, reason: null };
  } finally {
    await Promise.all(started.map((result) => result.release()));
  }

  function cancelled(step: Step): StepsOutcome {
    const why = typeof signal.reason === 'string' ? signal.reason : 'cancelled';
    const reason = `${why} (during step \`${step.name}\`)`;
    log.write(`! ${reason}`);
    return { status: 'cancelled', exitCode: null, signal: null, reason };
  }
}

function fail(log: StageLog, problem: Omit<StepsOutcome, 'status'>): StepsOutcome {
  log.write(`! ${problem.reason}`);
  return { status: 'failed', ...problem };
}

/** Why a finished step failed, or undefined when it passed. */
function stepProblem(
  node: PlanNode,
  step: Step,
  result: StepResult,
  nodeLimited: boolean,
): Omit<StepsOutcome, 'status'> | undefined {
  const what = `step \`${step.name}\` in ${describeNode(node)}`;
  if (result.startError !== undefined) {
    return { exitCode: null, signal: null, reason: `${what} could not start: ${result.startError}` };
  }
  if (result.timedOut) {
    const reason = nodeLimited
      ? `${describeNode(node)} timed out after ${formatMillis(node.timeout)} (during step \`${step.name}\`)`
      : `${what} timed out after ${formatMillis(step.timeout ?? 0)}`;
    return { exitCode: result.exitCode, signal: result.signal, reason };
  }
  if (result.signal !== null) {
    return { exitCode: null, signal: result.signal, reason: `${what} was killed by ${result.signal}` };
  }
  if (result.exitCode === 0) return undefined;
  const bySignal = signalOfExitCode(result.exitCode);
  const detail = bySignal === undefined ? '' : ` (a process it ran was killed by ${bySignal})`;
  return {
    exitCode: result.exitCode,
    signal: null,
    reason: `${what} exited with code ${result.exitCode}${detail}`,
  };
}
