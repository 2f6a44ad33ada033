import type { HealthCheck, RunConfig } from '../config/types.js';

/**
 * The runtime's contract: what runs an artifact as instances. The local process supervisor
 * (`createLocalRuntime`) is the default; a Kubernetes driver will implement the same interface
 * (see docs/adr/0004-runtime.md).
 */

/** One revision of a service in one environment, as the runtime starts it. */
export interface RevisionSpec {
  /** A DNS label, e.g. `hello`. */
  readonly service: string;
  /** A DNS label, e.g. `staging`. */
  readonly environment: string;
  /** What distinguishes this revision: a deployment id or a short artifact digest. */
  readonly revision: string;
  /**
   * The artifact's folder. Each instance runs in its own writable copy of it under the runtime's
   * work root (see workdir.ts), never in this folder; beside it, a scratch folder of its own
   * (TMPDIR) and its environment's data folder (FLOWLINE_DATA_DIR).
   */
  readonly workdir: string;
  /** The folder inside the copy the command runs in (`run.workdir`); default its top. */
  readonly subdir?: string | undefined;
  /** Run by `/bin/sh -c` in `workdir`. */
  readonly command: string;
  /** The environment variable that carries the port the instance must listen on (`run.port.env`). */
  readonly portEnv: string;
  readonly instances: number;
  /** Declared environment (`run.env` overlaid with the environment's `env`). */
  readonly env: Readonly<Record<string, string>>;
  /** Passed to the instances like `env`; never written to the store, logs or error messages. */
  readonly secrets?: Readonly<Record<string, string>>;
  /** The artifact's digest, passed on as `FLOWLINE_ARTIFACT`. */
  readonly artifact?: string;
  readonly health: HealthCheck;
  readonly shutdown: RunConfig['shutdown'];
  /** Each instance appends its stdout and stderr to `<logDir>/<instance id>.log`. */
  readonly logDir: string;
}

/**
 * - `starting`: spawned, not yet healthy. `healthy`: passing its checks.
 * - `unhealthy`: failing `failureThreshold` checks in a row (the router takes it out).
 * - `crashed`: exited unexpectedly, a restart is scheduled. `restarting`: being spawned again.
 * - `stopping` / `stopped`: asked to stop / gone.
 */
export type InstanceState =
  | 'starting'
  | 'healthy'
  | 'unhealthy'
  | 'crashed'
  | 'restarting'
  | 'stopping'
  | 'stopped';

/** What the runtime knows about one instance. */
export interface InstanceStatus {
  /** `<service>-<environment>-<revision>-<n>`, e.g. `hello-staging-3f2a-1`. */
  readonly id: string;
  readonly revisionKey: string;
  readonly service: string;
  readonly environment: string;
  readonly revision: string;
  readonly pid: number | null;
  readonly port: number | null;
  /** `http://127.0.0.1:<port>`: where the router sends traffic. */
  readonly url: string | null;
  readonly state: InstanceState;
  /** Restarts after unexpected exits, over the instance's whole life. */
  readonly restarts: number;
  /** When the current process was spawned (ISO-8601). */
  readonly startedAt: string | null;
  readonly logFile: string;
  /** The last failed health check or exit, e.g. `GET /healthz → 503`. */
  readonly lastError: string | null;
  /** How the last process ended, e.g. `exited with code 0` or `killed by SIGKILL`. */
  readonly lastExit: string | null;
}

/** A started revision. */
export interface RevisionHandle {
  /** `<service>-<environment>-<revision>`; pass it to `stop`. */
  readonly key: string;
  readonly service: string;
  readonly environment: string;
  readonly revision: string;
  /** Every instance, healthy, as of the moment `start` resolved. */
  readonly instances: readonly InstanceStatus[];
}

export interface StartOptions {
  /** Called on every state change of the revision's instances while it starts. */
  readonly onProgress?: (status: InstanceStatus) => void;
}

export interface StopOptions {
  /** How long to wait after the shutdown signal before SIGKILL. Default: the spec's `shutdown.gracePeriod`. */
  readonly graceMs?: number;
}

export interface StatusFilter {
  readonly service?: string;
  readonly environment?: string;
  readonly revision?: string;
  readonly revisionKey?: string;
}

export interface AdoptOptions {
  /**
   * Secret values for an adopted revision, which the store never holds. Needed only to restart
   * an adopted instance that later crashes; without them such an instance stays `crashed`.
   */
  readonly secrets?: (revision: {
    readonly service: string;
    readonly environment: string;
    readonly revision: string;
    readonly names: readonly string[];
  }) => Promise<Readonly<Record<string, string>> | undefined>;
}

/** What `adopt` found in the store after a restart of Flowline. */
export interface AdoptReport {
  /** Instances that were still alive, the same process, and healthy: supervised again. */
  readonly adopted: readonly InstanceStatus[];
  /** Instances killed (if anything was left of them) and marked stopped, each with why. */
  readonly cleaned: readonly { readonly id: string; readonly reason: string }[];
  /** Revisions left alone because another live Flowline process supervises them. */
  readonly skipped: readonly { readonly revisionKey: string; readonly reason: string }[];
  /** Per adopted revision: how many instances it was started with and how many were adopted. */
  readonly revisions: readonly {
    readonly key: string;
    readonly expected: number;
    readonly running: number;
  }[];
}

export interface CloseOptions {
  /** True: stop every instance (shutdown). False: leave them running for a later `adopt` (restart). */
  readonly stopInstances: boolean;
}

/** Runs revisions of services as instances. */
export interface Runtime {
  /**
   * Starts every instance of the revision and resolves once all are healthy. On failure it stops
   * what it started and throws: FLOWLINE_DEPLOY_UNHEALTHY (no healthy check within `startPeriod`,
   * or an exit before it), FLOWLINE_RUNTIME_COMMAND_NOT_FOUND, FLOWLINE_PORT_IN_USE,
   * FLOWLINE_RUNTIME_SPEC_INVALID. Starting a revision that already runs healthy with the same
   * command returns its handle; with another command it throws FLOWLINE_REVISION_RUNNING.
   */
  start(spec: RevisionSpec, options?: StartOptions): Promise<RevisionHandle>;
  /**
   * Sends the shutdown signal to each instance's process group, waits for them to exit (drain),
   * and SIGKILLs what is left after the grace period. Stopping a stopped or unknown revision
   * does nothing.
   */
  stop(revisionKey: string, options?: StopOptions): Promise<void>;
  /** The instances this runtime supervises. */
  status(filter?: StatusFilter): Promise<InstanceStatus[]>;
  /**
   * After a restart of Flowline: supervises again every recorded instance whose process is alive,
   * is the same process (start time), and passes its health check; kills and forgets the rest.
   */
  adopt(options?: AdoptOptions): Promise<AdoptReport>;
  /**
   * Deletes the persistent data folder of an environment (FLOWLINE_DATA_DIR), for an environment
   * that is gone for good. Refused with FLOWLINE_REVISION_RUNNING while any revision of that
   * environment runs or is recorded as not stopped. True when there was a folder to delete.
   */
  removeData(service: string, environment: string): Promise<boolean>;
  /** Calls `listener` on every change of an instance's state; returns the unsubscribe function. */
  onChange(listener: (status: InstanceStatus) => void): () => void;
  close(options: CloseOptions): Promise<void>;
}

/** `<service>-<environment>-<revision>`: the key of a revision in `stop` and instance ids. */
export function revisionKey(spec: Pick<RevisionSpec, 'service' | 'environment' | 'revision'>): string {
  return `${spec.service}-${spec.environment}-${spec.revision}`;
}
