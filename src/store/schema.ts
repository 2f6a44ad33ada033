import type { Insertable, Selectable } from 'kysely';

/**
 * The store's tables as Kysely sees them. One definition serves SQLite and PostgreSQL, so
 * columns use portable types only: text, integer (bigint-safe numbers), real. Timestamps are
 * ISO-8601 UTC strings (`2026-11-21T23:22:48.123Z`): they sort as text and read well in
 * `sqlite3`. JSON columns are text holding JSON; the repositories parse them.
 */
export interface Database {
  services: ServicesTable;
  artifacts: ArtifactsTable;
  runs: RunsTable;
  environments: EnvironmentsTable;
  deployments: DeploymentsTable;
  audit_events: AuditEventsTable;
  audit_head: AuditHeadTable;
  api_tokens: ApiTokensTable;
  flowline_migrations: MigrationsTable;
}

/** One row per applied migration; the highest version is the store's schema version. */
export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: string;
  /** The Flowline version that applied it, quoted when a newer store is refused. */
  flowline_version: string;
}

export interface ServicesTable {
  id: string;
  name: string;
  /** Path of the repo's flowline.yaml when the service was registered (informational). */
  config_path: string | null;
  created_at: string;
}

export interface ArtifactsTable {
  /** `sha256:<hex>` of the bundle's content. */
  id: string;
  service_id: string;
  /** Hash of the declared build inputs (issue 3 fills this in). */
  cache_key: string;
  commit_sha: string | null;
  size_bytes: number;
  created_at: string;
}

export interface RunsTable {
  id: string;
  service_id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  branch: string | null;
  commit_sha: string | null;
  commit_author_time: string | null;
  commit_message: string | null;
  artifact_id: string | null;
  /** JSON: the audit `where` of the run (host, CI provider and run id). */
  where_json: string;
  started_at: string;
  finished_at: string | null;
}

export interface EnvironmentsTable {
  id: string;
  service_id: string;
  name: string;
  kind: 'persistent' | 'ephemeral';
  branch: string | null;
  pull_request: number | null;
  expires_at: string | null;
  created_at: string;
  deleted_at: string | null;
}

export interface DeploymentsTable {
  id: string;
  service_id: string;
  environment_id: string;
  artifact_id: string;
  strategy: string;
  status: 'pending' | 'running' | 'succeeded' | 'failed' | 'rolled_back' | 'cancelled';
  actor: string;
  started_at: string;
  finished_at: string | null;
  /** One line a human can act on when the deployment failed. */
  reason: string | null;
}

export interface AuditEventsTable {
  /** Position in the chain, 1-based and gap-free. A unique key, so two writers cannot fork the chain. */
  seq: number;
  id: string;
  at: string;
  /** {@link import('../audit/types.js').Actor} as two columns, so `audit list --actor` can use an index. */
  actor_kind: 'token' | 'user' | 'ci';
  actor_name: string;
  action: string;
  target: string;
  /** JSON {@link import('../audit/types.js').Where}. */
  where_json: string;
  /** JSON object of extra facts; redacted of secrets before it is written. */
  details_json: string;
  prev_hash: string;
  hash: string;
}

/**
 * The newest event's seq and hash, in one row (id = 1) updated in the same transaction as each
 * append. The chain alone cannot show that its newest events were deleted; this row can. It is
 * also the row PostgreSQL writers will serialise on.
 */
export interface AuditHeadTable {
  id: number;
  seq: number;
  hash: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  /** sha256 hex of the secret; the secret itself is never stored. */
  secret_hash: string;
  /** `flt_` and the next 8 characters of the secret, to recognise a token in `token list` without revealing it. */
  prefix: string;
  role: 'read' | 'deploy' | 'admin';
  /** JSON array of environment names, or null for every environment. */
  environments_json: string | null;
  created_by: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

export type ServiceRow = Selectable<ServicesTable>;
export type ArtifactRow = Selectable<ArtifactsTable>;
export type RunRow = Selectable<RunsTable>;
export type EnvironmentRow = Selectable<EnvironmentsTable>;
export type DeploymentRow = Selectable<DeploymentsTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type NewAuditEventRow = Insertable<AuditEventsTable>;
export type MigrationRow = Selectable<MigrationsTable>;
