import type { ColumnType, Insertable, Selectable } from 'kysely';

import type { LaterText } from './columns.js';
import type {
  CommitsTable,
  DeploymentCommitsTable,
  IncidentsTable,
  QualityMeasurementsTable,
  QualitySignoffsTable,
  RunHistoriesTable,
} from './schema-delivery.js';
import type {
  FlagEvaluationHoursTable,
  FlagEvaluationsTable,
  FlagHistoryTable,
  FlagSetsTable,
  FlagTriggersTable,
  SecretsTable,
} from './schema-flags.js';

export type * from './schema-delivery.js';
export type * from './schema-flags.js';

/**
 * The store's tables as Kysely sees them. One definition serves SQLite and PostgreSQL, so
 * columns use portable types only: text, integer (bigint-safe numbers), real. Timestamps are
 * ISO-8601 UTC strings (`2026-11-21T23:22:48.123Z`): they sort as text and read well in
 * `sqlite3`. JSON columns are text holding JSON; the repositories parse them.
 */
export interface Database {
  services: ServicesTable;
  artifacts: ArtifactsTable;
  runs: RunsTable;
  environments: EnvironmentsTable;
  deployments: DeploymentsTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  api_tokens: ApiTokensTable;
  browser_sessions: BrowserSessionsTable;
  runtime_revisions: RuntimeRevisionsTable;
  instances: InstancesTable;
  run_stages: RunStagesTable;
  run_runners: RunRunnersTable;
  service_policies: ServicePoliciesTable;
  andon_state: AndonStateTable;
  andon_events: AndonEventsTable;
  flowline_migrations: MigrationsTable;
  revisions: RevisionsTable;
  routes: RoutesTable;
  release_events: ReleaseEventsTable;
  flag_sets: FlagSetsTable;
  flag_history: FlagHistoryTable;
  flag_evaluations: FlagEvaluationsTable;
  flag_evaluation_hours: FlagEvaluationHoursTable;
  flag_triggers: FlagTriggersTable;
  secrets: SecretsTable;
  commits: CommitsTable;
  run_histories: RunHistoriesTable;
  deployment_commits: DeploymentCommitsTable;
  incidents: IncidentsTable;
  quality_measurements: QualityMeasurementsTable;
  quality_signoffs: QualitySignoffsTable;
}

/** One line of a release's journal: a step, a measurement, a decision. */
export interface ReleaseEventsTable {
  id: string;
  deployment_id: string;
  at: string;
  /** `progress` (a line shown live), `measurement`, `decision`. */
  kind: string;
  message: string;
  data_json: string | null;
}

/** One row per applied migration; the highest version is the store's schema version. */
export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: string;
  /** The Flowline version that applied it, quoted when a newer store is refused. */
  flowline_version: string;
}

export interface ServicesTable {
  id: string;
  name: string;
  /** Path of the repo's flowline.yaml when the service was registered (informational). */
  config_path: string | null;
  created_at: string;
}

export interface ArtifactsTable {
  /** `sha256:<hex>` of the bundle's content. */
  id: string;
  service_id: string;
  /** Hash of the declared build inputs (issue 3 fills this in). */
  cache_key: string;
  commit_sha: string | null;
  size_bytes: number;
  created_at: string;
  /** 1: named by an imported deployment, never stored here: not listed, never deployed. */
  imported: ColumnType<number, number | undefined, number>;
}

export interface RunsTable {
  id: string;
  service_id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  branch: string | null;
  commit_sha: string | null;
  commit_author_time: string | null;
  commit_message: string | null;
  artifact_id: string | null;
  /** JSON: the audit `where` of the run (host, CI provider and run id). */
  where_json: string;
  started_at: string;
  finished_at: string | null;
}

/** The CI machine behind a run recorded from elsewhere (pipeline/runner-state.ts). */
export interface RunRunnersTable {
  run_id: string;
  /** `pipeline.trunk` the runner declared, or null when its andon is off. */
  trunk: string | null;
  /** JSON array: `--stages`, or null for a full run. */
  only_json: string | null;
  /** When the runner last sent anything about the run. */
  heard_at: string;
  reaped_at: string | null;
  reaped_reason: string | null;
  /** The token that started the run: the only one that may update it (null: recorded before 0010). */
  token_id: LaterText;
}

/** What the server allows a service (src/policy): one JSON document per service, versioned. */
export interface ServicePoliciesTable {
  service_id: string;
  version: number;
  document_json: string;
  updated_at: string;
  updated_by: string;
}

