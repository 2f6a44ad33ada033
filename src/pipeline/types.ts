import type { ArtifactRef, ArtifactStore } from '../artifacts/index.js';
import type { Where } from '../audit/index.js';
import type { EnvVars, Millis, Step } from '../config/index.js';
import type { ErrorBody } from '../core/errors.js';
import type { CommitHistory } from '../core/git.js';
import type { Measurement } from '../quality/index.js';
import type { RunStagesTable } from '../store/index.js';

/** What a node of a run is: the build, a test stage, or the `finally` steps. */
export type NodeKind = RunStagesTable['kind'];

/** Where a node of a run is. `cached`: the build was skipped because its artifact already exists. */
export type NodeStatus = RunStagesTable['status'];

/** The statuses a node ends in. */
export type FinalStatus = Exclude<NodeStatus, 'queued' | 'running'>;

/** The status of a whole run. */
export type RunOutcome = 'succeeded' | 'failed' | 'cancelled';

/** One node of a run's plan: the graph the scheduler walks. */
export interface PlanNode {
  readonly name: string;
  readonly kind: NodeKind;
  /** Names of nodes that must end `succeeded` or `cached` first (or fail with continueOnFailure). */
  readonly needs: readonly string[];
  readonly steps: readonly Step[];
  /** The whole node's time limit. */
  readonly timeout: Millis;
  readonly continueOnFailure: boolean;
  readonly env: EnvVars;
  readonly image?: string | undefined;
}

/** The commit a run tested, as recorded on it. */
export interface RunCommit {
  readonly sha: string;
  readonly authorTime: string;
  readonly message: string;
  readonly branch: string | null;
}

/** How a node of a run went, as recorded in `run_stages` and shown by `flowline logs` / `--json`. */
export interface NodeResult {
  readonly name: string;
  readonly kind: NodeKind;
  readonly status: NodeStatus;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly exitCode: number | null;
  /** The signal that killed the failing step, e.g. `SIGKILL`. */
  readonly signal: string | null;
  /** Why it failed, was skipped or cancelled, or that the artifact was reused. */
  readonly reason: string | null;
  /** The stages it waited for, as planned; null when the run did not record them. */
  readonly needs: readonly string[] | null;
  readonly logPath: string | null;
}

/** The artifact of a run. */
export interface RunArtifact {
  /** `sha256:<hex>`. */
  readonly digest: string;
  readonly path: string;
  readonly cacheKey: string;
  readonly sizeBytes: number;
  /** True when the build was skipped and an earlier artifact reused. */
  readonly cached: boolean;
}

/** The final report of `flowline run` (also its `--json` output). */
export interface RunReport {
  readonly runId: string;
  readonly service: string;
  readonly status: RunOutcome;
  readonly commit: RunCommit | null;
  readonly where: Where;
  readonly artifact: RunArtifact | null;
  /** The stages asked for with `--stages`, or null for the whole pipeline. */
  readonly only: readonly string[] | null;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly stages: readonly NodeResult[];
  /**
   * The git walk recorded with the run: the commits new since the last recorded one, and whether
   * it saw them all (a shallow clone, or a first walk cut at its maximum, does not). Null outside
   * a repository, or when recording it failed.
   */
  readonly history?: {
    readonly head: string;
    readonly commits: number;
    readonly truncated: boolean;
    readonly shallow: boolean;
  } | null;
  /** What the run measured for its quality plan (src/quality), failed measurements included. */
  readonly quality?: readonly Measurement[];
  /** Set when the run stopped on an error of Flowline's rather than a failing step. */
  readonly error?: ErrorBody;
}

/** Who holds the run lock, as written in `<home>/locks/run.lock`. */
export interface LockHolder {
  readonly pid: number;
  /** ISO time the lock was taken. */
  readonly since: string;
  /** The run it is for, once it has an id. */
  readonly runId: string | null;
}

/**
 * Live events of a run, for progress displays. Every line has its secrets masked already.
 * All methods are optional.
 */
export interface RunObserver {
  /** Another run holds the lock; called when waiting starts and whenever the holder changes. */
  waiting?(holder: LockHolder): void;
  started?(run: RunStart): void;
  /** A node changed status (queued → running → a final status). */
  status?(node: NodeResult): void;
  /** One line of a node's output or of Flowline's notes about it. */
  line?(node: string, text: string): void;
  /**
   * What was just appended to a node's log file, byte for byte: one masked, time-prefixed line
   * with its newline. Mirroring these reproduces the file (a server's copy of the log).
   */
  logged?(node: string, chunk: string): void;
  /** The commits the run read from git that were not recorded yet (a server records them too). */
  history?(history: CommitHistory): void;
  /** Measurements of the quality plan, as each stage's reports are read (a server records them too). */
  quality?(measurements: readonly Measurement[]): void;
  finished?(report: RunReport): void;
}

/** A run as it starts: what a progress display shows and what a server records. */
export interface RunStart {
  readonly runId: string;
  readonly service: string;
  readonly commit: RunCommit | null;
  /** The plan, `finally` included. */
  readonly nodes: readonly PlanNode[];
  readonly where: Where;
  readonly branch: string | null;
  /** The stages asked for with `--stages`, or null for the whole pipeline. */
  readonly only: readonly string[] | null;
  readonly startedAt: string;
}

/**
 * Artifacts built on other machines: asked before building, after the local store missed. When
 * one with the cache key exists it is copied into the local store (digest checked on arrival).
 */
export interface SharedArtifactCache {
  /** Where the artifacts come from, for the log (`the server at http://…`). */
  readonly name: string;
  fetch(
    service: string,
    cacheKey: string,
    into: ArtifactStore,
  ): Promise<{ ref: ArtifactRef; commitSha: string | null; createdAt: string } | undefined>;
}
