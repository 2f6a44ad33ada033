import type { Where } from '../audit/index.js';
import type { CommitHistory } from '../core/git.js';
import type { DeploymentOutcome } from '../metrics/types.js';
import type { DeploymentsTable, RunsTable, WriteTx } from '../store/index.js';

/** A deployable thing, registered from its repo's flowline.yaml. */
export interface Service {
  readonly id: string;
  readonly name: string;
  readonly configPath: string | null;
  readonly createdAt: string;
}

export type EnvironmentKind = 'persistent' | 'ephemeral';

/** Where a service runs: `production`, `staging`, or a preview like `pr-12`. */
export interface Environment {
  readonly id: string;
  readonly service: string;
  readonly name: string;
  readonly kind: EnvironmentKind;
  readonly branch: string | null;
  readonly pullRequest: number | null;
  readonly expiresAt: string | null;
  readonly createdAt: string;
}

/** An immutable, content-addressed build output. */
export interface Artifact {
  /** `sha256:<hex>` of the bundle. */
  readonly id: string;
  readonly service: string;
  readonly cacheKey: string;
  readonly commitSha: string | null;
  readonly sizeBytes: number;
  readonly createdAt: string;
}

export type RunStatus = RunsTable['status'];

/** One pipeline run of a service at a commit. */
export interface Run {
  readonly id: string;
  readonly service: string;
  readonly status: RunStatus;
  readonly branch: string | null;
  readonly commitSha: string | null;
  readonly commitAuthorTime: string | null;
  readonly commitMessage: string | null;
  readonly artifactId: string | null;
  readonly where: Where;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

export type DeploymentStatus = DeploymentsTable['status'];

/** One artifact going to one environment. */
export interface Deployment {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly artifactId: string;
  readonly strategy: string;
  readonly status: DeploymentStatus;
  /** Who started it: an actor name (`alice`, `github-actions:octocat`, a token name). */
  readonly actor: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly reason: string | null;
  /** The artifact's commit (null: built outside a repository). */
  readonly commitSha: string | null;
  readonly kind: 'deploy' | 'rollback';
  /** Null when planned. */
  readonly unplannedReason: string | null;
  /** How much of the commit range it shipped is known (src/metrics/commits.ts). */
  readonly rangeStatus: 'complete' | 'partial' | 'none' | null;
  /** How it ended, in the metrics' words (`outcomeOf`, src/metrics/outcome.ts). */
  readonly outcome: DeploymentOutcome;
  /** When its new revision first took users' traffic; null: it never served. */
  readonly servedAt: string | null;
  /** Imported from a history file (src/history) rather than recorded by Flowline. */
  readonly imported: boolean;
  /** An imported deployment's id in the team's previous tool; null for recorded ones. */
  readonly externalId: string | null;
}

export interface EnvironmentOptions {
  readonly branch?: string;
  readonly pullRequest?: number;
  readonly expiresAt?: string;
}

/** Newest first; `limit` defaults to 100 (at most 1000). */
export interface ListFilter {
  readonly service?: string;
  readonly limit?: number;
}

/** Which runs to list; `before` pages on: runs older than that run, in the list's order. */
export interface RunFilter extends ListFilter {
  readonly branch?: string;
  readonly status?: RunStatus;
  /** A run id: only runs listed after it (older, or as old with a smaller id). */
  readonly before?: string;
}

export interface DeploymentFilter extends ListFilter {
  readonly environment?: string;
}

export interface NewArtifact {
  readonly id: string;
  readonly service: string;
  readonly cacheKey: string;
  readonly commitSha?: string;
  readonly sizeBytes: number;
}

export interface NewRun {
  readonly service: string;
  readonly status?: 'queued' | 'running';
  readonly branch?: string;
  readonly commit?: { readonly sha: string; readonly authorTime: string; readonly message: string };
  readonly where: Where;
}

export interface NewDeployment {
  readonly service: string;
  readonly environment: string;
  readonly artifactId: string;
  readonly strategy: string;
  readonly actor: string;
  /** `rollback`: back to an earlier revision (unplanned, reason `rollback`). Default `deploy`. */
  readonly kind?: 'deploy' | 'rollback';
  /** Why a deploy was not planned (`hotfix`, `incident`); absent: planned. */
  readonly unplannedReason?: 'hotfix' | 'incident';
}

/**
 * Services, environments and what happened to them. Reads are `list*` / `get*` (the CLI's
 * remote backend mirrors exactly those over HTTP); writes take an optional `tx` to join the
 * caller's `store.write` transaction, e.g. to commit a deployment with its audit event.
 */
export interface Catalog {
  /** Registers a service, or returns it (updating its config path when a new one is given). */
  ensureService(name: string, configPath?: string): Promise<Service>;
  listServices(): Promise<Service[]>;
  /** Throws FLOWLINE_NOT_FOUND for an unknown name. */
  getService(name: string): Promise<Service>;
  findService(name: string): Promise<Service | undefined>;
  /** Creates a live environment, or returns the existing one unchanged. */
  ensureEnvironment(
    service: string,
    name: string,
    kind: EnvironmentKind,
    options?: EnvironmentOptions,
  ): Promise<Environment>;
  /** Live (not deleted) environments, of one service or all. */
  listEnvironments(service?: string): Promise<Environment[]>;
  findEnvironment(service: string, name: string): Promise<Environment | undefined>;
  /** Moves a live environment's expiry (a preview's time to live); null: it never expires. */
  setEnvironmentExpiry(id: string, expiresAt: string | null, tx?: WriteTx): Promise<void>;
  /** Marks an environment deleted: it leaves the lists and frees its name for a new one. */
  deleteEnvironment(id: string, tx?: WriteTx): Promise<void>;
  listArtifacts(filter?: ListFilter): Promise<Artifact[]>;
  listRuns(filter?: RunFilter): Promise<Run[]>;
  /** The run with that id, or undefined. */
  findRun(id: string): Promise<Run | undefined>;
  listDeployments(filter?: DeploymentFilter): Promise<Deployment[]>;
  /** Records an artifact; recording the same content again returns the first record. */
  recordArtifact(input: NewArtifact, tx?: WriteTx): Promise<Artifact>;
  startRun(input: NewRun, tx?: WriteTx): Promise<Run>;
  finishRun(
    id: string,
    status: Exclude<RunStatus, 'queued' | 'running'>,
    artifactId?: string,
    tx?: WriteTx,
  ): Promise<Run>;
  /**
   * Starts a deployment and records the commit range it ships (its artifact's commit and the
   * ancestors its environment has not run successfully yet: src/metrics/commits.ts).
   */
  startDeployment(input: NewDeployment, tx?: WriteTx): Promise<Deployment>;
  /** Shas a runner's history walk may stop at for this service (none for an unknown one). */
  knownCommits(service: string): Promise<string[]>;
  /** Records the commits a run's walk of git read (each once per service). */
  recordHistory(runId: string, history: CommitHistory, tx?: WriteTx): Promise<void>;
  /** Moves a deployment on; terminal statuses also set `finishedAt`. */
  setDeploymentStatus(
    id: string,
    status: DeploymentStatus,
    reason?: string,
    tx?: WriteTx,
  ): Promise<Deployment>;
}
