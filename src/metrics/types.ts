/**
 * The records the metrics are computed from: the contract between the recording side (runner
 * commit history, store tables, deployment commit ranges, incidents) and the pure calculations of
 * this part. Every time is an ISO-8601 string WITH a zone (`Z` or `±hh:mm`): a commit keeps the
 * offset its author wrote it in, and the calculations compare instants, never wall-clock text.
 * A time without a zone is refused (see `instantOf` in instant.ts), because reading it as local
 * time would shift lead times by the server's offset.
 *
 * Records are read, never changed; the calculations keep no state between calls.
 */

/** An ISO-8601 date-time with a zone designator, e.g. `2026-11-03T10:15:00+02:00`. */
export type Timestamp = string;

/** One commit as the runner recorded it from the repository it built (`git log`). */
export interface CommitRecord {
  /** The full commit id. A squash or rebase makes a new commit with its own sha and times. */
  readonly sha: string;
  /** Git's author date: when the change was first written (kept across rebase and cherry-pick). */
  readonly authoredAt: Timestamp;
  /**
   * Git's committer date: when this commit, as it exists in the shipped history, was made. Lead
   * time starts here by default: for a squash merge it is the squashed commit's own time, for a
   * rebase the rebased commit's time (see `LeadTimeOptions.commitTime`).
   */
  readonly committedAt: Timestamp;
  /** As git reports it (`Name <email>`); shown in drill-downs only, never aggregated per person. */
  readonly author: string;
  /** From `git log --numstat`; binary files count 0. */
  readonly linesAdded: number;
  readonly linesDeleted: number;
}

/**
 * How a deployment ended.
 * - `succeeded`: the new revision serves all traffic.
 * - `failed`: it stopped before its new revision served users (start, health or smoke test
 *   failed); the previous revision kept serving. It changed nothing users saw, so it is neither a
 *   deployment (frequency) nor a change (fail rate); it is counted apart as `notReached`.
 * - `rolledBack`: it served users (a canary step or all traffic) and was rolled back during its
 *   own release, automatically or by hand (`flowline release abort|undo`).
 * - `failedAnalysis`: its release analysis failed; the controller rolled it back.
 * - `running`: not finished yet; ignored by every key until it finishes.
 */
export type DeploymentOutcome = 'succeeded' | 'failed' | 'rolledBack' | 'failedAnalysis' | 'running';

/**
 * Why a deployment was unplanned: `rollback` (it puts back an earlier artifact), `hotfix` (the
 * request carried the hotfix flag), `incident` (it was made while an incident was open on the
 * same service and environment). Every reason counts as rework (see rework.ts).
 */
export type UnplannedReason = 'rollback' | 'hotfix' | 'incident';

/** One deployment of an artifact to one environment of a service. */
export interface DeploymentRecord {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  /** The commit the artifact was built from. */
  readonly commitSha: string;
  /** The artifact's content address (sha256); a redeploy of the same artifact repeats it. */
  readonly artifact: string;
  readonly startedAt: Timestamp;
  /** When it ended, whatever the outcome; null while `running`. */
  readonly finishedAt: Timestamp | null;
  readonly outcome: DeploymentOutcome;
  /** `rollback`: it deploys an earlier artifact back; otherwise `deploy`. */
  readonly kind: 'deploy' | 'rollback';
  readonly planned: boolean;
  /** Set when `planned` is false. A `rollback` kind is always unplanned with reason `rollback`. */
  readonly unplannedReason?: UnplannedReason;
  /**
   * The shas this deployment ships for the first time to this environment: the range from the
   * commit of the environment's previously *deployed* revision (exclusive) to `commitSha`
   * (inclusive), computed by the recorder from the runs' commit history. So:
   * - the very first deployment of an environment ships all its recorded history;
   * - a deployment rolled back during its release did not move the environment, so the next
   *   deployment's range starts where this one's did, and repeats its shas;
   * - a `rollback` kind ships nothing new: `[]`;
   * - a redeploy of an artifact after a rollback deployment repeats the shas it shipped before.
   * Lead time takes, per sha, the first *successful* deployment, so repeats never count twice.
   */
  readonly commits: readonly string[];
  /** Imported from history (CSV/JSON) rather than recorded by Flowline; counted the same. */
  readonly imported?: boolean;
}

