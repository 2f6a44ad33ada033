import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate, Provider } from '../config/index.js';
import {
  type AnalysisResult,
  createProviders,
  createVirtualTime,
  type Measurement,
  type MeasurementRecord,
  type MetricProviders,
  type MetricStatus,
  runAnalysis,
} from './index.js';
import { fakeRouter, LATENCY_JUDGE, signals, template } from './testing.js';

const ROUTER: Provider = { kind: 'router', signal: 'errorRate', window: 60_000 };
const TARGET = { service: 'shop', environment: 'production', canaryRevision: 'r2', baselineRevision: 'r1' };
const START = Date.parse('2026-01-01T00:00:00.000Z');

interface Run {
  result: AnalysisResult;
  records: MeasurementRecord[];
  statuses: MetricStatus[];
  /** Seconds since the start at which each measurement started. */
  times: number[];
}

async function analyse(
  templates: AnalysisTemplate | AnalysisTemplate[],
  providers: MetricProviders,
  extra: { signal?: AbortSignal; defaultTimeoutMs?: number; canarySince?: Date } = {},
): Promise<Run> {
  const time = createVirtualTime(new Date(START));
  const records: MeasurementRecord[] = [];
  const statuses: MetricStatus[] = [];
  const result = await time.run(
    runAnalysis(templates, {
      target: { ...TARGET, ...(extra.canarySince ? { canarySince: extra.canarySince } : {}) },
      providers,
      clock: time.clock,
      sleep: time.sleep,
      ...(extra.signal ? { signal: extra.signal } : {}),
      ...(extra.defaultTimeoutMs ? { defaultTimeoutMs: extra.defaultTimeoutMs } : {}),
      onMeasurement: (record, status) => {
        records.push(record);
        statuses.push(status);
      },
    }),
  );
  expect(time.pending()).toBe(0);
  const times = records.map((r) => (Date.parse(r.startedAt) - START) / 1000);
  return { result, records, statuses, times };
}

/** Error rates of the canary by call number; the baseline (r1) has none. */
function errorRates(...rates: number[]) {
  return createProviders({
    router: fakeRouter({
      signals: (revision, call) =>
        revision === 'r1'
          ? signals(1000, 0)
          : signals(1000, Math.round((rates[call - 1] ?? rates.at(-1) ?? 0) * 1000)),
    }),
  });
}

/** A provider answering from a script, one entry per call. */
function scripted(...answers: (Measurement | 'hang' | Error)[]): MetricProviders {
  let call = 0;
  return {
    web: {
      measure: (_metric, ctx) => {
        const answer = answers[Math.min(call++, answers.length - 1)];
        if (answer === 'hang') return new Promise(() => undefined);
        if (answer instanceof Error) throw answer;
        if (ctx.signal.aborted) throw new Error('called after abort');
        return Promise.resolve(answer as Measurement);
      },
    },
  };
}
const WEB: Provider = { kind: 'web', url: 'http://x/y', method: 'GET', headers: {}, timeout: 5000 };
const value = (v: number, baseline?: number): Measurement => ({
  kind: 'value',
  value: v,
  ...(baseline === undefined ? {} : { baseline }),
});

