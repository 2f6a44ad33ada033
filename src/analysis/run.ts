import type { AnalysisTemplate } from '../config/index.js';
import { type Clock, systemClock } from '../core/clock.js';
import { FlowlineError } from '../core/errors.js';
import { realSleep, type Sleep } from '../core/sleep.js';
import { formatDuration } from '../core/time.js';
import { decide, explainMetric, type MetricPlan, type Outcome, planMetric } from './decide.js';
import type {
  AnalysisPhase,
  AnalysisResult,
  Measurement,
  MeasurementPhase,
  MeasurementRecord,
  MetricProvider,
  MetricProviders,
  MetricStatus,
  WaitingNotice,
} from './types.js';
import { basisOf, windowOf } from './window.js';

/** What is analysed: the canary against the stable revision of one service in one environment. */
export interface AnalysisTarget {
  readonly service: string;
  readonly environment: string;
  readonly canaryRevision: string;
  readonly baselineRevision?: string | undefined;
  /**
   * A fresh instance of the baseline started beside the canary with the same share of traffic
   * (src/deploy/baseline.ts): `judge` metrics compare with it instead of `baselineRevision`, so a
   * cold canary is not judged against a warm baseline. Other providers keep `baselineRevision`.
   */
  readonly judgeBaselineRevision?: string | undefined;
  /** When the canary started taking traffic; windows never reach back before it. */
  readonly canarySince?: Date | undefined;
}

export interface RunAnalysisOptions {
  readonly target: AnalysisTarget;
  readonly providers: MetricProviders;
  readonly clock?: Clock;
  readonly sleep?: Sleep;
  /**
   * Called with every measurement and the metric's standing after it, and awaited before the
   * engine goes on: a controller persists it before acting. If it throws, the run stops and rejects.
   */
  readonly onMeasurement?: (measurement: MeasurementRecord, metric: MetricStatus) => void | Promise<void>;
  /** Aborting ends the run (background analysis ends with its release); metrics are assessed as they stand. */
  readonly signal?: AbortSignal;
  /** Timeout of providers without their own (`router`, `business`, `judge`). Default 10 s. */
  readonly defaultTimeoutMs?: number;
  /** Wait before retrying an error of a metric without `interval`. Default 1 s. */
  readonly errorRetryMs?: number;
  /**
   * Called when a measurement finds no data (or too few samples) and the engine waits for more,
   * once per stretch of waiting: a controller says why nothing is decided yet.
   */
  readonly onWaiting?: (notice: WaitingNotice) => void | Promise<void>;
  /** How often a measurement that waits for data asks again. Default 1 s, or `interval` if shorter. */
  readonly samplePollMs?: number;
}

const KEPT = 10;
const WORSE: Record<AnalysisPhase, number> = {
  Successful: 0,
  Running: 1,
  Inconclusive: 2,
  Error: 3,
  Failed: 4,
};

/**
 * Runs analysis templates like an Argo Rollouts AnalysisRun: each metric is measured after its
 * `initialDelay`, every `interval`, `count` times (until stopped when `count` is unset); it fails
 * when failures exceed `failureLimit`, is inconclusive past `inconclusiveLimit`, errors past
 * `consecutiveErrorLimit` (a provider call that times out or hangs is an error). A measurement is
 * judged only on data: without any (or with too few samples) it is taken again until the metric's
 * `sampleTimeout`, and only then counts as Inconclusive. The run stops at the first metric that is
 * not Successful, and its phase is the worst of its metrics. Throws FLOWLINE_ANALYSIS_INVALID
 * before measuring anything when a template cannot run.
 */
