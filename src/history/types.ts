import type { Actor, Where } from '../audit/index.js';
import type { CommitFacts } from '../core/git.js';
import type { RangeStatus } from '../metrics/index.js';

/** The formats a history file may be in (docs/metrics.md, "Importing history"). */
export type HistoryFormat = 'csv' | 'json';

/** A history file as read: its name (for error locations), its text, and its format. */
export interface HistoryFile {
  /** Shown in every error location (`deployments.csv:12`); never opened by the importer. */
  readonly name: string;
  readonly text: string;
  /** Default: from the name's extension, else from the first character (`{` is JSON). */
  readonly format?: HistoryFormat;
  /** The service of rows that name none; a row naming another one is refused. */
  readonly service?: string;
}

/** Where a row came from: a CSV line, or a JSON path such as `deployments[3]`. */
export interface RowPlace {
  readonly file: string;
  /** The CSV line the row is on (1 is the header). */
  readonly line?: number;
  /** The JSON path of the row (`deployments[3]`); absent for CSV. */
  readonly path?: string;
}

/** One past deployment, checked: times are ISO-8601 UTC, the sha is lowercase. */
export interface ImportedDeployment {
  readonly place: RowPlace;
  /** The id the team's previous tool gave it (kept as the external id). */
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly commitSha: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly outcome: 'succeeded' | 'failed' | 'rolledBack' | 'failedAnalysis';
  readonly kind: 'deploy' | 'rollback';
  /** Null when planned; a `rollback` kind is always `rollback`. */
  readonly unplannedReason: 'rollback' | 'hotfix' | 'incident' | null;
  /** What the previous tool called the artifact (an image tag, a version); null: the commit. */
  readonly artifact: string | null;
}

/** One past incident, checked. */
export interface ImportedIncident {
  readonly place: RowPlace;
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly title: string;
  readonly openedAt: string;
  readonly acknowledgedAt: string | null;
  readonly resolvedAt: string | null;
  /** A deployment's external id (this file's or an earlier import's), or a Flowline `dep_…` id. */
  readonly causeDeployment: string | null;
}

/** A file parsed and checked row by row, ready to import. */
export interface ParsedHistory<T> {
  readonly file: string;
  readonly rows: readonly T[];
}

/** The environments a parsed file writes to, for the caller's authorization. */
export function environmentsOf(rows: readonly { environment: string }[]): string[] {
  return [...new Set(rows.map((r) => r.environment))].sort();
}

/** Who imports, for the records and the audit trail. */
export interface HistoryActor {
  readonly actor: Actor;
  readonly where: Where;
}

/** How the commit ranges of imported deployments came out (docs/metrics.md). */
export type RangeCounts = Record<RangeStatus, number>;

/** What an import did. `skipped`: rows already imported with the same values. */
export interface ImportResult {
  readonly kind: 'deployments' | 'incidents' | 'commits';
  readonly file: string;
  readonly rows: number;
  readonly imported: number;
  readonly skipped: number;
  /** Deployments whose commit range was (re)computed, by status; absent for incidents. */
  readonly ranges?: RangeCounts;
}

/** A page of commits read from a repository, sent in order; `last` recomputes the ranges. */
export interface CommitPage {
  readonly service: string;
  readonly commits: readonly CommitFacts[];
  readonly last: boolean;
}

/** Progress of a long import: a phase and how far it is. */
export type ImportProgress = (phase: string, done: number, total: number) => void;

/**
 * Imports history from before Flowline: each file whole in one transaction or not at all;
 * every imported record is marked imported. See docs/metrics.md, "Importing history".
 */
export interface HistoryImport {
  deployments(
    parsed: ParsedHistory<ImportedDeployment>,
    by: HistoryActor,
    progress?: ImportProgress,
  ): Promise<ImportResult>;
  incidents(parsed: ParsedHistory<ImportedIncident>, by: HistoryActor): Promise<ImportResult>;
  /** One page of a repository's commits (idempotent); the last page recomputes the ranges. */
  commits(page: CommitPage, by: HistoryActor, progress?: ImportProgress): Promise<ImportResult>;
}