describe('an analysis run', () => {
  it('measures after the initial delay, every interval, count times, and succeeds', async () => {
    const run = await analyse(
      template('t', {
        name: 'error-rate',
        provider: ROUTER,
        successCondition: 'result < 0.01',
        initialDelay: 5000,
        interval: 10_000,
        count: 3,
      }),
      errorRates(0.001),
    );
    expect(run.result.phase).toBe('Successful');
    expect(run.result.message).toBe('successful: error-rate (3 measurements)');
    expect(run.times).toEqual([5, 15, 25]);
    expect(run.records.map((r) => [r.index, r.phase, r.value, r.baseline])).toEqual([
      [1, 'Successful', 0.001, 0],
      [2, 'Successful', 0.001, 0],
      [3, 'Successful', 0.001, 0],
    ]);
    expect(run.statuses.map((s) => s.phase)).toEqual(['Running', 'Running', 'Successful']);
    expect(run.result.metrics[0]).toMatchObject({ count: 3, successful: 3, failed: 0, template: 't' });
  });

  it('fails once failures exceed the limit, explaining it in one line', async () => {
    const run = await analyse(
      template('t', {
        name: 'error-rate',
        provider: ROUTER,
        successCondition: 'result < 0.01',
        failureLimit: 1,
        interval: 1000,
        count: 10,
      }),
      errorRates(0.02, 0.005, 0.083, 0),
    );
    expect(run.result.phase).toBe('Failed');
    expect(run.result.message).toBe(
      'error-rate: errorRate 0.083 (canary) vs 0.000 (baseline) broke `result < 0.01` 2 times (limit 1)',
    );
    expect(run.records.map((r) => r.phase)).toEqual(['Failed', 'Successful', 'Failed']);
    expect(run.records[0]?.message).toBe('broke `result < 0.01`');
  });

  it('decides like Argo: failure wins, both false is inconclusive, one condition alone decides', async () => {
    const both = template('t', {
      name: 'm',
      provider: WEB,
      successCondition: 'result < 1',
      failureCondition: 'result > 5',
      inconclusiveLimit: 1,
      failureLimit: 5,
      interval: 1000,
      count: 4,
    });
    const mixed = await analyse(both, scripted(value(0.5), value(3), value(9), value(3)));
    expect(mixed.records.map((r) => r.phase)).toEqual([
      'Successful',
      'Inconclusive',
      'Failed',
      'Inconclusive',
    ]);
    expect(mixed.result.phase).toBe('Inconclusive');
    expect(mixed.result.message).toBe('m: inconclusive 2 times (limit 1): neither condition holds');
    const onlyFailure = template('t', {
      name: 'm',
      provider: WEB,
      failureCondition: 'result > 5',
      interval: 1000,
      count: 2,
    });
    expect((await analyse(onlyFailure, scripted(value(3)))).result.phase).toBe('Successful');
  });

  it('treats no data as inconclusive, never as a pass', async () => {
    const t = template('t', { name: 'latency', provider: WEB, failureCondition: 'result > 5' });
    const run = await analyse(
      t,
      scripted({ kind: 'noData', reason: 'Prometheus returned no samples for `up`' }),
    );
    expect(run.result.phase).toBe('Inconclusive');
    expect(run.result.message).toBe(
      'latency: inconclusive 1 time (limit 0): no data: Prometheus returned no samples for `up`; waited 1m',
    );
    // Asked again every second for the metric's sampleTimeout (1m), then one Inconclusive measurement.
    expect(run.records).toHaveLength(1);
    expect(run.records[0]).toMatchObject({
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:01:00.000Z',
    });
  });

  it('is inconclusive when a condition reads the baseline and there is none', async () => {
    const t = template('t', { name: 'm', provider: WEB, successCondition: 'result <= baseline * 1.5' });
    const run = await analyse(t, scripted(value(3)));
    expect(run.records[0]).toMatchObject({ phase: 'Inconclusive', value: 3 });
    expect(run.result.message).toMatch(/reads `baseline`, but there is no baseline value; waited 1m$/);
  });

  it('errors after consecutive errors past the limit; a hang is a timeout', async () => {
    const t = template('t', {
      name: 'error-rate',
      provider: ROUTER,
      successCondition: 'result < 0.01',
      consecutiveErrorLimit: 2,
      interval: 1000,
      count: 5,
    });
    const router = fakeRouter({ signals: () => 'hang' });
    const run = await analyse(t, createProviders({ router }), { defaultTimeoutMs: 2000 });
    expect(run.result.phase).toBe('Error');
    expect(run.result.message).toBe('error-rate: 3 errors in a row (limit 2): router: no answer within 2s');
    expect(run.times).toEqual([0, 3, 6]);
    expect(router.calls.every((call) => call.signal?.aborted)).toBe(true);
  });

  it('resets the error streak on a good measurement, and does not count errors toward count', async () => {
    const t = template('t', {
      name: 'm',
      provider: WEB,
      successCondition: 'result < 1',
      consecutiveErrorLimit: 1,
      interval: 1000,
      count: 2,
    });
    const run = await analyse(
      t,
      scripted(new Error('boom'), value(0), { kind: 'error', message: 'down' }, value(0)),
    );
    expect(run.records.map((r) => r.phase)).toEqual(['Error', 'Successful', 'Error', 'Successful']);
    expect(run.result.phase).toBe('Successful');
    expect(run.result.metrics[0]).toMatchObject({ count: 2, error: 2, consecutiveErrors: 0 });
    expect(run.records[0]?.message).toBe('boom');
  });

  it('retries an error of a one-shot metric after a second', async () => {
    const t = template('t', { name: 'm', provider: WEB, successCondition: 'result < 1', count: 1 });
    const run = await analyse(t, scripted({ kind: 'error', message: 'down' }, value(0)));
    expect(run.times).toEqual([0, 1]);
    expect(run.result.phase).toBe('Successful');
  });

  it('reports a condition that cannot be evaluated as an error with its column', async () => {
    const t = template('t', {
      name: 'm',
      provider: WEB,
      successCondition: 'result.p99 < 1',
      consecutiveErrorLimit: 0,
    });
    const run = await analyse(t, scripted(value(3)));
    expect(run.result.message).toBe(
      'm: 1 error in a row (limit 0): `result.p99 < 1`: cannot read field `p99` of a number (column 1)',
    );
  });

  it('stops at the first failing metric, aborting the others in flight', async () => {
    let aborted = false;
    const providers: MetricProviders = {
      ...errorRates(0.5),
      web: {
        measure: (_m, ctx) =>
          new Promise(() => {
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
            });
          }),
      },
    };
    const run = await analyse(
      [
        template('errors', {
          name: 'error-rate',
          provider: ROUTER,
          successCondition: 'result < 0.01',
          initialDelay: 300,
        }),
        template('slow', {
          name: 'checkout',
          provider: { ...WEB, timeout: 60_000 },
          successCondition: 'result == 1',
          interval: 60_000,
          count: 10,
        }),
      ],
      providers,
    );
    expect(run.result.phase).toBe('Failed');
    expect(run.result.finishedAt).toBe('2026-01-01T00:00:00.300Z');
    expect(aborted).toBe(true);
    expect(run.result.metrics.map((m) => [m.template, m.name, m.phase])).toEqual([
      ['errors', 'error-rate', 'Failed'],
      ['slow', 'checkout', 'Inconclusive'],
    ]);
  });

  it('runs background analysis until the caller stops it', async () => {
    const stop = new AbortController();
    const providers: MetricProviders = {
      web: {
        measure: async (_m, ctx) => {
          if (ctx.now.getTime() - START >= 30_000) stop.abort();
          return value(0);
        },
      },
    };
    const t = template('t', { name: 'm', provider: WEB, successCondition: 'result < 1', interval: 10_000 });
    const run = await analyse(t, providers, { signal: stop.signal });
    expect(run.times).toEqual([0, 10, 20]);
    expect(run.result.phase).toBe('Successful');
  });

  it('never passes a metric stopped before its first measurement', async () => {
    const stop = new AbortController();
    stop.abort();
    const t = template('t', { name: 'm', provider: WEB, successCondition: 'result < 1', interval: 10_000 });
    const run = await analyse(t, scripted(value(0)), { signal: stop.signal });
    expect(run.result.phase).toBe('Inconclusive');
    expect(run.result.message).toBe(
      'm: inconclusive 0 times (limit 0): stopped before a measurement completed',
    );
  });

  it('fails a judge metric on 0 without conditions, with the judge’s numbers', async () => {
    const judged: MetricProviders = {
      judge: {
        measure: async () => ({
          kind: 'value',
          value: 0,
          detail: 'latencyP99 canary worse than baseline: p99 300 vs 250 (+20.0%, …)',
        }),
      },
    };
    const t = template('t', {
      name: 'latency',
      provider: { ...LATENCY_JUDGE, tolerance: 0.1, minDifference: 0 },
    });
    const run = await analyse(t, judged);
    expect(run.result.message).toBe(
      'latency: latencyP99 canary worse than baseline: p99 300 vs 250 (+20.0%, …) 1 time (limit 0)',
    );
  });

  it('never reaches back before the canary started', async () => {
    const router = fakeRouter({ signals: () => signals(100, 0) });
    const t = template('t', {
      name: 'e',
      provider: ROUTER,
      successCondition: 'result < 0.01',
      interval: 20_000,
      count: 4,
    });
    await analyse(t, createProviders({ router }), { canarySince: new Date(START - 5000) });
    expect(router.calls.filter((c) => c.revision === 'r2').map((c) => c.windowMs)).toEqual([
      5000, 25_000, 45_000, 60_000,
    ]);
  });

  it('waits for onMeasurement before going on, and stops when it throws', async () => {
    const time = createVirtualTime(new Date(START));
    const t = template('t', {
      name: 'm',
      provider: WEB,
      successCondition: 'result < 1',
      interval: 1000,
      count: 3,
    });
    const persisted: number[] = [];
    let measuredBeforePersisted = false;
    let calls = 0;
    const providers: MetricProviders = {
      web: {
        measure: async () => {
          calls += 1;
          if (persisted.length < calls - 1) measuredBeforePersisted = true;
          return value(0);
        },
      },
    };
    const work = runAnalysis(t, {
      target: TARGET,
      providers,
      clock: time.clock,
      sleep: time.sleep,
      onMeasurement: async (record) => {
        await time.sleep(5000); // longer than the interval: measuring on without waiting would show
        if (record.index === 2) throw new Error('store is down');
        persisted.push(record.index);
      },
    });
    await expect(time.run(work)).rejects.toThrow('store is down');
    expect(persisted).toEqual([1]);
    expect(measuredBeforePersisted).toBe(false);
    expect(calls).toBe(2);
  });

  it('refuses a template it cannot run before measuring anything', async () => {
    const bad = template('t', { name: 'm', provider: WEB, successCondition: 'result <' });
    await expect(runAnalysis(bad, { target: TARGET, providers: scripted(value(0)) })).rejects.toMatchObject({
      code: 'FLOWLINE_ANALYSIS_INVALID',
      message: 't/m: `successCondition` does not parse: expected a value after `<` at column 9',
    });
    const noProvider = template('t', { name: 'm', provider: ROUTER, successCondition: 'result < 1' });
    await expect(runAnalysis(noProvider, { target: TARGET, providers: {} })).rejects.toMatchObject({
      code: 'FLOWLINE_ANALYSIS_INVALID',
      message: 't/m: no `router` provider is set up',
    });
  });
});
