import type { Metric, Provider } from '../config/index.js';
import type { Value } from './expr/index.js';

/** The shapes shared by the analysis engine, its providers and its callers (the release controller). */

/**
 * What a provider measured. `noData` is its own outcome: it makes the measurement inconclusive,
 * never a pass. Providers return errors instead of throwing; a throw or a timeout becomes `error`.
 */
export type Measurement =
  | {
      readonly kind: 'value';
      /** `result` in the conditions. */
      readonly value: Value;
      /** `baseline` in the conditions: the same measurement of the stable revision or period. */
      readonly baseline?: Value | undefined;
      /** How many data points stood behind the value (requests, samples, pushed points). */
      readonly samples?: { readonly canary: number; readonly baseline?: number | undefined } | undefined;
      /** One line on how the value came about, shown in explanations (the judge's numbers). */
      readonly detail?: string | undefined;
      /** Provider specifics worth keeping with the measurement (small, JSON). */
      readonly raw?: Value | undefined;
      /**
       * More samples may change the value (the judge's pass that is not yet significant): the
       * engine asks again while it may wait for data (`sampleTimeout`), and keeps the last value
       * when the wait is over.
       */
      readonly tentative?: boolean | undefined;
    }
  | { readonly kind: 'noData'; readonly reason: string }
  | { readonly kind: 'error'; readonly message: string };

/** What is being analysed, for one measurement. */
export interface MeasureContext {
  readonly service: string;
  readonly environment: string;
  readonly canaryRevision: string;
  /** The stable revision compared against; absent on a first release. */
  readonly baselineRevision?: string | undefined;
  /**
   * True when `baselineRevision` is a fresh instance of the stable revision started beside the
   * canary (src/deploy/baseline.ts), not the warm stable one: the judge's default latency
   * tolerance is then 10% instead of 15% (DEFAULT_TOLERANCE in providers/router.ts).
   */
  readonly freshBaseline?: boolean | undefined;
  /** When the canary started taking traffic: the baseline period of business metrics ends here. */
  readonly canarySince?: Date | undefined;
  /** The provider's window, shortened to the canary's age when `canarySince` is known. */
  readonly windowMs: number;
  /** True when a condition reads `baseline`: the provider must measure it or say why it cannot. */
  readonly wantBaseline: boolean;
  readonly now: Date;
  /** Aborted on timeout or when the analysis stops; pass it to every I/O call. */
  readonly signal: AbortSignal;
}

/** A metric whose provider is of kind `K`. */
export type MetricOf<K extends Provider['kind']> = Metric & {
  readonly provider: Extract<Provider, { kind: K }>;
};

/** A source of measurements: the router, Prometheus, a web endpoint, pushed business metrics, the judge. */
export interface MetricProvider<K extends Provider['kind'] = Provider['kind']> {
  measure(metric: MetricOf<K>, ctx: MeasureContext): Promise<Measurement>;
}

/** The providers available to an analysis, by kind. A template using a missing one is refused. */
export type MetricProviders = { readonly [K in Provider['kind']]?: MetricProvider<K> };

/** Golden signals of one revision over a window, as the router records them. Latencies in ms; null = no data. */
export interface RouterSignals {
  readonly requests: number;
  readonly ratePerSec: number;
  readonly errors: number;
  /** errors / requests; null (or 0) without requests: the provider checks `requests`. */
  readonly errorRate: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly mean: number | null;
}

/**
 * Samples for the statistical judge: `latency` = latencies (ms) of individual requests in the
 * window: all of them, a uniform sample, or values expanded from a latency histogram (each
 * bucket's midpoint repeated by its count; the judge handles the ties); `errorRate` /
 * `requestRate` = the rate of each fixed interval (e.g. each second) in the window, oldest first,
 * intervals without requests left out of `errorRate`.
 */
export type SampleKind = 'latency' | 'errorRate' | 'requestRate';

