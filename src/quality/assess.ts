import { type Deliverable, meets } from '../config/index.js';
import type { DoraReport } from '../metrics/index.js';
import type {
  Assessment,
  ConditionResult,
  Evidence,
  RecordedMeasurement,
  Signoff,
  Verdict,
} from './types.js';

/**
 * Assessing the quality plan for a period: pure, records in, verdicts out. A verdict is `pass`
 * only when every condition of the AQL was measured and met; a condition with no measured value
 * makes it `no data`, never a pass. A measurement whose report could not be read is a `fail`:
 * the run that had to produce the evidence produced none (its coded error is the reason).
 */

/** A measurement with the run it was taken in. */
export interface MeasuredRun {
  readonly measurement: RecordedMeasurement;
  readonly run: {
    readonly id: string;
    readonly startedAt: string;
    readonly branch: string | null;
    readonly commitSha: string | null;
    readonly artifactId: string | null;
  };
}

/** Deployments of one environment that finished in the period. */
export interface EnvironmentDeployments {
  readonly succeeded: readonly string[];
  readonly failed: readonly string[];
}

export interface AssessInput {
  readonly period: string;
  /** Per deliverable id: the measurement it is assessed on (the latest in the period). */
  readonly measured: ReadonlyMap<string, MeasuredRun>;
  /** Per environment: the DORA report, or why there is none. */
  readonly dora: ReadonlyMap<string, DoraReport | { readonly unavailable: string }>;
  /** Per environment: its deployments of the period, or why they are not shown. */
  readonly deployments: ReadonlyMap<string, EnvironmentDeployments | { readonly unavailable: string }>;
  /** Per deliverable id: the latest sign-off for the period. */
  readonly signoffs: ReadonlyMap<string, Signoff>;
}

export function assess(deliverables: readonly Deliverable[], input: AssessInput): Assessment[] {
  return deliverables.map((deliverable) => assessOne(deliverable, input));
}

interface Figures {
  readonly values: Readonly<Record<string, number | null>>;
  readonly evidence: Evidence;
  /** Why nothing was measured; set only when nothing was. */
  readonly missing?: string;
  readonly error?: Assessment['error'];
}

function assessOne(deliverable: Deliverable, input: AssessInput): Assessment {
  const head = {
    id: deliverable.id,
    name: deliverable.name,
    standard: deliverable.standard,
    aql: deliverable.aqlText,
    method: deliverable.method,
    methodDetail: methodDetail(deliverable),
  };
  if (deliverable.method === 'manual') return manual(head, input.signoffs.get(deliverable.id), input.period);
  const figures = figuresOf(deliverable, input);
  const measured = Object.fromEntries(
    Object.entries(figures.values).filter((entry): entry is [string, number] => entry[1] !== null),
  );
  const conditions: ConditionResult[] = deliverable.conditions.map((condition) => {
    const value = figures.values[condition.metric] ?? null;
    return { ...condition, measured: value, met: value === null ? null : meets(value, condition) };
  });
  const error = figures.error ?? null;
  const verdict: Verdict =
    error !== null || conditions.some((c) => c.met === false)
      ? 'fail'
      : figures.missing !== undefined || conditions.some((c) => c.met === null)
        ? 'no data'
        : 'pass';
  const unmeasured = conditions.filter((c) => c.met === null).map((c) => `\`${c.metric}\``);
  const reason =
    error?.message ??
    figures.missing ??
    (unmeasured.length === 0 ? null : `${unmeasured.join(', ')} not measured`);
  return { ...head, verdict, measured, conditions, reason, error, evidence: figures.evidence };
}

function figuresOf(deliverable: Deliverable, input: AssessInput): Figures {
  if (deliverable.method === 'dora') {
    const environment = deliverable.environment ?? 'production';
    return doraFigures(input.dora.get(environment), environment);
  }
  if (deliverable.method === 'deployment') {
    const environment = deliverable.environment ?? 'staging';
    const found = input.deployments.get(environment) ?? {
      succeeded: [],
      failed: [],
    };
    if ('unavailable' in found) return { values: {}, evidence: {}, missing: found.unavailable };
    return {
      values: { succeeded: found.succeeded.length, failed: found.failed.length },
      evidence: { ids: [...found.succeeded, ...found.failed], environment },
    };
  }
  const hit = input.measured.get(deliverable.id);
  if (hit === undefined)
    return { values: {}, evidence: {}, missing: `no trunk run in ${input.period} measured it` };
  const { measurement: m, run } = hit;
  const evidence: Evidence = {
    runId: run.id,
    runStartedAt: run.startedAt,
    branch: run.branch,
    commitSha: run.commitSha,
    artifactId: run.artifactId,
    stage: m.stage,
    file: m.file,
    sha256: m.sha256,
    ...(m.files === undefined ? {} : { files: m.files }),
  };
  if (m.error !== null) return { values: {}, evidence, error: m.error };
  return { values: m.values ?? {}, evidence };
}

function doraFigures(
  report: DoraReport | { readonly unavailable: string } | undefined,
  environment: string,
): Figures {
  if (report === undefined)
    return { values: {}, evidence: {}, missing: 'no DORA report for this environment' };
  if ('unavailable' in report) return { values: {}, evidence: {}, missing: report.unavailable };
  const f = report.deploymentFrequency;
  return {
    values: {
      deploymentsPerDay: f.perDay,
      deploymentsPerWeek: f.perWeek,
      deploymentDaysPerWeek: f.deploymentDaysPerWeek,
      leadTime: report.changeLeadTime.medianMs,
      leadTimeP90: report.changeLeadTime.p90Ms,
      changeFailRate: report.changeFailRate.rate,
      recoveryTime: report.recoveryTime.medianMs,
      recoveryTimeP90: report.recoveryTime.p90Ms,
      reworkRate: report.reworkRate.rate,
    },
    evidence: { ids: f.deploymentIds, environment },
  };
}

function manual(
  head: Omit<Assessment, 'verdict' | 'measured' | 'conditions' | 'reason' | 'error' | 'evidence'>,
  signoff: Signoff | undefined,
  period: string,
): Assessment {
  const common = { ...head, measured: {}, conditions: [], error: null };
  if (signoff === undefined) {
    return { ...common, verdict: 'no data', reason: `not signed off for ${period}`, evidence: {} };
  }
  return {
    ...common,
    verdict: signoff.verdict === 'accepted' ? 'pass' : 'fail',
    reason: signoff.note,
    evidence: { signoff, ids: [signoff.id] },
  };
}

/** The method of assessment as a sentence fragment for the report. */
export function methodDetail(d: Deliverable): string {
  switch (d.method) {
    case 'coverage':
    case 'vulnerabilities':
    case 'accessibility':
      return `${d.format} report ${d.report} written by stage ${d.stage}`;
    case 'lint':
      return d.report === undefined
        ? `exit code of stage ${d.stage}`
        : `${d.format} report ${d.report} written by stage ${d.stage}`;
    case 'dora':
      return `DORA keys of ${d.environment} over the period`;
    case 'deployment':
      return `deployments to ${d.environment} that finished in the period`;
    case 'documentation':
      return `files present in the repository: ${(d.files ?? []).join(', ')}`;
    case 'manual':
      return `signed off by ${d.signedOffBy ?? 'a named person'} (flowline report signoff)`;
  }
}
