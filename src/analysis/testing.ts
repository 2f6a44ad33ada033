import type { AnalysisTemplate, Metric } from '../config/index.js';
import type { RouterSignals, RouterSignalsSource } from './types.js';

/**
 * Builders for tests of the engine and of its callers: metrics in the normalized config shape
 * with Argo's defaults, and an in-memory {@link RouterSignalsSource} standing in for the router.
 */

type MetricInput = Partial<Omit<Metric, 'name' | 'provider'>> & Pick<Metric, 'name' | 'provider'>;

export function metric(input: MetricInput): Metric {
  return {
    initialDelay: 0,
    failureLimit: 0,
    inconclusiveLimit: 0,
    consecutiveErrorLimit: 4,
    sampleTimeout: 60_000,
    ...input,
  };
}

export function template(name: string, ...metrics: MetricInput[]): AnalysisTemplate {
  return { name, metrics: metrics.map(metric) };
}

/** Golden signals from request and error counts (rates over `windowMs`, latencies given or 100 ms). */
export function signals(
  requests: number,
  errors: number,
  latency: Partial<Pick<RouterSignals, 'p50' | 'p95' | 'p99' | 'mean'>> = {},
  windowMs = 60_000,
): RouterSignals {
  return {
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    ratePerSec: requests / (windowMs / 1000),
    p50: 100,
    p95: 180,
    p99: 250,
    mean: 110,
    ...latency,
  };
}

export type FakeAnswer<T> = T | 'hang' | Error;

/**
 * A router stand-in answering from functions of (revision, call number). `'hang'` never answers
 * (until aborted, like a stuck router would not even then); an Error is thrown.
 */
export function fakeRouter(answers: {
  signals?: (revision: string, call: number, windowMs: number) => FakeAnswer<RouterSignals | undefined>;
  samples?: (revision: string, kind: string, windowMs: number) => FakeAnswer<readonly number[]>;
}): RouterSignalsSource & {
  calls: { revision: string; windowMs: number; signal?: AbortSignal | undefined }[];
} {
  const calls: { revision: string; windowMs: number; signal?: AbortSignal | undefined }[] = [];
  const counts = new Map<string, number>();
  const answer = <T>(value: FakeAnswer<T>): Promise<T> => {
    if (value === 'hang') return new Promise(() => undefined);
    if (value instanceof Error) return Promise.reject(value);
    return Promise.resolve(value);
  };
  return {
    calls,
    signals(_service, _environment, revision, options) {
      calls.push({ revision, windowMs: options.windowMs, signal: options.signal });
      const call = (counts.get(revision) ?? 0) + 1;
      counts.set(revision, call);
      return answer(answers.signals?.(revision, call, options.windowMs));
    },
    samples(_service, _environment, revision, options) {
      calls.push({ revision, windowMs: options.windowMs, signal: options.signal });
      return answer(answers.samples?.(revision, options.kind, options.windowMs) ?? []);
    },
  };
}

/**
 * A router whose canary (`r2`) and baseline have served the given latencies in order, `perSecond`
 * a side since the canary started: a window of w ms holds the first perSecond × w / 1000 of them.
 */
export function arrivingLatencies(
  canary: readonly number[],
  baseline: readonly number[],
  perSecond: number,
): ReturnType<typeof fakeRouter> {
  return fakeRouter({
    samples: (revision, _kind, windowMs) =>
      (revision === 'r2' ? canary : baseline).slice(0, Math.floor((perSecond * windowMs) / 1000)),
  });
}

/** The judge provider as flowline.yaml gives `judge: { signal: latencyP99 }`: every default filled in. */
export const LATENCY_JUDGE = {
  kind: 'judge',
  signal: 'latencyP99',
  test: 'mannWhitney',
  confidence: 0.95,
  direction: 'increase',
  window: 60_000,
} as const;
