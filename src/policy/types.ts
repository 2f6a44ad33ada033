import type { Actor, Where } from '../audit/index.js';

/** Who may deploy to an environment: the `deploy` role (scoped to it) or only an admin. */
export type DeployRole = 'deploy' | 'admin';

/** What the server allows in one environment of a service. */
export interface EnvironmentPolicy {
  /** A green trunk is needed to deploy here (the andon gate). */
  readonly protected: boolean;
  /** Only artifacts that succeeded in this environment first. */
  readonly after: string | null;
  /** The host the router serves it on; null: `<environment>.<service>.localhost`. */
  readonly host: string | null;
  /** A template that previews (`flowline env create`) are made from, not deployed to directly. */
  readonly ephemeral: boolean;
  readonly deployRole: DeployRole;
}

/**
 * What the server allows a service: the rules a deploy is checked against, never the
 * flowline.yaml a client or an artifact carries (docs/adr/0010-trust-model.md).
 */
export interface PolicyDocument {
  /** Runs of this branch move the andon cord; null: the andon is off. */
  readonly trunk: string | null;
  readonly environments: Readonly<Record<string, EnvironmentPolicy>>;
}

export interface ServicePolicy extends PolicyDocument {
  readonly service: string;
  /** 1 when seeded, one more on every change. */
  readonly version: number;
  readonly updatedAt: string;
  readonly updatedBy: string;
}

/** One field that a change moves: `environments.production.after`, from → to. */
export interface PolicyChange {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

export interface PolicyChangeBy {
  readonly actor: Actor;
  readonly where: Where;
}

export interface Policies {
  /** The service's policy, or undefined before its first registration. */
  get(service: string): Promise<ServicePolicy | undefined>;
  /**
   * The policy, seeded from `seed()` (the config of this first registration) when the service
   * has none yet; audited as `policy.seed` with the whole document.
   */
  ensure(service: string, seed: () => PolicyDocument, by: PolicyChangeBy): Promise<ServicePolicy>;
  /**
   * What applying `next` would change (empty: nothing). Throws FLOWLINE_POLICY_CONFLICT when a
   * host in it belongs to another service's environment.
   */
  plan(
    service: string,
    next: PolicyDocument,
  ): Promise<{ current: ServicePolicy | undefined; changes: PolicyChange[] }>;
  /**
   * Replaces the policy (an admin's decision, checked by the caller); audited as `policy.change`
   * with the diff. `expectVersion` guards against a change made since the caller read it.
   */
  apply(
    service: string,
    next: PolicyDocument,
    by: PolicyChangeBy,
    expectVersion?: number,
  ): Promise<{ policy: ServicePolicy; changes: PolicyChange[] }>;
  /** The policy of one environment; FLOWLINE_POLICY_UNKNOWN_ENVIRONMENT when it has none. */
  environment(policy: ServicePolicy, name: string): EnvironmentPolicy;
}
