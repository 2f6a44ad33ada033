/**
 * The shapes of the API answers the dashboard reads, as docs/api.md and /v1/openapi.json give
 * them. Only the fields the views use are listed.
 */

export interface AndonStatus {
  readonly service: string;
  readonly state: 'green' | 'red';
  readonly cause: 'run' | 'pull' | 'release' | null;
  readonly runId: string | null;
  readonly reason: string | null;
  readonly actor: string | null;
  readonly since: string | null;
}

export interface InstanceHealth {
  readonly id?: string;
  readonly state?: string;
  readonly healthy?: boolean;
  readonly port?: number;
  readonly [key: string]: unknown;
}

export interface EnvironmentStatus {
  readonly service: string;
  readonly name: string;
  readonly kind: string;
  readonly branch: string | null;
  readonly pullRequest: number | null;
  readonly host: string;
  readonly url: string | null;
  readonly revision: string | null;
  readonly artifact: string | null;
  readonly commit: string | null;
  readonly health: {
    readonly healthy: number;
    readonly desired: number;
    readonly instances: readonly InstanceHealth[];
  } | null;
  readonly release: string | null;
  readonly drift: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string | null;
}

export interface EnvironmentStatusReport {
  readonly environments: readonly EnvironmentStatus[];
  readonly runtime: boolean;
}
