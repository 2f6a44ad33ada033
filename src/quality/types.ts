import type { AqlCondition, Deliverable, QualityMethod } from '../config/index.js';
import type { DoraReport } from '../metrics/index.js';

/** Why a deliverable could not be measured in a run: a coded error naming the file (and line). */
export interface MeasurementError {
  readonly code: 'FLOWLINE_QUALITY_REPORT_MISSING' | 'FLOWLINE_QUALITY_REPORT_INVALID';
  readonly message: string;
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * What a run measured for one deliverable, as the runner records it: the values, or the error,
 * and the evidence — the stage and the report file with its sha256 (the bytes that were read).
 */
export interface Measurement {
  readonly deliverable: string;
  readonly method: QualityMethod;
  readonly stage: string | null;
  /** Metric → number; null when the report could not be read. */
  readonly values: Readonly<Record<string, number>> | null;
  readonly error: MeasurementError | null;
  readonly file: string | null;
  readonly sha256: string | null;
  /** `documentation`: each file that had to exist, with its sha256 (null: missing). */
  readonly files?: Readonly<Record<string, string | null>>;
}

export interface RecordedMeasurement extends Measurement {
  readonly runId: string;
  readonly measuredAt: string;
}

/** A person's verdict on a manual deliverable for a period. */
export interface Signoff {
  readonly id: string;
  readonly service: string;
  readonly deliverable: string;
  /** `YYYY-MM`. */
  readonly period: string;
  readonly verdict: 'accepted' | 'rejected';
  readonly signedBy: string;
  readonly note: string | null;
  readonly recordedBy: string;
  readonly recordedAt: string;
}

export interface SignoffInput {
  readonly service: string;
  readonly deliverable: string;
  readonly period: string;
  readonly verdict: 'accepted' | 'rejected';
  readonly signedBy: string;
  readonly note?: string;
}

/** Where the DORA keys come from: the metrics service reading the store (wired in src/app). */
export type DoraSource = (
  scope: { readonly service: string; readonly environment: string },
  window: { readonly from: Date; readonly to: Date },
) => Promise<DoraReport>;

/** The outcome of one deliverable: `no data` is never a pass. */
export type Verdict = 'pass' | 'fail' | 'no data';

/** One condition of an AQL with the value it was checked against. */
export interface ConditionResult extends AqlCondition {
  /** The measured value, or null when it was not measured (then the verdict is `no data`). */
  readonly measured: number | null;
  readonly met: boolean | null;
}

/** What backs a verdict: enough for a reader to find and check the record. */
export interface Evidence {
  readonly runId?: string;
  readonly runStartedAt?: string;
  readonly branch?: string | null;
  readonly commitSha?: string | null;
  readonly artifactId?: string | null;
  readonly stage?: string | null;
  readonly file?: string | null;
  readonly sha256?: string | null;
  /** Deployments, or sign-offs, the figure is computed from. */
  readonly ids?: readonly string[];
  /** The environment of the deployments in `ids` (methods `dora` and `deployment`), to find them by. */
  readonly environment?: string;
  /** Files that had to exist, with their sha256 (null: missing). */
  readonly files?: Readonly<Record<string, string | null>>;
  readonly signoff?: Signoff;
}

export interface Assessment {
  readonly id: string;
  readonly name: string;
  readonly standard: string;
  readonly aql: string;
  readonly method: QualityMethod;
  /** How the method was applied, in words (`lcov report coverage/lcov.info of stage unit`). */
  readonly methodDetail: string;
  readonly verdict: Verdict;
  /** The measured figures (metric → value), empty when there are none. */
  readonly measured: Readonly<Record<string, number>>;
  readonly conditions: readonly ConditionResult[];
  /** Why the verdict is `no data`, or the error of a failed measurement. */
  readonly reason: string | null;
  readonly error: MeasurementError | null;
  readonly evidence: Evidence;
}

/** The assessed quality plan of one service for one period. */
export interface QualityReport {
  readonly service: string;
  readonly period: { readonly label: string; readonly from: string; readonly to: string };
  readonly generatedAt: string;
  /** The artifact whose sealed flowline.yaml holds the plan assessed, and the run that built it. */
  readonly plan: { readonly artifactId: string; readonly runId: string; readonly trunk: string | null };
  readonly summary: Readonly<Record<Verdict, number>>;
  readonly deliverables: readonly Assessment[];
}

export type { Deliverable };
