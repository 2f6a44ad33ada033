import type { AndonChange, AndonStatus } from '../../andon/index.js';
import type { Actor, AuditEvent, AuditFilter, AuditHead, VerifyResult } from '../../audit/types.js';
import type { CreateTokenInput, Role, TokenInfo } from '../../auth/types.js';
import type { Catalog, Deployment, Environment, Run } from '../../catalog/index.js';
import type { EnvironmentStatusReport } from '../../deploy/index.js';
import type {
  AddTriggerInput,
  FlagAction,
  FlagDocument,
  FlagHistoryEntry,
  FlagOverview,
  TriggerInfo,
} from '../../flags/service/index.js';
import type { NodeResult } from '../../pipeline/index.js';
import type { PolicyChange, PolicyDocument, ServicePolicy } from '../../policy/index.js';
import type { SecretInfo } from '../../secrets/index.js';
import type { HistoryClient } from './history.js';
import type { IncidentClient } from './incidents.js';
import type { MetricsClient } from './metrics.js';
import type { QualityClient } from './quality.js';

/** The caller as the backend sees it. */
export interface Identity {
  readonly actor: Actor;
  readonly role: Role;
  readonly environments: readonly string[] | null;
}

type Reads<T> = { [K in keyof T as K extends `list${string}` | `get${string}` ? K : never]: T[K] };

/**
 * What CLI commands talk to. Two implementations with one behaviour: `embedded` opens the local
 * store in-process (the OS user acts, with admin rights over their own files), `remote` calls a
 * Flowline server over HTTP with a bearer token.
 */
export interface Backend {
  readonly mode: 'embedded' | 'remote';
  /** Where the data lives: the store file, or the server URL. */
  readonly location: string;
  whoami(): Promise<Identity>;
  createToken(input: CreateTokenInput): Promise<{ token: TokenInfo; secret: string }>;
  listTokens(options: { includeRevoked: boolean }): Promise<TokenInfo[]>;
  revokeToken(idOrName: string): Promise<TokenInfo>;
  listAudit(filter: AuditFilter): Promise<AuditEvent[]>;
  /** Verifies the chain, and that it contains each head saved elsewhere (`anchors`, distinct). */
  verifyAudit(anchors: readonly AuditHead[]): Promise<VerifyResult>;
  /** The chain's head record, to save outside the store. */
  auditHead(): Promise<AuditHead>;
  readonly catalog: Reads<Catalog>;
  /** Deploys through the server that runs the router and runtime (the local daemon when embedded). */
  deploy(input: DeployInput, onProgress: (line: string) => void): Promise<DeployResult>;
  rollback(
    input: { service: string; environment: string },
    onProgress: (line: string) => void,
  ): Promise<DeployResult>;
  releaseStatus(service: string, environment: string, lines: number): Promise<ReleaseStatus>;
  releaseControl(
    service: string,
    environment: string,
    action: 'promote' | 'pause' | 'resume' | 'abort',
    full: boolean,
  ): Promise<{ deploymentId: string }>;
  /** Creates a preview (or refreshes its time to live) and deploys to it, through the server. */
  createEnvironment(input: EnvCreateInput, onProgress: (line: string) => void): Promise<EnvCreateResult>;
  /** Tears an environment down through the server that runs its instances. */
  deleteEnvironment(
    input: { service: string; name: string; force: boolean; purgeData?: boolean },
    onProgress: (line: string) => void,
  ): Promise<EnvDeleteResult>;
  /** Environments with URL, artifact, commit, health and drift (health only where the runtime runs). */
  environmentStatus(service?: string): Promise<EnvironmentStatusReport>;
  /** Feature flags of a service per environment (the `/v1/flags` routes). */
  readonly flags: FlagClient;
  /** Runs and their logs, the andon cords, stored artifacts. */
  readonly pipeline: PipelineClient;
  /** What the server allows each service (the `/v1/policies` routes). */
  readonly policies: PolicyClient;
  /** Secret values per service and environment: set and remove them, list their names. */
  readonly secrets: SecretClient;
  /** Problems users had in an environment: open, acknowledge, resolve, list. */
  readonly incidents: IncidentClient;
  /** The DORA keys and the value stream (the `/v1/metrics` routes). */
  readonly metrics: MetricsClient;
  /** Deployments, incidents and commits from before Flowline (admin). */
  readonly history: HistoryClient;
  /** The quality plan assessed for a period, and sign-offs of its manual deliverables. */
  readonly quality: QualityClient;
  close(): Promise<void>;
}

