import type { Metric } from '../config/index.js';
import { FlowlineError } from '../core/errors.js';
import {
  type Expression,
  evaluateCondition,
  formatSyntaxError,
  parseExpression,
  type Value,
} from './expr/index.js';
import type { Measurement, MeasurementPhase, MeasurementRecord, MetricStatus } from './types.js';

/**
 * From a measurement to a verdict, as an Argo Rollouts AnalysisRun decides: a true
 * failureCondition fails; with both conditions, neither true is inconclusive; with only a
 * successCondition, not success is failure; with only a failureCondition, not failure is success.
 * A judge metric without conditions succeeds on 1 and fails on 0.
 */

/** A metric ready to measure: its conditions parsed once. */
export interface MetricPlan {
  readonly template: string;
  readonly metric: Metric;
  readonly success?: Expression | undefined;
  readonly failure?: Expression | undefined;
  readonly usesBaseline: boolean;
  /** What the value is, in explanations: `errorRate`, `orders sum`, `result`. */
  readonly label: string;
}

export interface Outcome {
  readonly phase: MeasurementPhase;
  readonly value?: Value | undefined;
  readonly baseline?: Value | undefined;
  /** Why it is not Successful: "broke `result < 0.01`", a provider error, the judge's numbers. */
  readonly message?: string | undefined;
  /** Inconclusive for want of data (none, too few samples, no baseline value): more may come. */
  readonly noData?: boolean | undefined;
}

/** Parses a metric's conditions; throws FLOWLINE_ANALYSIS_INVALID when one cannot run. */
export function planMetric(template: string, metric: Metric): MetricPlan {
  const parse = (field: 'successCondition' | 'failureCondition'): Expression | undefined => {
    const source = metric[field];
    if (source === undefined) return undefined;
    const parsed = parseExpression(source);
    if (parsed.ok) return parsed.expr;
    throw new FlowlineError(
      'FLOWLINE_ANALYSIS_INVALID',
      `${template}/${metric.name}: \`${field}\` does not parse: ${formatSyntaxError(parsed.error)}`,
      {
        hint:
          parsed.error.hint ?? 'run `flowline validate` to see every problem at its place in flowline.yaml',
      },
    );
  };
  const success = parse('successCondition');
  const failure = parse('failureCondition');
  const { provider } = metric;
  if (success === undefined && failure === undefined && provider.kind !== 'judge') {
    throw new FlowlineError(
      'FLOWLINE_ANALYSIS_INVALID',
      `${template}/${metric.name}: the metric has neither \`successCondition\` nor \`failureCondition\``,
      { hint: 'add e.g. `successCondition: result < 0.01`' },
    );
  }
  const label =
    provider.kind === 'router' || provider.kind === 'judge'
      ? provider.signal
      : provider.kind === 'business'
        ? `${provider.metric} ${provider.aggregate}`
        : 'result';
  return {
    template,
    metric,
    success,
    failure,
    usesBaseline: Boolean(success?.usesBaseline || failure?.usesBaseline),
    label,
  };
}

export function decide(plan: MetricPlan, measurement: Measurement): Outcome {
  if (measurement.kind === 'error') return { phase: 'Error', message: measurement.message };
  if (measurement.kind === 'noData')
    return { phase: 'Inconclusive', message: `no data: ${measurement.reason}`, noData: true };
  const { value, baseline, detail } = measurement;
  const seen = { value, ...(baseline === undefined ? {} : { baseline }) };
  const { success, failure } = plan;
  if (plan.usesBaseline && baseline === undefined) {
    return {
      phase: 'Inconclusive',
      ...seen,
      message: 'no data: the condition reads `baseline`, but there is no baseline value',
      noData: true,
    };
  }
  if (success === undefined && failure === undefined) {
    if (value === 1) return { phase: 'Successful', ...seen, message: detail };
    if (value === 0) return { phase: 'Failed', ...seen, message: detail ?? 'judged worse than the baseline' };
    return {
      phase: 'Error',
      ...seen,
      message: `expected 1 or 0 from the judge, got ${JSON.stringify(value)}`,
    };
  }
  const scope = { result: value, baseline: baseline ?? null };
  const check = (expr: Expression | undefined): boolean | Outcome | undefined => {
    if (expr === undefined) return undefined;
    const out = evaluateCondition(expr, scope);
    if (out.ok) return out.value;
    return {
      phase: 'Error',
      ...seen,
      message: `\`${expr.source}\`: ${out.error.message} (column ${out.error.column})`,
    };
  };
  const failed = check(failure);
  if (typeof failed === 'object') return failed;
  const succeeded = check(success);
  if (typeof succeeded === 'object') return succeeded;
  const withDetail = (message: string) =>
    plan.metric.provider.kind === 'judge' && detail ? `${message}: ${detail}` : message;
  if (failed === true) return { phase: 'Failed', ...seen, message: withDetail(`met \`${failure?.source}\``) };
  if (succeeded === true || (succeeded === undefined && failed === false)) {
    return { phase: 'Successful', ...seen, ...(detail === undefined ? {} : { message: detail }) };
  }
  if (failed === false) return { phase: 'Inconclusive', ...seen, message: 'neither condition holds' };
  return { phase: 'Failed', ...seen, message: withDetail(`broke \`${success?.source}\``) };
}

