/**
 * The API answers the environments and releases views read (docs/api.md: environment status,
 * releases, deployments, artifacts, policies), beyond the shared ones in types.ts.
 */
import type { EnvironmentStatus } from './types.js';

/** A revision's share of a route's traffic, in percent. */
export interface Backend {
  readonly revision: string;
  readonly weight: number;
}

/** `GET /v1/environments/status`, with what it gives since the dashboard needed it. */
export interface EnvironmentGlance extends EnvironmentStatus {
  readonly commitSubject?: string | null;
  readonly commitAuthor?: string | null;
  readonly commitAuthoredAt?: string | null;
  readonly liveSince?: string | null;
  readonly traffic?: readonly Backend[];
}

export interface EnvironmentGlanceReport {
  readonly environments: readonly EnvironmentGlance[];
  readonly runtime: boolean;
}

/** `GET /v1/deployments` item. */
export interface Deployment {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly artifactId: string;
  readonly strategy: string;
  readonly status: string;
  readonly actor: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly reason: string | null;
  readonly commitSha: string | null;
  readonly kind: 'deploy' | 'rollback';
  readonly outcome: string;
  readonly servedAt: string | null;
}

/** `GET /v1/artifacts` item. */
export interface Artifact {
  readonly id: string;
  readonly service: string;
  readonly commitSha: string | null;
  readonly sizeBytes: number;
  readonly createdAt: string;
}

export type CanaryStep =
  | { readonly kind: 'setWeight'; readonly weight: number }
  | { readonly kind: 'pause'; readonly duration?: number }
  | { readonly kind: 'analysis'; readonly templates: readonly string[] }
  | {
      readonly kind: 'setCanaryScale';
      readonly instances?: number;
      readonly weight?: number;
      readonly matchTrafficWeight?: boolean;
    };

export type Strategy =
  | { readonly kind: 'allAtOnce' }
  | { readonly kind: 'blueGreen' }
  | { readonly kind: 'canary'; readonly steps: readonly CanaryStep[] };

/** One measurement as a point: canary value and baseline, null when not a number. */
export interface SeriesPoint {
  readonly at: string;
  readonly index: number;
  readonly phase: string;
  readonly value: number | null;
  readonly baseline: number | null;
  readonly message: string | null;
}

export interface MetricSeries {
  readonly template: string;
  readonly metric: string;
  readonly successCondition: string | null;
  readonly failureCondition: string | null;
  readonly points: readonly SeriesPoint[];
}

export interface JournalLine {
  readonly at: string;
  readonly kind: string;
  readonly message: string;
}

/** `GET /v1/releases/{service}/{environment}`. */
export interface ReleaseAnswer {
  readonly deployment: Deployment;
  /** Set while the deployment is under way. */
  readonly phase: string | null;
  /** The revision the deployment brings, and the one it replaces. */
  readonly revision: string | null;
  readonly previousRevision: string | null;
  readonly step: number | null;
  readonly weight: number | null;
  readonly paused: boolean;
  readonly strategy: Strategy | null;
  readonly analysis: readonly MetricSeries[];
  readonly traffic: readonly Backend[];
  readonly host: string | null;
  readonly url: string | null;
  readonly journal: readonly JournalLine[];
}

/** One environment of `GET /v1/policies/{service}`. */
export interface PolicyEnvironment {
  readonly protected: boolean;
  readonly after: string | null;
  readonly ephemeral: boolean;
  readonly deployRole: 'deploy' | 'admin';
}

export interface PolicyAnswer {
  readonly policy: {
    readonly service: string;
    readonly environments: Readonly<Record<string, PolicyEnvironment>>;
  };
}

/** What `POST /v1/deploy` and `POST /v1/rollback` end with (the `result` line). */
export interface DeployResult {
  readonly deployment: Deployment;
  readonly host: string;
  readonly url: string;
}
