/** Deploy: gates, strategies (all-at-once, blue-green), rollback, recovery after a restart, previews. */

export { DeployController } from './controller.js';
export {
  type Analyze,
  type DeployControllerDeps,
  type DeployOutcome,
  type DeployRequest,
  type Rollout,
  SYSTEM_ACTOR,
} from './deps.js';
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
export { type MetricSeries, measurementSeries, type SeriesPoint } from './release-series.js';
export { runSmokeChecks, type SmokeResult } from './smoke.js';
export { applyRoute, retireDue } from './traffic.js';
