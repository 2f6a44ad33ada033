/** Flags and secrets, part of the store's schema (schema.ts), kept apart so each file stays readable. */

/** The current flag set of one service in one environment (src/flags/service). */
export interface FlagSetsTable {
  service: string;
  environment: string;
  /** 1, 2, 3, …: one more on every change. */
  version: number;
  /** Quoted, as sent in the `ETag` header. */
  etag: string;
  definition_json: string;
  updated_at: string;
  updated_by: string;
}

/** One row per version of a flag set: who changed what, and the whole definition after. */
export interface FlagHistoryTable {
  id: string;
  service: string;
  environment: string;
  version: number;
  at: string;
  actor_kind: string;
  actor_name: string;
  /** The audit action: `flag.set`, `flag.kill`, `flags.apply`, … */
  action: string;
  /** JSON array of the flag keys this version created, changed or deleted. */
  flags_json: string;
  summary: string;
  definition_json: string;
}

/** Server-side evaluations counted per flag and variant (flushed from memory every few seconds). */
export interface FlagEvaluationsTable {
  service: string;
  environment: string;
  flag: string;
  variant: string;
  count: number;
  last_at: string;
}

/** Evaluations per flag, variant and hour (the hour of the flush that wrote them), for charts. */
export interface FlagEvaluationHoursTable {
  service: string;
  environment: string;
  flag: string;
  variant: string;
  /** The hour's start, ISO 8601 UTC. */
  hour: string;
  count: number;
}

/** What kills (or switches) a flag automatically: an Alertmanager alert or a signed webhook. */
export interface FlagTriggersTable {
  id: string;
  service: string;
  environment: string;
  name: string;
  kind: 'alertmanager' | 'webhook';
  flag: string;
  /** JSON object of alert labels that must all match (alertmanager). */
  match_json: string;
  /** Served while the trigger holds the flag killed; null: the flag's default variant. */
  variant: string | null;
  /** 1: a resolved alert (or `resolved` webhook) lifts the kill this trigger pulled. */
  restore: number;
  /**
   * The HMAC key of a webhook trigger, sealed (base64 ciphertext; see src/secrets): verifying an
   * HMAC needs the key itself, so it is encrypted rather than hashed. Plain text in rows written
   * before migration 0011 (`secret_key_id` null) until the flag triggers seal them.
   */
  secret: string | null;
  /** The nonce of the sealed `secret`, base64. */
  secret_nonce: string | null;
  /** The id of the key `secret` is sealed with; null: not sealed (yet). */
  secret_key_id: string | null;
  state: 'idle' | 'fired';
  fired_at: string | null;
  created_at: string;
  created_by: string;
}

/**
 * A secret value of one service in one environment (src/secrets): sealed with AES-256-GCM, bound
 * to its service id, environment and name. The value itself is never stored.
 */
export interface SecretsTable {
  service_id: string;
  environment: string;
  /** An environment-variable name: `DATABASE_URL`. */
  name: string;
  /** Base64 ciphertext and its tag. */
  ciphertext: string;
  /** Base64, 12 random bytes per set. */
  nonce: string;
  /** The id of the key it is sealed with (16 hex). */
  key_id: string;
  /** 1 when first set, one more on every set. */
  version: number;
  updated_at: string;
  /** The actor's name. */
  updated_by: string;
}
