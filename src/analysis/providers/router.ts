import type { RouterSignal } from '../../config/index.js';
import { formatDuration } from '../../core/time.js';
import {
  type Direction,
  type JudgeOptions,
  type JudgeVerdict,
  judge,
  judgeCounts,
  type Statistic,
} from '../stats/judge.js';
import type { MetricOf, MetricProvider, RouterSignals, RouterSignalsSource, SampleKind } from '../types.js';

/**
 * The two providers fed by Flowline's own router, which need no setup: `router` reads one golden
 * signal of the canary (and of the stable revision, as `baseline`, over the same window); `judge`
 * compares samples of the two statistically (see stats/judge.ts).
 */

const FIELD: Record<RouterSignal, keyof RouterSignals> = {
  errorRate: 'errorRate',
  latencyP50: 'p50',
  latencyP95: 'p95',
  latencyP99: 'p99',
  requestRate: 'ratePerSec',
};

/**
 * Requests a revision must have served in the window before its signal is judged. A rate over a
 * handful of requests is noise: at 5 requests one error is 20%. A request rate needs no minimum
 * (0 requests is a rate of 0, a value).
 */
export const DEFAULT_MIN_REQUESTS = 20;

export function minRequests(provider: MetricOf<'router'>['provider']): number {
  return provider.minSamples ?? (provider.signal === 'requestRate' ? 0 : DEFAULT_MIN_REQUESTS);
}

export function createRouterProvider(source: RouterSignalsSource): MetricProvider<'router'> {
  return {
    async measure(metric, ctx) {
      const { signal: name } = metric.provider;
      const options = { windowMs: ctx.windowMs, signal: ctx.signal };
      const window = `the last ${formatDuration(ctx.windowMs)}`;
      const least = minRequests(metric.provider);
      // Rates of a revision without traffic are 0/0: no data. A request rate of 0 is a measurement.
      const enough = (requests: number) => requests >= least && (requests > 0 || name === 'requestRate');
      const served = (who: string, requests: number) =>
        `${who} served ${requests} request${requests === 1 ? '' : 's'} in ${window}` +
        (least > 1 ? ` (minSamples ${least})` : '');
      // What waiting cannot mend comes first.
      if (ctx.wantBaseline && ctx.baselineRevision === undefined)
        return { kind: 'noData', reason: 'there is no baseline revision' };
      const canary = await source.signals(ctx.service, ctx.environment, ctx.canaryRevision, options);
      if (canary === undefined || !enough(canary.requests)) {
        return { kind: 'noData', reason: served(`canary ${ctx.canaryRevision}`, canary?.requests ?? 0) };
      }
      const base =
        ctx.baselineRevision === undefined
          ? undefined
          : await source.signals(ctx.service, ctx.environment, ctx.baselineRevision, options);
      const baseUsable = base !== undefined && (base.requests > 0 || name === 'requestRate');
      if (ctx.wantBaseline && (base === undefined || !enough(base.requests))) {
        return { kind: 'noData', reason: served(`baseline ${ctx.baselineRevision}`, base?.requests ?? 0) };
      }
      const value = canary[FIELD[name]];
      const baseline = baseUsable ? base[FIELD[name]] : null;
      if (value === null)
        return {
          kind: 'noData',
          reason: `the router has no ${name} for canary ${ctx.canaryRevision} in ${window}`,
        };
      if (ctx.wantBaseline && baseline === null) {
        return {
          kind: 'noData',
          reason: `the router has no ${name} for baseline ${ctx.baselineRevision} in ${window}`,
        };
      }
      return {
        kind: 'value',
        value,
        ...(baseline === null ? {} : { baseline }),
        samples: { canary: canary.requests, ...(base === undefined ? {} : { baseline: base.requests }) },
      };
    },
  };
}

export interface JudgeProviderOptions {
  /**
   * Fewer samples on either side make the judgement inconclusive: latencies, or requests for
   * `errorRate`, or intervals for `requestRate`. A metric's own `minSamples` wins. Default
   * {@link JUDGE_MIN_SAMPLES}.
   */
  readonly minSamples?: number;
}

/**
 * Samples each side needs before the judge speaks. The first requests a fresh instance answers are
 * its slowest (cold JIT, new connections): with a handful of them the judge would compare a cold
 * start, not the code.
 */
export const JUDGE_MIN_SAMPLES = 50;

/**
 * The absolute floor of each signal when a metric sets no `minDifference`, chosen from the
 * measurements in docs/analysis.md: identical code must not fail on a noisy machine. Latencies:
 * ms of the typical request; `errorRate`: a fraction of requests. One percentage point: at 0.005
 * the error judge, asked every second while undecided, failed identical code on chance findings
 * (`6 of 433` against `0 of 433`) 5 times in 120 trials; at 0.01, 0 in 330, and +2% errors were
 * still caught 40/40 (docs/benchmarks.md "## Judge").
 */
