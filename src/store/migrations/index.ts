import { initial } from './0001_initial.js';
import { pipeline } from './0002_pipeline.js';
import { runtime } from './0003_runtime.js';
import { artifacts } from './0004_artifacts.js';
import { deploy } from './0005_deploy.js';
import { releaseEvents } from './0006_release_events.js';
import { flags } from './0007_flags.js';
import { releasePlan } from './0008_release_plan.js';
import { runRunners } from './0009_run_runners.js';
import { secrets } from './0010_secrets.js';
import { sealedTriggers } from './0011_sealed_triggers.js';
import { trust } from './0012_trust.js';
import { commits } from './0013_commits.js';
import { incidents } from './0014_incidents.js';
import { autoIncidents } from './0015_auto_incidents.js';
import { historyImport } from './0016_history_import.js';
import { quality } from './0017_quality.js';
import { metricsIndexes } from './0018_metrics_indexes.js';
import { browserSessions } from './0019_browser_sessions.js';
import { stageNeeds } from './0020_stage_needs.js';
import { flagEvaluationHours } from './0021_flag_evaluation_hours.js';
import type { Migration } from './types.js';

export type { Migration } from './types.js';

/** Every migration this Flowline knows, oldest first. Append only: never edit a released one. */
export const MIGRATIONS: readonly Migration[] = [
  initial,
  pipeline,
  runtime,
  artifacts,
  deploy,
  releaseEvents,
  flags,
  releasePlan,
  runRunners,
  secrets,
  sealedTriggers,
  trust,
  commits,
  incidents,
  autoIncidents,
  historyImport,
  quality,
  metricsIndexes,
  browserSessions,
  stageNeeds,
  flagEvaluationHours,
];
