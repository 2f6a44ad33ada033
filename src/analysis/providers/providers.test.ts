import { describe, expect, it } from 'vitest';
import { type Provider, parseConfig } from '../../config/index.js';
import { createManualClock } from '../../core/clock.js';
import {
  createBusinessProvider,
  createJudgeProvider,
  createMemoryBusinessMetrics,
  createRouterProvider,
  createVirtualTime,
  DEFAULT_TOLERANCE,
  judgeTolerance,
  type MeasureContext,
  type MetricOf,
  runAnalysis,
} from '../index.js';
import { createRandom } from '../stats/random.js';
import { fakeRouter, metric, signals, template } from '../testing.js';

const NOW = new Date('2026-01-01T12:00:00.000Z');

function ctx(overrides: Partial<MeasureContext> = {}): MeasureContext {
  return {
    service: 'shop',
    environment: 'production',
    canaryRevision: 'r2',
    baselineRevision: 'r1',
    windowMs: 60_000,
    wantBaseline: false,
    now: NOW,
    signal: new AbortController().signal,
    ...overrides,
  };
}

function routerMetric(signal: 'errorRate' | 'requestRate' | 'latencyP99'): MetricOf<'router'> {
  return metric({ name: 'm', provider: { kind: 'router', signal, window: 60_000 } }) as MetricOf<'router'>;
}

describe('the router provider', () => {
  const source = fakeRouter({
    signals: (revision) =>
      revision === 'r2' ? signals(400, 12, { p99: 320 }) : revision === 'r1' ? signals(1200, 6) : undefined,
  });
  const provider = createRouterProvider(source);

  it('reads the canary’s golden signal, with the stable revision’s as baseline', async () => {
    expect(await provider.measure(routerMetric('errorRate'), ctx())).toEqual({
      kind: 'value',
      value: 0.03,
      baseline: 0.005,
      samples: { canary: 400, baseline: 1200 },
    });
    expect(await provider.measure(routerMetric('latencyP99'), ctx())).toMatchObject({
      value: 320,
      baseline: 250,
    });
  });

  it('has no data for a canary without traffic, but a request rate of 0 is a value', async () => {
    const idle = createRouterProvider(
      fakeRouter({ signals: (revision) => (revision === 'r2' ? signals(0, 0) : signals(100, 0)) }),
    );
    expect(await idle.measure(routerMetric('errorRate'), ctx())).toEqual({
      kind: 'noData',
      reason: 'canary r2 served 0 requests in the last 1m (minSamples 20)',
    });
    expect(await idle.measure(routerMetric('requestRate'), ctx())).toMatchObject({ kind: 'value', value: 0 });
  });

  it('judges a signal only on minSamples requests of the canary (default 20; 0 for requestRate)', async () => {
    const few = createRouterProvider(
      fakeRouter({ signals: (revision) => signals(revision === 'r2' ? 19 : 400, 1) }),
    );
    expect(await few.measure(routerMetric('errorRate'), ctx({ windowMs: 4000 }))).toEqual({
      kind: 'noData',
      reason: 'canary r2 served 19 requests in the last 4s (minSamples 20)',
    });
    expect(await few.measure(routerMetric('requestRate'), ctx())).toMatchObject({ kind: 'value' });
    const five = metric({
      name: 'm',
      provider: { kind: 'router', signal: 'errorRate', window: 60_000, minSamples: 5 },
    }) as MetricOf<'router'>;
    expect(await few.measure(five, ctx())).toMatchObject({ kind: 'value', value: 1 / 19 });
    const strict = { ...five, provider: { ...five.provider, minSamples: 500 } };
    expect(await few.measure(strict, ctx({ wantBaseline: false }))).toMatchObject({ kind: 'noData' });
    // With `baseline` in a condition, the baseline needs as many requests as the canary.
    const tight = { ...five, provider: { ...five.provider, minSamples: 19 } };
    const thin = createRouterProvider(
      fakeRouter({ signals: (revision) => signals(revision === 'r2' ? 19 : 3, 0) }),
    );
    expect(await thin.measure(tight, ctx({ wantBaseline: true }))).toEqual({
      kind: 'noData',
      reason: 'baseline r1 served 3 requests in the last 1m (minSamples 19)',
    });
    expect(await thin.measure(tight, ctx({ wantBaseline: false }))).toMatchObject({ kind: 'value' });
  });

  it('has no data when the router reports a signal as null', async () => {
    const partial = createRouterProvider(fakeRouter({ signals: () => ({ ...signals(50, 0), p99: null }) }));
    expect(await partial.measure(routerMetric('latencyP99'), ctx())).toEqual({
      kind: 'noData',
      reason: 'the router has no latencyP99 for canary r2 in the last 1m',
    });
  });

  it('has no data when a condition needs a baseline it cannot give', async () => {
    expect(
      await provider.measure(
        routerMetric('errorRate'),
        ctx({ baselineRevision: 'gone', wantBaseline: true }),
      ),
    ).toEqual({
      kind: 'noData',
      reason: 'baseline gone served 0 requests in the last 1m (minSamples 20)',
    });
    expect(
      await provider.measure(
        routerMetric('errorRate'),
        ctx({ baselineRevision: undefined, wantBaseline: true }),
      ),
    ).toEqual({
      kind: 'noData',
      reason: 'there is no baseline revision',
    });
  });
});

