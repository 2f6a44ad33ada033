/** Deploy: gates, strategies (all-at-once, blue-green), rollback and recovery after a restart. */

export type { Analyze } from './canary.js';
export {
  DeployController,
  type DeployControllerDeps,
  type DeployOutcome,
  type DeployRequest,
  short,
} from './controller.js';
export { environmentConfig, hostOf } from './plan.js';
export type * from './ports.js';
export {
  DeployRecords,
  type JournalLine,
  type Revision,
  type RevisionState,
  type StoredTarget,
} from './records.js';
export { type RecoveryReport, recover } from './recovery.js';
export type { ControlAction } from './release-control.js';
export { applyRoute, type Rollout, retireDue } from './rollout.js';
export { readJsonPath, runSmokeChecks, type SmokeResult } from './smoke.js';