/** Where an incident was opened from. */
export type IncidentSource = 'analysis' | 'rollback' | 'flagTrigger' | 'alert' | 'manual' | 'imported';

/** What caused an incident, when Flowline knows or has inferred it. */
export interface IncidentCause {
  readonly kind: 'deployment' | 'flagChange';
  /** The deployment id (`dep_…`) or the flag change's `flag_history` id (`fh_…`). */
  readonly id: string;
  /**
   * True when Flowline did not observe the cause but linked the last production change before
   * the incident. Inferred causes count in the fail rate; results list them apart for review.
   */
  readonly inferred: boolean;
}

/** A user-facing problem in one environment of a service. */
export interface IncidentRecord {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly openedAt: Timestamp;
  readonly acknowledgedAt?: Timestamp;
  /** Null while open: a failure it belongs to is then shown open, never as recovered. */
  readonly resolvedAt: Timestamp | null;
  readonly cause?: IncidentCause;
  readonly source: IncidentSource;
}

/**
 * The milestones one change (a commit) passes on its way to production, for the value stream.
 * The recorder fills what it knows from runs and deployments; a milestone that did not happen
 * (no staging environment) is left out, and its stage's time goes to the next stage (flow.ts).
 * A change not yet in production has no `productionFinishedAt`: it is work in progress.
 */
export interface ChangeStages {
  readonly sha: string;
  /** The production deployment that shipped it first; absent while in progress. */
  readonly deploymentId?: string;
  readonly committedAt: Timestamp;
  /** The first pipeline run containing the commit started. */
  readonly pipelineStartedAt?: Timestamp;
  /** That run's build stage finished (the artifact exists). */
  readonly buildFinishedAt?: Timestamp;
  /** That run's test stages finished (the last of the parallel ones). */
  readonly testsFinishedAt?: Timestamp;
  /** The first deployment of the artifact to staging (any pre-production environment) started. */
  readonly stagingStartedAt?: Timestamp;
  /** The production deployment started (its release progression begins). */
  readonly productionStartedAt?: Timestamp;
  /** The production deployment finished successfully: the change is live. */
  readonly productionFinishedAt?: Timestamp;
}

/** A half-open interval of time [from, to): an event at `to` belongs to the next window. */
export interface Window {
  readonly from: Date;
  readonly to: Date;
}

/** One service in one environment: every key is computed per scope. */
export interface Scope {
  readonly service: string;
  /** `production` unless asked otherwise. */
  readonly environment: string;
}

/** The DORA performance clusters, best first. */
export type Cluster = 'elite' | 'high' | 'medium' | 'low';

/** A key's cluster in one report's table, or why it has none. */
export interface ClusterAssignment {
  readonly report: 2023 | 2024;
  /** Null when the report publishes no threshold for the key, or there is nothing to measure. */
  readonly cluster: Cluster | null;
  /** How the cluster was chosen, or why there is none; shown beside the figure. */
  readonly reason: string;
}

/** Median and 90th percentile of durations in milliseconds; null when there is no value. */
export interface DurationSummary {
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
}

/** How many values fall in [fromMs, toMs); toMs null for the last, open-ended bucket. */
export interface HistogramBucket {
  readonly label: string;
  readonly fromMs: number;
  readonly toMs: number | null;
  readonly count: number;
}

/** What every key answers besides its figure: what it means, and what it was computed over. */
export interface KeyBase {
  /** The definition, one paragraph, as docs/metrics.md states it. */
  readonly definition: string;
  /** How many items the figure is computed over (deployments, commits or failures). */
  readonly count: number;
  readonly clusters: readonly ClusterAssignment[];
}
