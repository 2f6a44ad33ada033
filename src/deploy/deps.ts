import type { Actor, AuditLog, Where } from '../audit/index.js';
import type { Authorize, Principal } from '../auth/index.js';
import type { Catalog, Deployment } from '../catalog/index.js';
import type { AnalysisTemplate, SmokeCheck, Strategy } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { AutomaticIncident } from '../incidents/index.js';
import type { Policies } from '../policy/index.js';
import type { Store, WriteTx } from '../store/index.js';
import type { RevisionRuntime, RevisionSpec, SecretSource, TrafficRouter } from './ports.js';
import type { DeployRecords } from './records.js';

/**
 * What the deploy part is built from and the shapes its modules share, in one module below all of
 * them (so none imports them back from the controller that uses it).
 */

/** Who acts when Flowline itself deletes an expired preview. */
export const SYSTEM_ACTOR: Actor = { kind: 'user', name: 'flowline' };

export interface DeployControllerDeps {
  readonly store: Store;
  readonly catalog: Catalog;
  readonly audit: AuditLog;
  readonly clock: Clock;
  readonly records: DeployRecords;
  readonly runtime: RevisionRuntime;
  readonly router: TrafficRouter;
  readonly events: EventBus;
  /** The folder of a stored artifact, or undefined when the store does not have it. */
  readonly artifactPath: (digest: string) => Promise<string | undefined>;
  /** Throws FLOWLINE_ANDON_RED when the service's trunk is red. */
  readonly assertTrunkGreen: (service: string) => Promise<void>;
  /** What the server allows each service: the gates, hosts and roles a deploy is checked against. */
  readonly policies: Pick<Policies, 'get' | 'ensure' | 'environment'>;
  /** Checks a principal's role (and scope) against what an environment's policy asks. */
  readonly authorize: Authorize;
  /** The server's secret store: a deploy checks that every secret its artifact names is set. */
  readonly secrets: SecretSource;
  /** The URL users reach a host at through the router, e.g. `http://staging.hello.localhost:8080/`. */
  readonly urlFor: (host: string) => string;
  /** Runs analysis templates for canary and blue-green analysis steps; absent: such steps fail. */
  readonly analyze?: Analyze;
  /** Waiting in pauses; tests inject a fast one. Default: real time. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Opens an incident when the controller gives up on a release that served users; absent: none. */
  readonly incidents?: IncidentRecorder | undefined;
}

/**
 * Where the controller's own incidents go (src/incidents' `openAutomatic`, as the system actor),
 * written inside the transaction that fails the deployment.
 */
export interface IncidentRecorder {
  open(input: AutomaticIncident, tx: WriteTx): Promise<unknown>;
}

/**
 * Why a release was given up on: its analysis failed (`analysis`), a person aborted it (`person`),
 * or anything else the controller met by itself (`automatic`: a failed start or health check, a
 * restart it could not resume). It decides the deployment's outcome and whether an incident opens.
 */
export type FailureCause = 'analysis' | 'person' | 'automatic';

/**
 * A deploy names an artifact and an environment, nothing that changes what runs: how to run it
 * comes from the flowline.yaml sealed in the artifact, what is allowed from the server's policy.
 */
export interface DeployRequest {
  readonly service: string;
  readonly environment: string;
  /** A digest or an unambiguous prefix; default: what runs in the predecessor, else the newest artifact. */
  readonly artifact?: string | undefined;
  /** Unplanned: made to fix a problem users have (recorded for delivery metrics). */
  readonly hotfix?: boolean | undefined;
  /** Who asks: the actor of the audit trail, and the role checked against the environment's policy. */
  readonly principal: Principal;
  readonly where: Where;
  readonly onProgress?: (line: string) => void;
}

export interface DeployOutcome {
  readonly deployment: Deployment;
  readonly host: string;
  readonly url: string;
  /** The flowline.yaml the artifact runs by: its text's sha256 (a deploy; not a rollback). */
  readonly config?: { readonly sha256: string };
}

/**
 * A line of a release's progress: shown to whoever follows it and written to its journal once.
 * A measurement passes its journal entry too, so it is journaled as a measurement with its
 * record rather than as a progress line (a second copy is what `release status` showed twice).
 */
export type ReleaseProgress = (line: string, entry?: MeasurementEntry) => void;

/** How a measurement is journaled: its line (without the live indent) and its record. */
export interface MeasurementEntry {
  readonly kind: 'measurement';
  readonly message: string;
  readonly data: unknown;
}

/** Runs analysis templates against a release; resolves when they finish or fail. */
export type Analyze = (input: {
  readonly templates: readonly string[];
  readonly rollout: Rollout;
  /** Stops the analysis (abort, promotion, end of the release); it is then judged as it stands. */
  readonly signal: AbortSignal;
  /** Background analysis measures until stopped instead of `count` times. */
  readonly background: boolean;
  /**
   * When the analysed revision began to take traffic: windows reach back to it, never before. Unset:
   * it takes none yet (blue-green before the switch), so only what comes from now on is measured.
   */
  readonly since?: Date | undefined;
  readonly onProgress: ReleaseProgress;
}) => Promise<AnalyzeOutcome>;

/**
 * What an analysis concluded. Inconclusive (no data, too few samples, beyond `inconclusiveLimit`)
 * is not a failure: the release pauses until someone promotes or aborts it, never rolls back.
 */
export type AnalyzeOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly inconclusive?: boolean | undefined };

/**
 * Where a release carries on after a restart: a canary at its step, or a blue-green deployment
 * whose post-promotion analysis a restart interrupted (it runs again; see recovery.ts).
 */
export type ResumePoint = CanaryResumePoint | 'postAnalysis';

/** Where a canary carries on after a restart: the step that was under way, at the weight before it. */
export interface CanaryResumePoint {
  /** 0-based, as in the phase `step:N`: this step runs again from its beginning. */
  readonly step: number;
  readonly weight: number;
}

/** One deployment's plan, as the controller hands it to the rollout. */
export interface Rollout {
  readonly deploymentId: string;
  readonly service: string;
  readonly environment: string;
  readonly serviceId: string;
  readonly environmentId: string;
  readonly host: string;
  readonly revision: string;
  readonly spec: RevisionSpec;
  /** The revision serving now, if any: blue in blue-green, the baseline in a canary. */
  readonly stable: string | undefined;
  /**
   * A canary's fresh baseline, once it runs: a new instance of the stable artifact with the
   * canary's share of traffic, which `judge` metrics compare with instead of `stable` (baseline.ts).
   */
  readonly baseline?: string | undefined;
  readonly strategy: Strategy;
  readonly smoke: readonly SmokeCheck[];
  /** How long the previous revision stays warm for an instant rollback (0: stopped at once). */
  readonly keepWarmMs: number;
  /** A step that moves the release on must end within this, or the release fails (deadline.ts). */
  readonly progressDeadlineMs: number;
  /** The analysis templates of flowline.yaml, by name. */
  readonly analysisTemplates: Readonly<Record<string, AnalysisTemplate>>;
  readonly startedAt: Date;
}

export type RolloutOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };
