/**
 * What the deploy controller needs from the runtime and the router, as small interfaces of its
 * own (ports). The local process supervisor and the built-in router implement them today; the
 * Kubernetes driver and Gateway API routes will implement them for scale-out.
 */

/** One running instance of a revision, reachable directly (smoke checks bypass the router). */
export interface InstanceRef {
  readonly id: string;
  readonly url: string;
}

/** How to run one revision of a service (built from flowline.yaml `run` and the environment). */
export interface RevisionSpec {
  readonly service: string;
  readonly environment: string;
  /** Unique per deployment, e.g. `staging-3f2a9c1d-k2x9`. */
  readonly revision: string;
  /** The stored artifact's folder: each instance runs in its own copy of it (never in the store). */
  readonly workdir: string;
  /** `run.workdir`: the folder inside the artifact the command runs in. */
  readonly subdir?: string | undefined;
  readonly artifact: string;
  readonly command: string;
  readonly portEnv: string;
  readonly instances: number;
  readonly env: Readonly<Record<string, string>>;
  /**
   * The secrets the instances receive: names only, and the environment whose store holds them
   * (a preview's: its template). Values are read from the store at each start, never recorded.
   */
  readonly secrets: { readonly environment: string; readonly names: readonly string[] };
  readonly health: {
    readonly path?: string | undefined;
    readonly interval: number;
    readonly timeout: number;
    readonly startPeriod: number;
    readonly successThreshold: number;
    readonly failureThreshold: number;
  };
  readonly shutdown: { readonly signal: 'SIGTERM' | 'SIGINT'; readonly gracePeriod: number };
}

/** The server's secret store, as the deploy part sees it. */
export interface SecretSource {
  /** Values of `names` in an environment; FLOWLINE_SECRET_MISSING naming every one that is not set. */
  resolve(service: string, environment: string, names: readonly string[]): Promise<Record<string, string>>;
}

export interface RevisionRuntime {
  /** Starts every instance and resolves once all are healthy; on failure stops them and throws. */
  start(spec: RevisionSpec, onProgress: (message: string) => void): Promise<readonly InstanceRef[]>;
  /** Stops a revision's instances gracefully (signal, drain, kill after the grace period). */
  stop(revision: string): Promise<void>;
  /** The healthy instances of a revision now (after a restart: the adopted ones). */
  instances(revision: string): Promise<readonly InstanceRef[]>;
  /**
   * Deletes an environment's persistent data (FLOWLINE_DATA_DIR) once none of its revisions runs;
   * throws FLOWLINE_REVISION_RUNNING while one does. True when there was data to delete. For
   * Kubernetes: its PersistentVolumeClaim.
   */
  removeData(service: string, environment: string): Promise<boolean>;
}

/** A weighted backend of a route: one revision and its instances. */
export interface Backend {
  readonly revision: string;
  /** Percent of traffic, 0..100; the backends of a route sum to 100. */
  readonly weight: number;
  readonly instances: readonly InstanceRef[];
}

export interface RouteTarget {
  readonly service: string;
  readonly environment: string;
  readonly backends: readonly Backend[];
  /** Requests with this header/cookie value go to the named revision regardless of weight. */
  readonly match?: {
    readonly revision: string;
    readonly header?: { readonly name: string; readonly value: string };
    readonly cookie?: { readonly name: string; readonly value: string };
  };
  readonly sticky?: boolean;
}

export interface TrafficRouter {
  /** Replaces the route of `host` atomically for new requests; in-flight ones finish where they are. */
  setRoute(host: string, target: RouteTarget): void | Promise<void>;
  removeRoute(host: string): void | Promise<void>;
  /** Resolves when no request is in flight to any of these instances. */
  drain(instanceIds: readonly string[]): Promise<void>;
}
