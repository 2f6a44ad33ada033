/**
 * The pipeline: one portable runner. It builds once (content-addressed, cached by the hash of
 * the declared inputs), runs the stages as a graph in parallel with a clean environment, keeps
 * masked logs per stage, records every run and stage, and stops the line (andon) on a red trunk.
 */
export { DockerExecutor } from './docker.js';
export { type Executor, LocalProcessExecutor, type StepResult, type StepSpec } from './executor.js';
export { describeNode, formatMillis } from './format.js';
export {
  createRunIntake,
  type RemoteRunFinish,
  type RemoteRunStart,
  RUN_ID,
  type RunCaller,
  type RunIntake,
  type RunIntakeDeps,
} from './intake.js';
export { MAX_BATCH_BYTES, MAX_LOG_BYTES } from './intake-logs.js';
export { describe as describeLockHolder, runLockFile } from './lock.js';
export { type LogLine, parseLogLine, readLogFrom, runLogDir, stageLogPath } from './logs.js';
export { createMasker, MASK } from './mask.js';
export { BUILD, buildPlan, finallyNode } from './plan.js';
export { createProgress, type ProgressOptions, renderSummary } from './progress.js';
export { createRunReaper, type RunReaper, type RunReaperDeps } from './reaper.js';
export { createPipeline, type Pipeline, type PipelineDeps, type RunOptions } from './runner.js';
export { andonTrunk, isTrunkRun } from './trunk.js';
export type * from './types.js';