describe('the judge provider', () => {
  const judgeMetric = (signal: 'latencyP99' | 'errorRate', minDifference?: number): MetricOf<'judge'> =>
    metric({
      name: 'j',
      provider: {
        kind: 'judge',
        signal,
        test: 'mannWhitney',
        tolerance: 0.1,
        confidence: 0.95,
        ...(minDifference === undefined ? {} : { minDifference }),
        direction: 'increase',
        window: 60_000,
      },
    }) as MetricOf<'judge'>;
  /** The metric exactly as flowline.yaml gives it when the user writes only the signal. */
  const configured = (signal: string): MetricOf<'judge'> => {
    const yaml = `version: 1\nservice: shop\nanalysis:\n  templates:\n    t:\n      metrics:\n        - name: j\n          provider: { judge: { signal: ${signal} } }\n`;
    const parsed = parseConfig(yaml, 'flowline.yaml');
    const found = parsed.ok ? parsed.config.analysis.templates.t?.metrics[0] : undefined;
    if (found === undefined) throw new Error('the judge metric did not parse');
    return found as MetricOf<'judge'>;
  };
  const random = createRandom(42);
  const latencies = (n: number, median: number, sigma = 0.4) =>
    Array.from({ length: n }, () => random.lognormal(Math.log(median), sigma));
  const byRevision = (canary: () => number[], baseline: () => number[]) =>
    fakeRouter({
      samples: (revision, kind) => (kind !== 'latency' ? [] : revision === 'r2' ? canary() : baseline()),
    });

  it('asks the router for latency samples and gives 0 for a slower canary', async () => {
    const source = byRevision(
      () => latencies(500, 120),
      () => latencies(500, 80),
    );
    const measurement = await createJudgeProvider(source).measure(judgeMetric('latencyP99', 0), ctx());
    expect(measurement).toMatchObject({ kind: 'value', value: 0, samples: { canary: 500, baseline: 500 } });
    expect(measurement.kind === 'value' && measurement.detail).toMatch(
      /^latencyP99 canary worse than baseline: typical request \+\d+\.\d% \(\+\d+\.\d+ ms\), Hodges-Lehmann; p99 canary \d+ ms vs baseline \d+ ms \(\+\d+\.\d%\)/,
    );
  });

  it('judges the error rate on the router’s counts of errors and requests', async () => {
    const source = fakeRouter({
      signals: (revision) => (revision === 'r2' ? signals(800, 20) : signals(3200, 16)),
    });
    const measurement = await createJudgeProvider(source).measure(configured('errorRate'), ctx());
    expect(measurement).toMatchObject({ kind: 'value', value: 0, samples: { canary: 800, baseline: 3200 } });
    expect(measurement.kind === 'value' && measurement.detail).toBe(
      'errorRate canary worse than baseline: error rate canary 0.025 (20 of 800) vs baseline 0.0050 (16 of 3200) (+400.0%, +0.020); tolerance 15%, minDifference 0.01, p=0.015, n=800/3200',
    );
  });

  it('by default passes a fresh canary of a sub-millisecond service 0.3 ms (+70%) slower', async () => {
    const cold = byRevision(
      () => latencies(800, 0.7, 0.3),
      () => latencies(3200, 0.4, 0.3),
    );
    const measurement = await createJudgeProvider(cold).measure(configured('latencyP99'), ctx());
    expect(measurement).toMatchObject({ kind: 'value', value: 1 });
    expect(measurement.kind === 'value' && measurement.detail).toMatch(
      /within minDifference: typical request \+\d+\.\d% \(\+0\.\d+ ms\).*minDifference 2 ms/,
    );
  });

  it('by default fails a canary 20% slower at 20 ms, 4 ms beyond the floor', async () => {
    const slow = byRevision(
      () => latencies(800, 24),
      () => latencies(3200, 20),
    );
    expect(await createJudgeProvider(slow).measure(configured('latencyP99'), ctx())).toMatchObject({
      value: 0,
    });
  });

  it('takes a metric’s own minSamples: fewer on either side is no data, naming both counts', async () => {
    const yaml = configured('latencyP99');
    const own = { ...yaml, provider: { ...yaml.provider, minSamples: 600 } };
    const few = byRevision(
      () => latencies(599, 24),
      () => latencies(3000, 20),
    );
    expect(await createJudgeProvider(few).measure(own, ctx())).toEqual({
      kind: 'noData',
      reason: 'latencyP99: too few samples: 599 canary, 3000 baseline (at least 600 each needed)',
    });
    const enough = byRevision(
      () => latencies(600, 24),
      () => latencies(3000, 20),
    );
    expect(await createJudgeProvider(enough).measure(own, ctx())).toMatchObject({ kind: 'value', value: 0 });
  });

  it('defaults the tolerance by baseline: 10% for latencies vs a fresh baseline, else 15%; a set one wins', () => {
    expect(DEFAULT_TOLERANCE).toEqual({ fresh: { latency: 0.1, other: 0.15 }, stable: 0.15 });
    for (const signal of ['latencyP50', 'latencyP95', 'latencyP99'] as const) {
      expect(judgeTolerance({ signal }, true)).toBe(0.1);
      expect(judgeTolerance({ signal }, false)).toBe(0.15);
    }
    for (const signal of ['errorRate', 'requestRate'] as const) {
      expect(judgeTolerance({ signal }, true)).toBe(0.15);
      expect(judgeTolerance({ signal }, false)).toBe(0.15);
    }
    expect(judgeTolerance({ signal: 'latencyP99', tolerance: 0.2 }, true)).toBe(0.2);
    expect(judgeTolerance({ signal: 'latencyP99', tolerance: 0.2 }, false)).toBe(0.2);
    expect(judgeTolerance({ signal: 'latencyP99', tolerance: 0 }, false)).toBe(0);
    // flowline.yaml leaves it unset unless written, so the judge can choose by baseline.
    expect(configured('latencyP99').provider.tolerance).toBeUndefined();
  });

  it('by default fails a canary 14% slower against a fresh baseline, passes it against the warm stable', async () => {
    const r = createRandom(7);
    const draw = (median: number) => Array.from({ length: 3200 }, () => r.lognormal(Math.log(median), 0.4));
    const canary = draw(22.8);
    const baseline = draw(20);
    const source = byRevision(
      () => canary,
      () => baseline,
    );
    const provider = createJudgeProvider(source);
    const fresh = await provider.measure(configured('latencyP99'), ctx({ freshBaseline: true }));
    expect(fresh).toMatchObject({ kind: 'value', value: 0 });
    expect(fresh.kind === 'value' && fresh.detail).toMatch(/; tolerance 10%, minDifference 2 ms,/);
    for (const stable of [ctx({ freshBaseline: false }), ctx()]) {
      const m = await provider.measure(configured('latencyP99'), stable);
      expect(m).toMatchObject({ kind: 'value', value: 1 });
      expect(m.kind === 'value' && m.detail).toMatch(/; tolerance 15%, minDifference 2 ms,/);
    }
    // A tolerance written in the template wins over either default.
    const lenient = configured('latencyP99, tolerance: 0.15');
    expect(lenient.provider.tolerance).toBe(0.15);
    expect(await provider.measure(lenient, ctx({ freshBaseline: true }))).toMatchObject({ value: 1 });
    const strict = configured('latencyP99, tolerance: 0.1');
    expect(await provider.measure(strict, ctx({ freshBaseline: false }))).toMatchObject({ value: 0 });
  });

  it('by default never fails identical code, over 100 seeds, latency or errors, either baseline', async () => {
    const outcomes = [];
    // Both defaults on the same draws: against the warm stable (15%), against a fresh baseline (10% for latency).
    for (const freshBaseline of [false, true]) {
      for (let seed = 1; seed <= 100; seed += 1) {
        const r = createRandom(seed);
        const draw = (n: number) => Array.from({ length: n }, () => r.lognormal(Math.log(20), 0.5));
        const errors = (n: number) =>
          Array.from({ length: n }, () => r.next() < 0.005).filter(Boolean).length;
        const source = fakeRouter({
          samples: (revision) => draw(revision === 'r2' ? 800 : 3200),
          signals: (revision) =>
            revision === 'r2' ? signals(800, errors(800)) : signals(3200, errors(3200)),
        });
        const provider = createJudgeProvider(source);
        for (const signal of ['latencyP99', 'errorRate']) {
          const m = await provider.measure(configured(signal), ctx({ freshBaseline }));
          outcomes.push(
            m.kind !== 'value' ? `${signal} #${seed}: ${m.kind}` : m.value === 1 ? 'pass' : m.detail,
          );
        }
      }
    }
    expect(outcomes.filter((o) => o !== 'pass')).toEqual([]);
  });

  it('has no data with too few samples or requests, or no baseline revision', async () => {
    const source = fakeRouter({ samples: () => [0.1, 0.2, 0.3], signals: () => signals(12, 0) });
    const provider = createJudgeProvider(source);
    expect(await provider.measure(judgeMetric('latencyP99'), ctx())).toEqual({
      kind: 'noData',
      reason: 'latencyP99: too few samples: 3 canary, 3 baseline (at least 50 each needed)',
    });
    expect(await provider.measure(judgeMetric('errorRate'), ctx())).toEqual({
      kind: 'noData',
      reason: 'errorRate: too few requests: 12 canary, 12 baseline (at least 50 each needed)',
    });
    expect(
      await provider.measure(judgeMetric('errorRate'), ctx({ baselineRevision: undefined })),
    ).toMatchObject({ kind: 'noData' });
  });
});

