/** Deploy: gates, strategies (all-at-once, blue-green), rollback, recovery after a restart, previews. */

export type { Analyze } from './canary.js';
export {
  DeployController,
  type DeployControllerDeps,
  type DeployOutcome,
  type DeployRequest,
} from './controller.js';
export {
  type EnvironmentStatus,
  type EnvironmentStatusReport,
  environmentStatus,
  type InstanceHealth,
  type InstanceStates,
} from './env-status.js';
export {
  DEFAULT_PREVIEW_TTL_MS,
  type DeleteOutcome,
  type DeleteRequest,
  EnvironmentService,
  type EnvironmentServiceDeps,
  type PreviewOutcome,
  type PreviewRequest,
  SYSTEM_ACTOR,
} from './environments.js';
export { environmentConfig, hostOf, short } from './plan.js';
export type * from './ports.js';
export { previewName } from './previews.js';
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
export { runSmokeChecks, type SmokeResult } from './smoke.js';