/** Flag reads and changes; writes take an optional ETag (`If-Match`) and answer the new document. */
export interface FlagClient {
  get(service: string, environment: string): Promise<FlagDocument>;
  overview(service: string): Promise<FlagOverview>;
  history(service: string, environment: string, limit: number): Promise<FlagHistoryEntry[]>;
  replace(service: string, environment: string, definition: unknown, ifMatch?: string): Promise<FlagDocument>;
  setFlag(service: string, environment: string, flag: string, definition: unknown): Promise<FlagDocument>;
  act(
    service: string,
    environment: string,
    flag: string,
    action: FlagAction,
    variant?: string,
  ): Promise<FlagDocument>;
  /**
   * The version the flag-set endpoint serves now, asking it to catch up with `written` (what a
   * write answered): the server looks at the store at once when it holds an older version.
   * `undefined` when no server serves this store (embedded, without a running `flowline serve`).
   */
  servedVersion(written: FlagDocument): Promise<number | undefined>;
  listTriggers(service: string, environment: string): Promise<TriggerInfo[]>;
  addTrigger(input: AddTriggerInput): Promise<{ trigger: TriggerInfo; secret?: string }>;
  removeTrigger(service: string, environment: string, name: string): Promise<TriggerInfo>;
}

/** A service's policy: read (`read`), planned (`read`) and replaced (admin for all environments). */
export interface PolicyClient {
  /** FLOWLINE_NOT_FOUND before the service's first registration. */
  get(service: string): Promise<ServicePolicy>;
  plan(
    service: string,
    policy: PolicyDocument,
  ): Promise<{ current: ServicePolicy | null; changes: PolicyChange[] }>;
  apply(
    service: string,
    policy: PolicyDocument,
    expectVersion?: number,
  ): Promise<{ policy: ServicePolicy; changes: PolicyChange[] }>;
}

/** The `/v1/secrets` routes: values go in, never come out. */
export interface SecretClient {
  set(service: string, environment: string, name: string, value: string): Promise<SecretInfo>;
  list(service: string, environment: string): Promise<SecretInfo[]>;
  remove(service: string, environment: string, name: string): Promise<SecretInfo>;
}

/** `POST /v1/environments`: the preview runs an artifact of the service by its sealed flowline.yaml. */
export interface EnvCreateInput {
  readonly service: string;
  readonly branch?: string;
  readonly pullRequest?: number;
  /** A duration such as `72h`. */
  readonly ttl?: string;
  readonly artifact?: string;
}

export interface EnvCreateResult extends DeployResult {
  readonly environment: Environment;
  readonly created: boolean;
}

export interface EnvDeleteResult {
  readonly environment: Environment;
  readonly revisions: readonly string[];
  readonly host: string | null;
  /** Whether its data folder (FLOWLINE_DATA_DIR) is gone; a persistent environment's is kept unless purged. */
  readonly dataRemoved: boolean;
}

/**
 * `POST /v1/deploy`: an artifact and an environment, nothing that changes what runs (the server
 * reads the flowline.yaml sealed in the artifact, and checks its own policy).
 */
export interface DeployInput {
  readonly service: string;
  readonly environment: string;
  readonly artifact?: string;
  /** An unplanned deployment made to fix a problem users have (delivery metrics' rework rate). */
  readonly hotfix?: boolean;
}

export interface DeployResult {
  readonly deployment: Deployment;
  readonly host: string;
  /** Where users reach the environment through the router. */
  readonly url: string;
  /** The sha256 of the flowline.yaml sealed in the deployed artifact (deploys, not rollbacks). */
  readonly config?: { readonly sha256: string };
}

/** `GET /v1/releases/:service/:environment`. */
export interface ReleaseStatus {
  readonly deployment: Deployment;
  /** Where an unfinished release is (`step:2`, `switching`), or null when it ended. */
  readonly phase: string | null;
  readonly traffic: readonly { readonly revision: string; readonly weight: number }[];
  readonly host: string | null;
  /** The host's URL through the router, e.g. `http://staging.hello.localhost:8080/`; null without a route. */
  readonly url: string | null;
  readonly journal: readonly { readonly at: string; readonly kind: string; readonly message: string }[];
}

/** A stage of a run as `flowline logs` shows it (no file paths: those are the store's business). */
export type StageView = Omit<NodeResult, 'logPath'>;

/** What a store holds of an artifact. */
export interface StoredArtifact {
  readonly digest: string;
  readonly sizeBytes: number;
  readonly files: number;
}

/** Runs, logs, andon and artifact checks: the same calls on the local store and on a server. */
export interface PipelineClient {
  /** A run and its stages; FLOWLINE_NOT_FOUND for an unknown id. */
  run(runId: string): Promise<{ run: Run; stages: StageView[] }>;
  /** Whole log lines of a stage from a byte offset, and the offset after them (one page). */
  readLog(runId: string, stage: string, offset: number): Promise<{ lines: string[]; offset: number }>;
  /** Every service's cord, or one service's. */
  andon(service?: string): Promise<AndonStatus[]>;
  /** Stops the line (anyone); audited with the caller as the actor. */
  pullAndon(service: string, reason: string): Promise<AndonChange>;
  /** Restarts the line (admin). */
  releaseAndon(service: string, reason: string): Promise<AndonChange>;
  /** Re-hashes a stored artifact (digest or unique prefix); FLOWLINE_ARTIFACT_CORRUPT when it changed. */
  verifyArtifact(digest: string): Promise<StoredArtifact>;
}
