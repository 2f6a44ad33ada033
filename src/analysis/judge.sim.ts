import type { AnalysisTemplate, RouterSignal } from '../config/index.js';
import { createVirtualTime } from '../core/sleep.js';
import { createJudgeProvider } from './providers/router.js';
import { runAnalysis } from './run.js';
import { createRandom, type Random } from './stats/random.js';
import type { AnalysisResult, RouterSignalsSource } from './types.js';

/**
 * The judge's quality figure: simulated canary traffic with realistic noise, judged by the real
 * judge provider inside a real analysis run, over fixed seeds. See docs/analysis.md for the model.
 *
 * Traffic: 200 requests/s for 60 s, 25% to the canary. Latency (ms): lognormal, median 120,
 * sigma 0.5, times a per-second load factor shared by both revisions (lognormal, sigma 0.15: the
 * same machine, the same moment), and 0.5% slow outliers (x4: GC pauses, cold caches). Errors: each
 * request fails with the revision's probability (baseline 0.5%); the router reports the error
 * rate of each second.
 */

export interface Scenario {
  readonly name: string;
  /** Canary latencies are the baseline's times this. */
  readonly latencyFactor: number;
  /** Extra failure probability of canary requests, added to the baseline's 0.5%. */
  readonly extraErrors: number;
  /** What the judges should conclude. */
  readonly expected: 'Successful' | 'Failed';
}

export const SCENARIOS: readonly Scenario[] = [
  { name: 'healthy canary', latencyFactor: 1, extraErrors: 0, expected: 'Successful' },
  { name: '20% latency regression', latencyFactor: 1.2, extraErrors: 0, expected: 'Failed' },
  { name: '2% extra errors', latencyFactor: 1, extraErrors: 0.02, expected: 'Failed' },
];

/** The seeds of the figure reported in the issue. */
export const SEEDS: readonly number[] = Array.from({ length: 20 }, (_, i) => i + 1);

const RPS = 200;
const CANARY_WEIGHT = 0.25;
const WINDOW_S = 60;
const BASE_ERRORS = 0.005;

interface RevisionSamples {
  latencies: number[];
  errorRates: number[];
  /** Totals over the minute, as the router's signals give them to the error-rate judge. */
  requests: number;
  errors: number;
}

export interface SimOptions {
  /**
   * Latencies as a router keeping HDR-style histograms would hand them over: each one replaced by
   * the midpoint of its bucket (8 buckets per power of two, in microseconds), i.e. with many ties.
   */
  readonly quantize?: boolean;
}

/** One minute of simulated traffic for both revisions. */
export function simulateTraffic(
  scenario: Scenario,
  seed: number,
  options: SimOptions = {},
): { canary: RevisionSamples; baseline: RevisionSamples } {
  const random = createRandom(seed);
  const canary: RevisionSamples = { latencies: [], errorRates: [], requests: 0, errors: 0 };
  const baseline: RevisionSamples = { latencies: [], errorRates: [], requests: 0, errors: 0 };
  for (let second = 0; second < WINDOW_S; second += 1) {
    const load = random.lognormal(0, 0.15);
    const second_ = (into: RevisionSamples, share: number, factor: number, errorRate: number) => {
      const requests = random.poisson(RPS * share);
      let errors = 0;
      for (let i = 0; i < requests; i += 1) {
        const ms = latency(random, load) * factor;
        into.latencies.push(options.quantize ? histogramMidpoint(ms) : ms);
        if (random.next() < errorRate) errors += 1;
      }
      if (requests > 0) into.errorRates.push(errors / requests);
      into.requests += requests;
      into.errors += errors;
    };
    second_(canary, CANARY_WEIGHT, scenario.latencyFactor, BASE_ERRORS + scenario.extraErrors);
    second_(baseline, 1 - CANARY_WEIGHT, 1, BASE_ERRORS);
  }
  return { canary, baseline };
}

function latency(random: Random, load: number): number {
  const outlier = random.next() < 0.005 ? 4 : 1;
  return random.lognormal(Math.log(120), 0.5) * load * outlier;
}

/** The midpoint of the log-linear histogram bucket holding `ms`. */
export function histogramMidpoint(ms: number): number {
  const us = Math.max(0, Math.floor(ms * 1000));
  if (us < 16) return us / 1000;
  const exponent = 31 - Math.clz32(us);
  const width = 2 ** (exponent - 3);
  const lower = (8 + ((us >>> (exponent - 3)) & 7)) * width;
  return (lower + width / 2) / 1000;
}

const judgeOf = (signal: RouterSignal) => ({
  kind: 'judge' as const,
  signal,
  test: 'mannWhitney' as const,
  tolerance: 0.15,
  confidence: 0.95,
  direction: 'increase' as const,
  window: WINDOW_S * 1000,
});

/** The template judged: p99 latency and error rate, each with the config defaults. */
export const SIM_TEMPLATE: AnalysisTemplate = {
  name: 'canary-judge',
  metrics: (['latencyP99', 'errorRate'] as const).map((signal) => ({
    name: signal,
    initialDelay: 0,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    sampleTimeout: 0, // one minute of data is all there is: judge it as it is
    count: 1,
    provider: judgeOf(signal),
  })),
};

/** Runs the judge template on one simulated minute. */
export async function judgeSimulation(
  scenario: Scenario,
  seed: number,
  options: SimOptions = {},
): Promise<AnalysisResult> {
  const traffic = simulateTraffic(scenario, seed, options);
  const source: RouterSignalsSource = {
    signals: (_service, _environment, revision) => {
      const { requests, errors } = revision === 'canary' ? traffic.canary : traffic.baseline;
      const none = { ratePerSec: requests / WINDOW_S, p50: null, p95: null, p99: null, mean: null };
      return { requests, errors, errorRate: requests > 0 ? errors / requests : null, ...none };
    },
    samples: (_service, _environment, revision, { kind }) => {
      const samples = revision === 'canary' ? traffic.canary : traffic.baseline;
      return kind === 'latency' ? samples.latencies : samples.errorRates;
    },
  };
  const time = createVirtualTime();
  return time.run(
    runAnalysis(SIM_TEMPLATE, {
      target: {
        service: 'sim',
        environment: 'production',
        canaryRevision: 'canary',
        baselineRevision: 'stable',
      },
      providers: { judge: createJudgeProvider(source) },
      clock: time.clock,
      sleep: time.sleep,
    }),
  );
}

/** Every scenario over every seed: how often the outcome was the expected one. */
export async function runSimulation(seeds: readonly number[] = SEEDS, options: SimOptions = {}) {
  const rows = [];
  for (const scenario of SCENARIOS) {
    const results = [];
    for (const seed of seeds) results.push({ seed, result: await judgeSimulation(scenario, seed, options) });
    const right = results.filter((r) => r.result.phase === scenario.expected).length;
    rows.push({ scenario, right, total: seeds.length, results });
  }
  return rows;
}