/**
 * What the analysis needs from the router, kept small so the engine does not depend on the
 * router's internals. `undefined` signals: the router knows nothing of that revision.
 */
export interface RouterSignalsSource {
  signals(
    service: string,
    environment: string,
    revision: string,
    options: { readonly windowMs: number; readonly signal?: AbortSignal },
  ): RouterSignals | undefined | Promise<RouterSignals | undefined>;
  samples(
    service: string,
    environment: string,
    revision: string,
    options: { readonly kind: SampleKind; readonly windowMs: number; readonly signal?: AbortSignal },
  ): readonly number[] | Promise<readonly number[]>;
}

/** A business metric point pushed by the app (orders, sign-ups). */
export interface BusinessMetricPoint {
  readonly service: string;
  readonly environment: string;
  /** The revision that produced it, when the app knows; kept for later per-revision analysis. */
  readonly revision?: string | undefined;
  readonly name: string;
  readonly value: number;
  readonly at: Date;
}

export interface BusinessMetricsQuery {
  readonly service: string;
  readonly environment: string;
  readonly name: string;
  /** Inclusive start, exclusive end. */
  readonly from: Date;
  readonly to: Date;
  readonly revision?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Where pushed business metrics live. The in-memory one serves the embedded mode and tests; a
 * store-backed one implements the same two calls with a time-range query.
 */
export interface BusinessMetricsSink {
  push(point: BusinessMetricPoint): Promise<void>;
  window(query: BusinessMetricsQuery): Promise<readonly { readonly value: number; readonly at: Date }[]>;
}

/** Argo Rollouts' phases. `Running` only while a run is in progress. */
export type MeasurementPhase = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';
export type AnalysisPhase = 'Running' | MeasurementPhase;

/** One measurement as recorded: emitted through `onMeasurement` before the engine acts on it. */
export interface MeasurementRecord {
  readonly template: string;
  readonly metric: string;
  /** 1-based, per metric. */
  readonly index: number;
  readonly phase: MeasurementPhase;
  readonly value?: Value | undefined;
  readonly baseline?: Value | undefined;
  readonly samples?: { readonly canary: number; readonly baseline?: number | undefined } | undefined;
  /** The window the provider measured over (ms): its `window`, shortened to the canary's age. */
  readonly windowMs?: number | undefined;
  /** What the value stood on, in words: `42 requests vs 380 over the last 10s`. */
  readonly basis?: string | undefined;
  /** Why it is not Successful (or the judge's numbers). */
  readonly message?: string | undefined;
  /** ISO 8601: when the measurement began (before any wait for data) and when it was judged. */
  readonly startedAt: string;
  readonly finishedAt: string;
}

/** A measurement waits for data: why, and for how long at most. */
export interface WaitingNotice {
  readonly template: string;
  readonly metric: string;
  /** The index the measurement will have. */
  readonly index: number;
  /** `waiting up to 1m for data: canary r2 served 3 requests in the last 2s (minSamples 20)`. */
  readonly message: string;
}

/** A metric's standing. Counters as in Argo Rollouts: `count` excludes errors. */
export interface MetricStatus {
  readonly template: string;
  readonly name: string;
  readonly phase: AnalysisPhase;
  readonly count: number;
  readonly successful: number;
  readonly failed: number;
  readonly inconclusive: number;
  readonly error: number;
  readonly consecutiveErrors: number;
  /** One line when not Successful: what broke which limit. */
  readonly message?: string | undefined;
  /** The latest measurements (at most 10); all of them went through `onMeasurement`. */
  readonly measurements: readonly MeasurementRecord[];
}

export interface AnalysisResult {
  readonly phase: MeasurementPhase;
  /** One line a human can act on; for a failure, the metric that decided it. */
  readonly message: string;
  readonly metrics: readonly MetricStatus[];
  readonly startedAt: string;
  readonly finishedAt: string;
}
