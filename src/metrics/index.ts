/**
 * Metrics: the DORA keys (deployment frequency, change lead time, change fail rate, failed
 * deployment recovery time, deployment rework rate), their clusters in the 2023 and 2024 DORA
 * tables, and the value stream, computed from first-hand records. The calculations are pure:
 * records in, figures out, no store, no clock (time is an argument). The records' types are the
 * contract with the recording side (types.ts); docs/metrics.md states every definition. The one
 * module with I/O, commits.ts, records those records: the commit graph runners read from git and
 * the commit range each deployment ships (the catalog and the pipeline call it). outcome.ts reads
 * how a deployment ended from its store row (`outcomeOf`), for the catalog and the metrics reader.
 */
export { BUCKET_RANK, type ClusteredKey, type ClusterRow, clustersOf, DORA_CLUSTERS } from './clusters.js';
export {
  HISTORY_MAX_COMMITS,
  insertCommits,
  insertDeploymentCommits,
  knownCommits,
  type RangeLookup,
  type RangeStatus,
  recordCommitHistory,
  shipCommitRange,
  walkRange,
} from './commits.js';
export { type TimedDeployment, timedDeployments } from './deployments.js';
export { computeDora, type DoraInput, type DoraOptions, type DoraReport } from './dora.js';
export {
  type ChangeFailRate,
  changeFailRate,
  type DeploymentFailure,
  FAIL_RATE_DEFINITION,
  type FailureReason,
} from './failures.js';
export {
  type BatchSizes,
  batchSizes,
  changesInProgress,
  cumulativeFlow,
  FLOW_STATES,
  type FlowDay,
  type FlowState,
  MILESTONES,
  milestoneTable,
  STAGES,
  type Stage,
  type StageBreakdown,
  type StageSummary,
  stageBreakdown,
  stageDurations,
  type ValueStream,
  valueStream,
} from './flow.js';
export {
  type DeploymentFrequency,
  deploymentFrequency,
  FREQUENCY_DEFINITION,
  type FrequencyBucket,
  type FrequencyOptions,
} from './frequency.js';
export { instantOf } from './instant.js';
export {
  type ChangeLeadTime,
  type CommitLeadTime,
  changeLeadTime,
  LEAD_TIME_DEFINITION,
  type LeadTimeOptions,
  type WorkInProgress,
  workInProgress,
} from './lead-time.js';
export { type OutcomeColumns, outcomeOf } from './outcome.js';
export { readChanges, readScopeRecords, type ScopeIds, WIP_LOOKBACK_MS } from './reader.js';
export {
  type OpenFailure,
  RECOVERY_DEFINITION,
  type Recovery,
  type RecoveryTime,
  recoveryTime,
} from './recovery.js';
export { REWORK_DEFINITION, type ReworkRate, reworkRate } from './rework.js';
export {
  createMetrics,
  DEFAULT_ENVIRONMENT,
  type DoraResult,
  type FlowReport,
  type FlowResult,
  type Metrics,
  type MetricsQuery,
  type MetricsRequest,
  metricsQuery,
} from './service.js';
export { histogram, LEAD_TIME_BUCKETS, percentile } from './stats.js';
export type * from './types.js';
export {
  DEFAULT_SINCE,
  parseUtcOffset,
  parseWindow,
  type WindowInput,
  type WindowMs,
  type WindowOptions,
  windowMs,
} from './window.js';