describe('business metrics', () => {
  const business = (aggregate: 'sum' | 'avg' | 'rate'): Provider => ({
    kind: 'business',
    metric: 'orders',
    aggregate,
    window: 300_000,
  });

  it('keeps pushed points by time and returns a window of them', async () => {
    const clock = createManualClock(NOW);
    const sink = createMemoryBusinessMetrics({ clock, retentionMs: 3_600_000 });
    const point = (minutesAgo: number, value: number) => ({
      service: 'shop',
      environment: 'production',
      name: 'orders',
      value,
      at: new Date(NOW.getTime() - minutesAgo * 60_000),
    });
    for (const [ago, v] of [
      [2, 1],
      [90, 5],
      [10, 2],
      [1, 3],
    ] as const)
      await sink.push(point(ago, v));
    const window = await sink.window({
      service: 'shop',
      environment: 'production',
      name: 'orders',
      from: new Date(NOW.getTime() - 15 * 60_000),
      to: NOW,
    });
    expect(window.map((p) => p.value)).toEqual([2, 1, 3]);
    await expect(sink.push({ ...point(0, Number.NaN) })).rejects.toMatchObject({
      code: 'FLOWLINE_METRIC_INVALID',
    });
    await expect(sink.push({ ...point(0, 1), name: '' })).rejects.toMatchObject({
      code: 'FLOWLINE_METRIC_INVALID',
    });
  });

  it('fails a release whose orders drop against the stable period before the canary', async () => {
    const time = createVirtualTime(NOW);
    const sink = createMemoryBusinessMetrics({ clock: time.clock });
    const canarySince = new Date(NOW.getTime() + 10 * 60_000);
    // One order every 10 s before the canary, one every 30 s after it started.
    for (let t = 0; t < 20 * 60_000; t += 10_000) {
      const at = new Date(NOW.getTime() + t);
      if (at < canarySince || t % 30_000 === 0) {
        await sink.push({ service: 'shop', environment: 'production', name: 'orders', value: 1, at });
      }
    }
    time.clock.set(new Date(canarySince.getTime() + 5 * 60_000));
    const t = template('orders', {
      name: 'orders-per-minute',
      provider: business('rate'),
      successCondition: 'result * 60 >= baseline * 60 * 0.8',
    });
    const result = await time.run(
      runAnalysis(t, {
        target: {
          service: 'shop',
          environment: 'production',
          canaryRevision: 'r2',
          baselineRevision: 'r1',
          canarySince,
        },
        providers: { business: createBusinessProvider(sink) },
        clock: time.clock,
        sleep: time.sleep,
      }),
    );
    expect(result.phase).toBe('Failed');
    expect(result.message).toBe(
      'orders-per-minute: orders rate 0.033 (canary) vs 0.100 (baseline) broke `result * 60 >= baseline * 60 * 0.8` 1 time (limit 0)',
    );
  });

  it('has no data when nothing was pushed, and counts an empty canary period as a drop to zero', async () => {
    const clock = createManualClock(NOW);
    const sink = createMemoryBusinessMetrics({ clock });
    const provider = createBusinessProvider(sink);
    const m = (aggregate: 'sum' | 'avg') =>
      metric({ name: 'o', provider: business(aggregate) }) as MetricOf<'business'>;
    const context = ctx({ windowMs: 300_000, canarySince: new Date(NOW.getTime() - 300_000) });
    expect(await provider.measure(m('sum'), context)).toMatchObject({ kind: 'noData' });
    await sink.push({
      service: 'shop',
      environment: 'production',
      name: 'orders',
      value: 4,
      at: new Date(NOW.getTime() - 400_000),
    });
    expect(await provider.measure(m('sum'), context)).toEqual({
      kind: 'value',
      value: 0,
      baseline: 4,
      samples: { canary: 0, baseline: 1 },
    });
    expect(await provider.measure(m('avg'), context)).toEqual({
      kind: 'noData',
      reason: 'no `orders` points pushed during the canary',
    });
  });
});
