/**
 * The answers of the delivery-metrics routes the metrics view reads (docs/api.md, docs/metrics.md,
 * docs/quality.md): `GET /v1/metrics/dora|flow`, `GET /v1/incidents`, `GET /v1/reports/quality`.
 * Only the fields the view uses are listed; src/metrics/types.ts is the full contract.
 */

export type Cluster = 'elite' | 'high' | 'medium' | 'low';

export interface ClusterAssignment {
  readonly report: 2023 | 2024;
  readonly cluster: Cluster | null;
  readonly reason: string;
}

interface KeyBase {
  readonly definition: string;
  readonly count: number;
  readonly clusters: readonly ClusterAssignment[];
}

export interface DeploymentFrequency extends KeyBase {
  readonly deployments: number;
  readonly perDay: number;
  readonly perWeek: number;
  readonly deploymentDays: number;
  readonly deploymentDaysPerWeek: number;
  readonly bucket: 'onDemand' | 'daily' | 'weekly' | 'monthly' | 'fewer';
  readonly rollbacks: number;
  readonly deploymentIds: readonly string[];
}

export interface ChangeLeadTime extends KeyBase {
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
  readonly commitShas: readonly string[];
  readonly deploymentIds: readonly string[];
  readonly unknownCommits: readonly string[];
  readonly skewedCommits: readonly string[];
}

export interface ChangeFailRate extends KeyBase {
  readonly rate: number | null;
  readonly failures: readonly {
    readonly deploymentId: string;
    readonly reasons: readonly string[];
    readonly incidentIds: readonly string[];
  }[];
  readonly deploymentIds: readonly string[];
  readonly notReached: readonly string[];
  readonly inferredOnly: number;
}

export interface RecoveryTime extends KeyBase {
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
  readonly recovered: readonly {
    readonly deploymentId: string;
    readonly startedAt: string;
    readonly recoveredAt: string;
    readonly durationMs: number;
  }[];
  readonly open: readonly {
    readonly deploymentId: string;
    readonly startedAt: string;
    readonly openForMs: number;
    readonly incidentIds: readonly string[];
  }[];
}

export interface ReworkRate extends KeyBase {
  readonly rate: number | null;
  readonly unplannedIds: readonly string[];
  readonly byReason: Readonly<Record<'rollback' | 'hotfix' | 'incident', number>>;
  readonly deploymentIds: readonly string[];
}

export interface Scope {
  readonly service: string;
  readonly environment: string;
}

export interface MetricsWindow {
  readonly from: string;
  readonly to: string;
}

export interface DoraReport {
  readonly scope: Scope;
  readonly window: MetricsWindow;
  readonly deploymentFrequency: DeploymentFrequency;
  readonly changeLeadTime: ChangeLeadTime;
  readonly changeFailRate: ChangeFailRate;
  readonly recoveryTime: RecoveryTime;
  readonly reworkRate: ReworkRate;
}

export interface DoraResult {
  readonly environment: string;
  readonly window: MetricsWindow;
  readonly services: readonly DoraReport[];
}

/** The five keys in the order the page shows them; also their `data-testid` suffixes. */
export const DORA_KEYS = [
  'deploymentFrequency',
  'changeLeadTime',
  'changeFailRate',
  'recoveryTime',
  'reworkRate',
] as const;
export type DoraKey = (typeof DORA_KEYS)[number];

export interface StageSummary {
  readonly stage: string;
  readonly medianMs: number | null;
  readonly p90Ms: number | null;
  readonly count: number;
  readonly share: number;
}

export const FLOW_STATES = [
  'committed',
  'building',
  'testing',
  'tested',
  'staging',
  'releasing',
  'production',
] as const;
export type FlowState = (typeof FLOW_STATES)[number];

export interface FlowDay {
  readonly day: string;
  readonly counts: Readonly<Record<FlowState, number>>;
}

export interface FlowReport {
  readonly scope: Scope;
  readonly window: MetricsWindow;
  readonly stages: {
    readonly count: number;
    readonly stages: readonly StageSummary[];
    readonly shas: readonly string[];
  };
  readonly batchSizes: {
    readonly count: number;
    readonly commits: { readonly median: number | null; readonly p90: number | null };
    readonly linesChanged: { readonly median: number | null; readonly p90: number | null };
    readonly perDeployment: readonly {
      readonly deploymentId: string;
      readonly commits: number;
      readonly linesChanged: number;
    }[];
    readonly unknownCommits: number;
  };
  readonly workInProgress: { readonly count: number; readonly shas: readonly string[] };
  readonly cumulativeFlow: readonly FlowDay[];
}

export interface FlowResult {
  readonly environment: string;
  readonly window: MetricsWindow;
  readonly services: readonly FlowReport[];
}

export interface Incident {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly title: string;
  readonly source: string;
  readonly status: 'open' | 'acknowledged' | 'resolved';
  readonly openedAt: string;
  readonly openedBy: string;
  readonly acknowledgedAt: string | null;
  readonly resolvedAt: string | null;
  readonly resolvedBy: string | null;
  readonly resolution: string | null;
  readonly cause: {
    readonly kind: 'deployment' | 'flagChange';
    readonly id: string;
    readonly inferred: boolean;
  } | null;
}

export interface QualityEvidence {
  readonly runId?: string;
  readonly runStartedAt?: string;
  readonly branch?: string | null;
  readonly commitSha?: string | null;
  readonly artifactId?: string | null;
  readonly stage?: string | null;
  readonly file?: string | null;
  readonly sha256?: string | null;
  readonly ids?: readonly string[];
  /** The environment of the deployments in `ids`. */
  readonly environment?: string;
  readonly files?: Readonly<Record<string, string | null>>;
  readonly signoff?: { readonly signedBy: string; readonly verdict: string; readonly recordedAt: string };
}

export interface QualityAssessment {
  readonly id: string;
  readonly name: string;
  readonly standard: string;
  readonly aql: string;
  readonly method: string;
  readonly methodDetail: string;
  readonly verdict: 'pass' | 'fail' | 'no data';
  readonly measured: Readonly<Record<string, number>>;
  readonly conditions: readonly {
    readonly text: string;
    readonly measured: number | null;
    readonly met: boolean | null;
  }[];
  readonly reason: string | null;
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly file: string;
    readonly line?: number;
    readonly column?: number;
  } | null;
  readonly evidence: QualityEvidence;
}

export interface QualityReport {
  readonly service: string;
  readonly period: { readonly label: string; readonly from: string; readonly to: string };
  readonly generatedAt: string;
  readonly plan: { readonly artifactId: string; readonly runId: string; readonly trunk: string | null };
  readonly summary: Readonly<Record<'pass' | 'fail' | 'no data', number>>;
  readonly deliverables: readonly QualityAssessment[];
}