export async function runAnalysis(
  templates: AnalysisTemplate | readonly AnalysisTemplate[],
  options: RunAnalysisOptions,
): Promise<AnalysisResult> {
  const list: readonly AnalysisTemplate[] = Array.isArray(templates)
    ? templates
    : [templates as AnalysisTemplate];
  const plans = list.flatMap((template) =>
    template.metrics.map((metric) => planMetric(template.name, metric)),
  );
  for (const plan of plans) providerFor(options.providers, plan);
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? realSleep;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  const startedAt = clock.now().toISOString();
  const runs = plans.map((plan) => new MetricRun(plan, options, clock, sleep, stop));
  let decidedBy: MetricRun | undefined;
  try {
    await Promise.all(
      runs.map(async (run) => {
        await run.execute();
        if (run.phase !== 'Successful' && decidedBy === undefined && !options.signal?.aborted) {
          decidedBy = run;
          stop.abort();
        }
      }),
    );
  } catch (error) {
    stop.abort();
    throw error;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
  const metrics = runs.map((run) => run.status());
  const worst = runs.reduce<MetricRun | undefined>(
    (a, b) => (a === undefined || WORSE[b.phase] > WORSE[a.phase] ? b : a),
    undefined,
  );
  const phase = (worst?.phase ?? 'Successful') as MeasurementPhase;
  const message =
    phase === 'Successful'
      ? `successful: ${metrics.map((m) => `${m.name} (${m.count} measurement${m.count === 1 ? '' : 's'})`).join(', ')}`
      : ((decidedBy ?? worst)?.status().message ?? phase);
  return { phase, message, metrics, startedAt, finishedAt: clock.now().toISOString() };
}

function providerFor(providers: MetricProviders, plan: MetricPlan): MetricProvider {
  const kind = plan.metric.provider.kind;
  const provider = providers[kind] as MetricProvider | undefined;
  if (provider === undefined) {
    throw new FlowlineError(
      'FLOWLINE_ANALYSIS_INVALID',
      `${plan.template}/${plan.metric.name}: no \`${kind}\` provider is set up`,
      {
        hint:
          kind === 'business'
            ? 'business metrics need a metrics sink'
            : `set up the ${kind} provider, or remove the metric`,
      },
    );
  }
  return provider;
}

const TIMED_OUT = Symbol('timed out');

/** One measurement as taken: what the provider said, the verdict, and the window it covered. */
interface Taken {
  readonly measurement: Measurement;
  readonly outcome: Outcome;
  readonly startedAt: Date;
  readonly windowMs: number;
}

/** One metric's measuring loop and counters. */
class MetricRun {
  phase: AnalysisPhase = 'Running';
  private count = 0;
  private successful = 0;
  private failed = 0;
  private inconclusive = 0;
  private errors = 0;
  private consecutiveErrors = 0;
  private index = 0;
  /**
   * What waiting was announced for, with no measurement taken since: data (none or too few
   * samples), or more samples for an undecided judge. Each stretch of waiting is said once.
   */
  private waiting: 'data' | 'more samples' | undefined;
  private readonly kept: MeasurementRecord[] = [];
  private readonly last: Partial<Record<MeasurementPhase, Outcome>> = {};
  private readonly provider: MetricProvider;

  constructor(
    private readonly plan: MetricPlan,
    private readonly options: RunAnalysisOptions,
    private readonly clock: Clock,
    private readonly sleep: Sleep,
    private readonly stop: AbortController,
  ) {
    this.provider = providerFor(options.providers, plan);
  }

  async execute(): Promise<void> {
    const { metric } = this.plan;
    const stopped = this.stop.signal;
    if (metric.initialDelay > 0) await this.sleep(metric.initialDelay, stopped);
    const count = metric.count ?? (metric.interval === undefined ? 1 : undefined);
    while (!stopped.aborted) {
      const taken = await this.measureWithData();
      if (taken === undefined) break; // cut short by the run stopping: not a measurement
      const { measurement, outcome, startedAt, windowMs } = taken;
      this.record(outcome);
      this.phase = this.assess(count, false);
      const samples = measurement.kind === 'value' ? measurement.samples : undefined;
      const basis = samples === undefined ? undefined : basisOf(metric.provider, samples, windowMs);
      const record: MeasurementRecord = {
        template: this.plan.template,
        metric: metric.name,
        index: ++this.index,
        phase: outcome.phase,
        ...(outcome.value === undefined ? {} : { value: outcome.value }),
        ...(outcome.baseline === undefined ? {} : { baseline: outcome.baseline }),
        ...(samples === undefined ? {} : { samples }),
        ...('window' in metric.provider ? { windowMs } : {}),
        ...(basis === undefined ? {} : { basis }),
        ...(outcome.message === undefined ? {} : { message: outcome.message }),
        startedAt: startedAt.toISOString(),
        finishedAt: this.clock.now().toISOString(),
      };
      this.kept.push(record);
      if (this.kept.length > KEPT) this.kept.shift();
      await this.options.onMeasurement?.(record, this.status());
      if (this.phase !== 'Running') return;
      await this.sleep(metric.interval ?? this.options.errorRetryMs ?? 1000, stopped);
    }
    if (this.phase === 'Running') this.phase = this.assess(count, true);
  }

  status(): MetricStatus {
    const { plan } = this;
    const status = {
      template: plan.template,
      name: plan.metric.name,
      phase: this.phase,
      count: this.count,
      successful: this.successful,
      failed: this.failed,
      inconclusive: this.inconclusive,
      error: this.errors,
      consecutiveErrors: this.consecutiveErrors,
      measurements: [...this.kept],
    };
    if (this.phase === 'Successful' || this.phase === 'Running') return status;
    const last =
      this.phase === 'Error'
        ? this.last.Error
        : this.phase === 'Failed'
          ? this.last.Failed
          : this.last.Inconclusive;
    return { ...status, message: explainMetric(plan, status, last) };
  }

  /**
   * One measurement, judged only on data: while the provider has none (or too few samples) and more
   * may come, it asks again every poll until `sampleTimeout` has passed since the measurement began;
   * then the lack of data is the measurement (Inconclusive). A tentative value (the judge's pass
   * that more samples may overturn) is asked again the same way, and the last one is the
   * measurement when the wait is over or the run stops. Undefined when the run stopped meanwhile
   * with nothing to show.
   */
  private async measureWithData(): Promise<Taken | undefined> {
    const { metric } = this.plan;
    const stopped = this.stop.signal;
    const startedAt = this.clock.now();
    const timeout = metric.sampleTimeout;
    const poll = Math.min(this.options.samplePollMs ?? 1000, metric.interval ?? Number.POSITIVE_INFINITY);
    let tentative: Taken | undefined;
    for (;;) {
      const now = this.clock.now();
      const windowMs = windowOf(metric.provider, this.options.target.canarySince, now);
      const measurement = await this.measure(now, windowMs);
      if (stopped.aborted) return tentative;
      const outcome = decide(this.plan, measurement);
      const taken = { measurement, outcome, startedAt, windowMs };
      const undecided = measurement.kind === 'value' && measurement.tentative === true && !outcome.noData;
      if ((!outcome.noData && !undecided) || !this.dataMayCome()) {
        this.waiting = undefined;
        return taken;
      }
      tentative = undecided ? taken : undefined;
      const waited = this.clock.now().getTime() - startedAt.getTime();
      if (waited >= timeout) {
        if (timeout === 0) return taken;
        const message = outcome.message ?? (undecided ? 'not decided by the samples' : 'no data');
        return { ...taken, outcome: { ...outcome, message: `${message}; waited ${formatDuration(waited)}` } };
      }
      const wanted = undecided ? 'more samples' : 'data';
      if (this.waiting !== wanted) {
        this.waiting = wanted;
        const reason = measurement.kind === 'noData' ? measurement.reason : outcome.message;
        await this.options.onWaiting?.({
          template: this.plan.template,
          metric: metric.name,
          index: this.index + 1,
          message: `waiting up to ${formatDuration(timeout)} for ${wanted}: ${reason}`,
        });
      }
      await this.sleep(Math.max(1, Math.min(poll, timeout - waited)), stopped);
      if (stopped.aborted) return tentative;
    }
  }

  /** Whether waiting can bring data: not when the metric compares with a baseline that does not exist. */
  private dataMayCome(): boolean {
    const needsBaseline = this.plan.usesBaseline || this.plan.metric.provider.kind === 'judge';
    return !(needsBaseline && this.options.target.baselineRevision === undefined);
  }

  private async measure(now: Date, windowMs: number): Promise<Measurement> {
    const { metric } = this.plan;
    const { target } = this.options;
    const provider = metric.provider;
    const timeoutMs = 'timeout' in provider ? provider.timeout : (this.options.defaultTimeoutMs ?? 10_000);
    const call = new AbortController();
    const onStop = () => call.abort();
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    const timer = this.sleep(timeoutMs, call.signal).then(() =>
      call.signal.aborted ? undefined : TIMED_OUT,
    );
    try {
      const measured = Promise.resolve()
        .then(() =>
          this.provider.measure(metric, {
            service: target.service,
            environment: target.environment,
            canaryRevision: target.canaryRevision,
            baselineRevision:
              provider.kind === 'judge'
                ? (target.judgeBaselineRevision ?? target.baselineRevision)
                : target.baselineRevision,
            freshBaseline: provider.kind === 'judge' && target.judgeBaselineRevision !== undefined,
            canarySince: target.canarySince,
            windowMs,
            wantBaseline: this.plan.usesBaseline,
            now,
            signal: call.signal,
          }),
        )
        .catch((error: unknown): Measurement => ({ kind: 'error', message: errorText(error) }));
      const first = await Promise.race([measured, timer]);
      if (first === TIMED_OUT)
        return { kind: 'error', message: `${provider.kind}: no answer within ${formatDuration(timeoutMs)}` };
      if (first === undefined) return { kind: 'error', message: 'stopped' };
      return isMeasurement(first)
        ? first
        : { kind: 'error', message: `${provider.kind}: the provider returned no measurement` };
    } finally {
      this.stop.signal.removeEventListener('abort', onStop);
      call.abort();
    }
  }

  private record(outcome: Outcome): void {
    this.last[outcome.phase] = outcome;
    if (outcome.phase === 'Error') {
      this.errors += 1;
      this.consecutiveErrors += 1;
      return;
    }
    this.consecutiveErrors = 0;
    this.count += 1;
    if (outcome.phase === 'Successful') this.successful += 1;
    if (outcome.phase === 'Failed') this.failed += 1;
    if (outcome.phase === 'Inconclusive') this.inconclusive += 1;
  }

  /**
   * Argo's assessMetricStatus; `terminating` when the run is stopped from outside or by another
   * metric. No data is never a pass: a metric that ends (count reached, or stopped) with no
   * measurement, or with inconclusive ones and not one Successful, is Inconclusive (Argo: Successful).
   */
  private assess(count: number | undefined, terminating: boolean): AnalysisPhase {
    const { metric } = this.plan;
    if (this.failed > metric.failureLimit) return 'Failed';
    if (this.inconclusive > metric.inconclusiveLimit) return 'Inconclusive';
    if (this.consecutiveErrors > metric.consecutiveErrorLimit) return 'Error';
    const ended = (count !== undefined && this.count >= count) || terminating;
    if (!ended) return 'Running';
    if (this.count === 0) {
      this.last.Inconclusive = { phase: 'Inconclusive', message: 'stopped before a measurement completed' };
      return 'Inconclusive';
    }
    return this.successful === 0 && this.inconclusive > 0 ? 'Inconclusive' : 'Successful';
  }
}

function isMeasurement(value: unknown): value is Measurement {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'value' || kind === 'noData' || kind === 'error';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