/** One line about a metric that is not Successful, e.g. the failure limit it broke and why. */
export function explainMetric(
  plan: MetricPlan,
  status: Pick<MetricStatus, 'phase' | 'count' | 'failed' | 'inconclusive' | 'consecutiveErrors'>,
  last: Outcome | undefined,
): string {
  const { metric } = plan;
  const times = (n: number) => `${n} time${n === 1 ? '' : 's'}`;
  const why = last?.message ?? 'no measurement';
  switch (status.phase) {
    case 'Failed': {
      const what = plan.metric.provider.kind === 'judge' ? why : `${describeValues(plan.label, last)} ${why}`;
      return `${metric.name}: ${what} ${times(status.failed)} (limit ${metric.failureLimit})`;
    }
    case 'Inconclusive':
      // Within the limit, yet not one measurement passed: said so, not as a broken limit.
      return status.inconclusive > 0 && status.inconclusive <= metric.inconclusiveLimit
        ? `${metric.name}: not one of ${status.count} measurement${status.count === 1 ? '' : 's'} passed, ${status.inconclusive} inconclusive (limit ${metric.inconclusiveLimit}): ${why}`
        : `${metric.name}: inconclusive ${times(status.inconclusive)} (limit ${metric.inconclusiveLimit}): ${why}`;
    case 'Error':
      return `${metric.name}: ${status.consecutiveErrors} error${status.consecutiveErrors === 1 ? '' : 's'} in a row (limit ${metric.consecutiveErrorLimit}): ${why}`;
    default:
      return `${metric.name}: ${status.count} measurement${status.count === 1 ? '' : 's'} ${status.phase === 'Running' ? 'so far' : 'successful'}`;
  }
}

/** `errorRate 0.083 (canary) vs 0.000 (baseline)`, or `errorRate 0.083` without a baseline. */
function describeValues(label: string, outcome: Outcome | undefined): string {
  if (outcome === undefined || outcome.value === undefined) return label;
  const { value, baseline } = outcome;
  const integers = Number.isInteger(value) && (baseline === undefined || Number.isInteger(baseline));
  const show = (v: Value) => formatValue(v, integers);
  if (baseline === undefined || baseline === null) return `${label} ${show(value)}`;
  return `${label} ${show(value)} (canary) vs ${show(baseline)} (baseline)`;
}

export function formatValue(value: Value, plain = false): string {
  if (typeof value === 'number') {
    if (plain || !Number.isFinite(value)) return String(value);
    return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(3);
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/**
 * One measurement as a progress and journal line: `errors/error-rate #1: Successful = 0 vs
 * baseline 0.0012 (42 requests vs 380 over the last 10s)`, then why it is not Successful.
 */
export function describeMeasurement(r: MeasurementRecord): string {
  const value = r.value === undefined ? '' : ` = ${formatMeasured(r.value)}`;
  const baseline = r.baseline === undefined ? '' : ` vs baseline ${formatMeasured(r.baseline)}`;
  const basis = r.basis === undefined ? '' : ` (${r.basis})`;
  const why = r.message === undefined ? '' : ` — ${r.message}`;
  return `${r.template}/${r.metric} #${r.index}: ${r.phase}${value}${baseline}${basis}${why}`;
}

/** Four decimals for the small rates a journal line is read for (0.0012), integers as they are. */
function formatMeasured(value: Value): string {
  return typeof value === 'number'
    ? Number.isInteger(value)
      ? String(value)
      : value.toFixed(4)
    : JSON.stringify(value);
}