export interface EnvironmentsTable {
  id: string;
  service_id: string;
  name: string;
  kind: 'persistent' | 'ephemeral';
  branch: string | null;
  pull_request: number | null;
  expires_at: string | null;
  created_at: string;
  deleted_at: string | null;
}

export interface DeploymentsTable {
  id: string;
  service_id: string;
  environment_id: string;
  artifact_id: string;
  strategy: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'rolled_back' | 'cancelled';
  actor: string;
  started_at: string;
  finished_at: string | null;
  /** One line a human can act on when the deployment failed. */
  reason: string | null;
  /** Where the strategy is (`starting`, `smoke`, `switching`, `step:3`, …): written before acting. */
  phase: LaterText;
  /** The revision this deployment started. */
  revision: LaterText;
  /** The revision that served before it (the rollback target while warm). */
  previous_revision: LaterText;
  /** JSON: strategy progress (current step, weights, analysis outcomes). */
  state_json: LaterText;
  /** JSON: the strategy and analysis templates it started with, to resume a canary after a restart. */
  plan_json: LaterText;
  /** The commit of the artifact it shipped (null: built outside a repository). */
  commit_sha: LaterText;
  /** `deploy`, or `rollback` (back to an earlier revision: unplanned by definition). */
  kind: ColumnType<'deploy' | 'rollback', 'deploy' | 'rollback' | undefined, 'deploy' | 'rollback'>;
  /** Null when planned; else `rollback`, `hotfix` or `incident` (made while one was open). */
  unplanned_reason: LaterText;
  /**
   * How far its commit range is known: `complete` (it reached commits shipped before, or the
   * root), `partial` (it met a boundary of the recorded history), `none` (no commit recorded).
   */
  range_status: LaterText;
  /** When its new revision first took users' traffic; null: it never served (migration 0015). */
  served_at: LaterText;
  /** 1 when its release analysis failed and the controller gave up on it. */
  failed_analysis: ColumnType<number, number | undefined, number>;
  /** 1: imported from a history file (src/history), not recorded by Flowline. */
  imported: ColumnType<number, number | undefined, number>;
  /** The id an imported deployment had in the team's previous tool (unique per service). */
  external_id: LaterText;
  /**
   * The metrics outcome when `status` cannot say it (an imported `failedAnalysis` is stored as
   * `rolled_back`); null for recorded deployments, whose outcome follows from their status.
   */
  outcome: LaterText;
}

/** A set of instances of one artifact in one environment, started by one deployment. */
export interface RevisionsTable {
  revision: string;
  service_id: string;
  environment_id: string;
  deployment_id: string;
  artifact_id: string;
  /** starting → ready (healthy, no traffic) → live (serving) → warm (kept for rollback) → retired; or failed. */
  state: 'starting' | 'ready' | 'live' | 'warm' | 'retired' | 'failed';
  /** For warm revisions: when to stop them. */
  stop_at: string | null;
  /** JSON of the RevisionSpec it was started with, to restart or adopt it. */
  spec_json: string;
  created_at: string;
  updated_at: string;
}

/** The desired route of a host: which revisions get which share of traffic. */
export interface RoutesTable {
  host: string;
  service_id: string;
  environment_id: string;
  /** JSON: `{ backends: [{ revision, weight }], match?, sticky? }` — instances are looked up live. */
  target_json: string;
  updated_at: string;
}

export interface AuditEventsTable {
  /** Position in the chain, 1-based and gap-free. A unique key, so two writers cannot fork the chain. */
  seq: number;
  id: string;
  at: string;
  /** {@link import('../audit/types.js').Actor} as two columns, so `audit list --actor` can use an index. */
  actor_kind: 'token' | 'user' | 'ci';
  actor_name: string;
  action: string;
  target: string;
  /** JSON {@link import('../audit/types.js').Where}. */
  where_json: string;
  /** JSON object of extra facts; redacted of secrets before it is written. */
  details_json: string;
  prev_hash: string;
  hash: string;
}

/**
 * The newest event's seq and hash, in one row (id = 1) updated in the same transaction as each
 * append. The chain alone cannot show that its newest events were deleted; this row can. It is
 * also the row PostgreSQL writers will serialise on.
 */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/** A dashboard session (migration 0019): bound to the API token it was signed in with. */
