/**
 * The flag routes' answers as the dashboard reads them (docs/flags.md, "HTTP API";
 * src/flags/service/types.ts). Only the fields the flags view uses are listed.
 */
import type { ApiErrorBody } from './client.js';

/** One flag's definition: shown and edited whole, so unknown fields are kept as they are. */
export interface FlagDefinition {
  readonly type?: string;
  readonly variants?: Readonly<Record<string, unknown>>;
  readonly defaultVariant?: string;
  readonly enabled?: boolean;
  readonly killed?: boolean;
  readonly killVariant?: string;
  readonly rules?: readonly unknown[];
  readonly targeting?: unknown;
  readonly schedule?: readonly unknown[];
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
}

export interface FlagSetDefinition {
  readonly flags: Readonly<Record<string, FlagDefinition>>;
  readonly [field: string]: unknown;
}

export interface FlagActivity {
  readonly changedAt: string | null;
  readonly evaluatedAt: string | null;
  readonly evaluations: Readonly<Record<string, number>>;
}

export interface FlagEnvironment {
  readonly service: string;
  readonly environment: string;
  readonly version: number;
  /** Quoted, as sent in `If-Match`. */
  readonly etag: string;
  readonly definition: FlagSetDefinition;
  readonly updatedAt: string | null;
  readonly flags: Readonly<Record<string, FlagActivity>>;
}

/** A temporary flag to remove from the code (`flowline flags stale`). */
export interface StaleFlag {
  readonly flag: string;
  readonly reason: 'expired' | 'settled';
  readonly variant?: string;
  readonly environments: readonly string[];
  readonly changedAt: string | null;
  readonly evaluatedAt: string | null;
  readonly expires?: string;
}

/** `GET /v1/flags/{service}`. */
export interface FlagOverview {
  readonly service: string;
  readonly environments: readonly FlagEnvironment[];
  readonly staleDays: number;
  readonly stale: readonly StaleFlag[];
}

/** `GET /v1/flags/{service}/{environment}/history`. */
export interface FlagHistoryEntry {
  readonly version: number;
  readonly at: string;
  readonly actor: { readonly kind: string; readonly name: string };
  readonly action: string;
  readonly flags: readonly string[];
  readonly summary: string;
}

/** `GET /v1/flags/{service}/{environment}/evaluations`: counts aligned with `hours`. */
export interface EvaluationSeries {
  readonly service: string;
  readonly environment: string;
  readonly range: '24h' | '7d';
  readonly hours: readonly string[];
  readonly flags: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
}

/** `POST /v1/flags/{service}/{environment}/validate`: the write's own verdict, nothing written. */
export type ValidateAnswer =
  | { readonly valid: true; readonly version: number; readonly etag: string }
  | { readonly valid: false; readonly status: number; readonly error: ApiErrorBody };

export interface CatalogService {
  readonly name: string;
}