export const DEFAULT_MIN_DIFFERENCE: Readonly<Record<RouterSignal, number>> = {
  latencyP50: 2,
  latencyP95: 2,
  latencyP99: 2,
  errorRate: 0.01,
  requestRate: 0,
};

/**
 * The relative tolerance of a metric that sets no `tolerance`. Latencies compared with a fresh
 * baseline (a stable instance started with the canary: `canary.baseline: fresh`, the default) get
 * 10%: both sides are equally cold; at 15% a 20% slower canary was caught 20/40 (load 6–7) and
 * 23/40 (load 2–3), at 10% 38/40, identical code failing 0/120 (docs/benchmarks.md "## Judge"). Against the warm stable instance (`canary.baseline: stable`,
 * or no fresh baseline running) they keep 15%, which absorbs a cold canary's penalty (ADR 0006).
 * Error and request rates keep 15% either way: they were not re-measured, and a cold start does
 * not change them.
 */
export const DEFAULT_TOLERANCE = { fresh: { latency: 0.1, other: 0.15 }, stable: 0.15 } as const;

/** The tolerance the judge applies: the metric's own, else DEFAULT_TOLERANCE for its baseline. */
export function judgeTolerance(
  metric: { readonly signal: RouterSignal; readonly tolerance?: number | undefined },
  freshBaseline: boolean,
): number {
  if (metric.tolerance !== undefined) return metric.tolerance;
  if (!freshBaseline) return DEFAULT_TOLERANCE.stable;
  return SAMPLES[metric.signal].kind === 'latency'
    ? DEFAULT_TOLERANCE.fresh.latency
    : DEFAULT_TOLERANCE.fresh.other;
}

const SAMPLES: Record<RouterSignal, { kind: SampleKind; statistic: Statistic }> = {
  errorRate: { kind: 'errorRate', statistic: 'mean' },
  latencyP50: { kind: 'latency', statistic: 'p50' },
  latencyP95: { kind: 'latency', statistic: 'p95' },
  latencyP99: { kind: 'latency', statistic: 'p99' },
  requestRate: { kind: 'requestRate', statistic: 'mean' },
};

/** `result` is 1 when the canary is not worse than the baseline beyond the margins, else 0. */
export function createJudgeProvider(
  source: RouterSignalsSource,
  options: JudgeProviderOptions = {},
): MetricProvider<'judge'> {
  return {
    async measure(metric, ctx) {
      const { signal: name, confidence, direction } = metric.provider;
      const minSamples = metric.provider.minSamples ?? options.minSamples ?? JUDGE_MIN_SAMPLES;
      const tolerance = judgeTolerance(metric.provider, ctx.freshBaseline === true);
      if (ctx.baselineRevision === undefined)
        return { kind: 'noData', reason: 'there is no baseline revision to compare with' };
      const { kind, statistic } = SAMPLES[name];
      const judgeOptions: JudgeOptions = {
        statistic,
        tolerance,
        confidence,
        minDifference: metric.provider.minDifference ?? DEFAULT_MIN_DIFFERENCE[name],
        direction: direction as Direction,
        effect: kind === 'latency' ? 'shift' : 'statistic',
        minSamples,
        ...(kind === 'latency' ? { unit: 'ms' } : {}),
      };
      const revisions = [ctx.canaryRevision, ctx.baselineRevision];
      let verdict: JudgeVerdict;
      if (kind === 'errorRate') {
        // Errors out of requests over the window: every request counts (see stats/proportions.ts).
        const [canary, baseline] = await Promise.all(
          revisions.map((revision) =>
            source.signals(ctx.service, ctx.environment, revision, {
              windowMs: ctx.windowMs,
              signal: ctx.signal,
            }),
          ),
        );
        verdict = judgeCounts(counts(canary), counts(baseline), judgeOptions);
      } else {
        const sampleOptions = { kind, windowMs: ctx.windowMs, signal: ctx.signal };
        const [canary = [], baseline = []] = await Promise.all(
          revisions.map((revision) => source.samples(ctx.service, ctx.environment, revision, sampleOptions)),
        );
        verdict = judge(canary, baseline, judgeOptions);
      }
      if (verdict.verdict === 'inconclusive') return { kind: 'noData', reason: `${name}: ${verdict.detail}` };
      return {
        kind: 'value',
        value: verdict.verdict === 'pass' ? 1 : 0,
        samples: { canary: verdict.nCanary, baseline: verdict.nBaseline },
        detail: `${name} ${verdict.detail}`,
        ...(verdict.decided ? {} : { tentative: true }),
        raw: {
          p: verdict.p,
          pWithin: verdict.pWithin,
          effect: Number.isFinite(verdict.effect) ? verdict.effect : null,
          difference: Number.isFinite(verdict.difference) ? verdict.difference : null,
          canary: verdict.canary,
          baseline: verdict.baseline,
        },
      };
    },
  };
}

/** A revision the router has no requests for in the window served none. */
function counts(signals: RouterSignals | undefined): { events: number; trials: number } {
  return { events: signals?.errors ?? 0, trials: signals?.requests ?? 0 };
}
