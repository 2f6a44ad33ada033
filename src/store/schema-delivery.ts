import type { ColumnType, Selectable } from 'kysely';
import type { LaterText } from './columns.js';

/**
 * The delivery records the metrics, incidents and the quality plan are computed from (migrations
 * 0013 to 0017): part of the store's schema (schema.ts), kept apart so each file stays readable.
 */

/** A service's commit graph as runners recorded it from git (src/metrics/commits.ts). */
export interface CommitsTable {
  service_id: string;
  sha: string;
  /** JSON array of parent shas, first parent first. */
  parents_json: string;
  author: string;
  authored_at: string;
  committed_at: string;
  subject: string;
  lines_added: number;
  lines_deleted: number;
  /** The run whose walk recorded it first (null: imported). */
  run_id: string | null;
  imported: ColumnType<number, number | undefined, number>;
  recorded_at: string;
}

/** The git walk of one run: where it started and whether it saw all that was new. */
export interface RunHistoriesTable {
  run_id: string;
  head_sha: string;
  commits: number;
  /** 1 when the walk stopped at its maximum: older new commits were not read. */
  truncated: number;
  /** 1 for a shallow clone: history beyond its boundary was missing. */
  shallow: number;
  recorded_at: string;
}

/** The commits a deployment shipped to its environment for the first time. */
export interface DeploymentCommitsTable {
  deployment_id: string;
  sha: string;
}

/** A problem users had in an environment (src/incidents). */
export interface IncidentsTable {
  id: string;
  service_id: string;
  environment_id: string;
  title: string;
  /** `manual`, `analysis`, `rollback`, `flagTrigger`, `alert`, `imported`. */
  source: string;
  status: 'open' | 'acknowledged' | 'resolved';
  opened_at: string;
  opened_by: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  resolved_at: string | null;
  resolved_by: string | null;
  resolution: string | null;
  /** `deployment` or `flagChange`; null when nothing changed before it. */
  cause_kind: string | null;
  cause_id: string | null;
  /** 1 when the cause is the last change before the incident, not a recorded link. */
  cause_inferred: ColumnType<number, number | undefined, number>;
  imported: ColumnType<number, number | undefined, number>;
  /**
   * What an incident Flowline opened by itself stands for (`deployment:<id>`, `alert:…`,
   * `trigger:…`), so one failure never opens two; null for incidents opened by people.
   */
  dedup_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** The id an imported incident had in the team's previous tool (unique per service). */
  external_id: LaterText;
}

export type IncidentRow = Selectable<IncidentsTable>;

/** What one run measured for one deliverable of its quality plan (src/quality). */
export interface QualityMeasurementsTable {
  id: string;
  run_id: string;
  deliverable: string;
  method: string;
  /** The stage whose report (or exit code) was read; null for checks made at the end of the run. */
  stage: string | null;
  /** JSON: metric → number; null when the measurement failed. */
  values_json: string | null;
  /** JSON: `{ code, message, file, line?, column? }` when the report could not be read. */
  error_json: string | null;
  /** The report file, relative to the repository. */
  file: string | null;
  file_sha256: string | null;
  /** JSON: `documentation`'s files → sha256 (null: missing). */
  files_json: string | null;
  measured_at: string;
}

export type QualityMeasurementRow = Selectable<QualityMeasurementsTable>;

/** A person's sign-off of a manual deliverable for a period (`flowline report signoff`). */
export interface QualitySignoffsTable {
  id: string;
  service_id: string;
  deliverable: string;
  /** `YYYY-MM`. */
  period: string;
  verdict: 'accepted' | 'rejected';
  signed_by: string;
  note: string | null;
  /** The actor who recorded it (token or OS user). */
  recorded_by: string;
  recorded_at: string;
}