export interface BrowserSessionsTable {
  /** sha256 hex of the cookie value; the value itself is never stored. */
  id_hash: string;
  token_id: string;
  /** The synchronizer token the dashboard sends as `X-Flowline-CSRF` on every change. */
  csrf_token: string;
  created_at: string;
  expires_at: string;
  /** Refreshed at most once a minute, like a token's `last_used_at`. */
  last_seen_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  secret_hash: string;
  /** `flt_` and the next 8 characters of the secret, to recognise a token in `token list` without revealing it. */
  prefix: string;
  role: 'client' | 'read' | 'ci' | 'deploy' | 'admin';
  /** JSON array of environment names, or null for every environment. */
  environments_json: string | null;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** One node of a pipeline run: the build, a stage, or the `finally` steps (migration 0002). */
export interface RunStagesTable {
  run_id: string;
  name: string;
  /** Order in the run's plan (build first, finally last). */
  position: number;
  kind: 'build' | 'stage' | 'finally';
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'cached';
  started_at: string | null;
  finished_at: string | null;
  exit_code: number | null;
  /** The signal that killed the step (`SIGKILL`), when one did. */
  signal: string | null;
  /** Absolute path of the stage's log file. */
  log_path: string | null;
  /** One line a human can act on: why it failed, was skipped or cancelled, or that it was cached. */
  reason: string | null;
  /** JSON array of the stages this one waited for; null when not recorded (migration 0019). */
  needs: string | null;
}

/** The andon cord of a service: is its trunk green or red, and why (migration 0002). */
export interface AndonStateTable {
  service_id: string;
  state: 'green' | 'red';
  /** What set the state: a trunk run, a pull by hand, or a release by an admin. */
  cause: 'run' | 'pull' | 'release';
  /** The trunk run that set the state, when a run did. */
  run_id: string | null;
  reason: string;
  actor: string;
  since: string;
}

/** Every transition of a service's andon cord, oldest first by `at` (migration 0002). */
export interface AndonEventsTable {
  id: string;
  service_id: string;
  action: 'red' | 'green' | 'pull' | 'release';
  state: 'green' | 'red';
  run_id: string | null;
  reason: string;
  actor: string;
  at: string;
}

/** A revision the local runtime started (src/runtime). */
export interface RuntimeRevisionsTable {
  /** `<service>-<environment>-<revision>`. */
  key: string;
  service: string;
  environment: string;
  revision: string;
  /** `running` once every instance was healthy; only `running` revisions are adopted after a restart. */
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  /** JSON: the RevisionSpec without secret values (their names are kept). */
  spec_json: string;
  /** `<pid>@<process identity>` of the Flowline process supervising it. */
  supervisor: string | null;
  created_at: string;
  stopped_at: string | null;
}

/** One instance (process) of a runtime revision. */
export interface InstancesTable {
  /** `<revision key>-<ordinal>`. */
  id: string;
  revision_key: string;
  service: string;
  environment: string;
  revision: string;
  ordinal: number;
  /** Random, in the instance's environment: finds its processes when the pid was never recorded. */
  nonce: string;
  pid: number | null;
  pgid: number | null;
  /** Boot id and kernel start time of `pid`: tells the instance from a process that reused its pid. */
  proc_start: string | null;
  port: number | null;
  workdir: string;
  /** sha256 hex of the command. */
  command_hash: string;
  state: 'starting' | 'healthy' | 'unhealthy' | 'crashed' | 'restarting' | 'stopping' | 'stopped';
  restarts: number;
  log_file: string;
  last_error: string | null;
  last_exit: string | null;
  started_at: string | null;
  stopped_at: string | null;
  updated_at: string;
}

export type ServiceRow = Selectable<ServicesTable>;
export type ArtifactRow = Selectable<ArtifactsTable>;
export type RunRow = Selectable<RunsTable>;
export type EnvironmentRow = Selectable<EnvironmentsTable>;
export type DeploymentRow = Selectable<DeploymentsTable>;
export type RevisionRow = Selectable<RevisionsTable>;
export type RouteRow = Selectable<RoutesTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type BrowserSessionRow = Selectable<BrowserSessionsTable>;
export type NewAuditEventRow = Insertable<AuditEventsTable>;
export type RunStageRow = Selectable<RunStagesTable>;
export type AndonStateRow = Selectable<AndonStateTable>;
export type AndonEventRow = Selectable<AndonEventsTable>;
export type MigrationRow = Selectable<MigrationsTable>;
export type RuntimeRevisionRow = Selectable<RuntimeRevisionsTable>;
export type InstanceRow = Selectable<InstancesTable>;
