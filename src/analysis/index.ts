/**
 * The analysis engine of progressive delivery: metric providers (router golden signals,
 * Prometheus, web checks, pushed business metrics, a statistical judge), a safe condition
 * language, and AnalysisRun semantics as in Argo Rollouts. The release controller calls
 * {@link runAnalysis} and persists every measurement it emits. docs/analysis.md explains it.
 */

import { createBusinessProvider } from './providers/business.js';
import type { Fetch } from './providers/http.js';
import { createPrometheusProvider } from './providers/prometheus.js';
import type { JudgeProviderOptions } from './providers/router.js';
import { createJudgeProvider, createRouterProvider } from './providers/router.js';
import { createWebProvider } from './providers/web.js';
import type { BusinessMetricsSink, MetricProviders, RouterSignalsSource } from './types.js';

export { createVirtualTime, realSleep, type Sleep, type VirtualTime } from '../core/sleep.js';
export { decide, describeMeasurement, type MetricPlan, type Outcome, planMetric } from './decide.js';
export {
  type EvalResult,
  type Expression,
  type ExprSyntaxError,
  evaluate,
  evaluateCondition,
  formatSyntaxError,
  parseExpression,
  parseJsonPath,
  type Value,
} from './expr/index.js';
export { aggregateOf, createBusinessProvider } from './providers/business.js';
export {
  createMemoryBusinessMetrics,
  type MemoryBusinessMetricsOptions,
} from './providers/business-memory.js';
export type { Fetch } from './providers/http.js';
export { createPrometheusProvider } from './providers/prometheus.js';
export {
  createJudgeProvider,
  createRouterProvider,
  DEFAULT_TOLERANCE,
  type JudgeProviderOptions,
  judgeTolerance,
} from './providers/router.js';
export { createWebProvider } from './providers/web.js';
export { type AnalysisTarget, type RunAnalysisOptions, runAnalysis } from './run.js';
export { type JudgeOptions, type JudgeVerdict, judge } from './stats/judge.js';
export { type MannWhitneyResult, mannWhitneyU } from './stats/mann-whitney.js';
export type * from './types.js';

export interface ProviderDeps {
  /** The router's golden signals; enables the `router` and `judge` providers. */
  readonly router?: RouterSignalsSource;
  /** Pushed business metrics; enables the `business` provider. */
  readonly business?: BusinessMetricsSink;
  /** HTTP client of the `prometheus` and `web` providers; default: global fetch. */
  readonly fetch?: Fetch;
  readonly judge?: JudgeProviderOptions;
}

/** Every provider whose dependency is given; `prometheus` and `web` need only HTTP. */
export function createProviders(deps: ProviderDeps = {}): MetricProviders {
  const http = deps.fetch === undefined ? {} : { fetch: deps.fetch };
  return {
    prometheus: createPrometheusProvider(http),
    web: createWebProvider(http),
    ...(deps.router === undefined
      ? {}
      : { router: createRouterProvider(deps.router), judge: createJudgeProvider(deps.router, deps.judge) }),
    ...(deps.business === undefined ? {} : { business: createBusinessProvider(deps.business) }),
  };
}
