import { describe, expect, it } from 'vitest';
import type { AnalysisTemplate, Provider } from '../config/index.js';
import {
  type AnalysisResult,
  createProviders,
  createVirtualTime,
  describeMeasurement,
  type MeasurementRecord,
  type RouterSignalsSource,
  runAnalysis,
  type WaitingNotice,
} from './index.js';
import { createRandom } from './stats/random.js';
import { arrivingLatencies, fakeRouter, LATENCY_JUDGE, signals, template } from './testing.js';

/**
 * A measurement is judged only on data: the engine waits for the router to have seen enough
 * requests (or for any data at all) up to the metric's `sampleTimeout`, and states the window each
 * value covers. The router here serves a steady stream since `canarySince`, on virtual time.
 */

const START = Date.parse('2026-01-01T00:00:00.000Z');
const TARGET = { service: 'shop', environment: 'production', canaryRevision: 'r2', baselineRevision: 'r1' };
const ERROR_RATE: Provider = { kind: 'router', signal: 'errorRate', window: 60_000 };

/** A router whose revisions served `perSecond` requests each second of the window, none failing. */
function steady(perSecond: { r1: number; r2: number }): RouterSignalsSource {
  return fakeRouter({
    signals: (revision, _call, windowMs) => {
      const rate = revision === 'r2' ? perSecond.r2 : perSecond.r1;
      const requests = Math.floor((rate * windowMs) / 1000);
      return requests === 0 ? undefined : signals(requests, 0, {}, windowMs);
    },
  });
}

interface Run {
  result: AnalysisResult;
  records: MeasurementRecord[];
  waits: WaitingNotice[];
}

async function analyse(
  templates: AnalysisTemplate,
  router: RouterSignalsSource,
  extra: { baselineRevision?: string | null; stopAfterMs?: number } = {},
): Promise<Run> {
  const time = createVirtualTime(new Date(START));
  const records: MeasurementRecord[] = [];
  const waits: WaitingNotice[] = [];
  const stop = new AbortController();
  if (extra.stopAfterMs !== undefined) void time.sleep(extra.stopAfterMs).then(() => stop.abort());
  const { baselineRevision, ...target } = TARGET;
  const result = await time.run(
    runAnalysis(templates, {
      target: {
        ...target,
        ...(extra.baselineRevision === null
          ? {}
          : { baselineRevision: extra.baselineRevision ?? baselineRevision }),
        // The canary took traffic when the analysis began: the first-measurement case.
        canarySince: new Date(START),
      },
      providers: createProviders({ router }),
      clock: time.clock,
      sleep: time.sleep,
      signal: stop.signal,
      onMeasurement: (record) => {
        records.push(record);
      },
      onWaiting: (notice) => {
        waits.push(notice);
      },
    }),
  );
  return { result, records, waits };
}

const seconds = (iso: string) => (Date.parse(iso) - START) / 1000;

describe('a first measurement', () => {
  it('waits for minSamples requests of the canary, then judges them and states its window', async () => {
    const run = await analyse(
      template('errors', { name: 'error-rate', provider: ERROR_RATE, successCondition: 'result < 0.01' }),
      steady({ r1: 8, r2: 2 }),
    );
    expect(run.result.phase).toBe('Successful');
    const [first] = run.records;
    // 2 requests/s reach 20 after 10 s of virtual time; asked again every second meanwhile.
    expect([seconds(first?.startedAt ?? ''), seconds(first?.finishedAt ?? '')]).toEqual([0, 10]);
    expect(first).toMatchObject({ windowMs: 10_000, samples: { canary: 20, baseline: 80 } });
    expect(describeMeasurement(first as MeasurementRecord)).toBe(
      'errors/error-rate #1: Successful = 0 vs baseline 0 (20 requests vs 80 over the last 10s)',
    );
    expect(run.waits).toEqual([
      {
        template: 'errors',
        metric: 'error-rate',
        index: 1,
        message: 'waiting up to 1m for data: canary r2 served 0 requests in the last 0s (minSamples 20)',
      },
    ]);
  });

  it('of a judge step waits for the judge’s own minimum of samples on each side', async () => {
    let calls = 0;
    const router = fakeRouter({
      // 10 requests/s reach the canary: its latencies (and the baseline's) reach the judge's
      // minimum (JUDGE_MIN_SAMPLES, 50) only after 5 s.
      samples: () => {
        calls += 1;
        const seconds = Math.floor((calls - 1) / 2);
        return Array.from({ length: 10 * seconds }, (_, i) => 100 + (i % 7));
      },
    });
    const run = await analyse(
      template('judged', {
        name: 'latency',
        provider: { ...LATENCY_JUDGE, tolerance: 0.2, minDifference: 0 },
      }),
      router,
    );
    expect(run.result.phase).toBe('Successful');
    expect(run.waits.map((w) => w.message)).toEqual([
      // The judge says how few (its wording is its own).
      expect.stringMatching(/^waiting up to 1m for data: latencyP99: /),
    ]);
    expect(run.records).toHaveLength(1);
    expect(run.records[0]).toMatchObject({
      phase: 'Successful',
      basis: '50 requests vs 50 over the last 5s',
      finishedAt: '2026-01-01T00:00:05.000Z',
    });
  });

  it('counts as Inconclusive only after sampleTimeout without enough data, saying what it saw', async () => {
    const run = await analyse(
      template('errors', {
        name: 'error-rate',
        provider: ERROR_RATE,
        successCondition: 'result < 0.01',
        sampleTimeout: 30_000,
      }),
      steady({ r1: 8, r2: 0.5 }),
    );
    expect(run.result.phase).toBe('Inconclusive');
    expect(run.result.message).toBe(
      'error-rate: inconclusive 1 time (limit 0): no data: canary r2 served 15 requests in the last 30s (minSamples 20); waited 30s',
    );
    expect(run.records.map((r) => [r.phase, seconds(r.finishedAt)])).toEqual([['Inconclusive', 30]]);
  });

  it('within inconclusiveLimit, goes on measuring, and passes once the data is there', async () => {
    const run = await analyse(
      template('errors', {
        name: 'error-rate',
        provider: ERROR_RATE,
        successCondition: 'result < 0.01',
        interval: 10_000,
        count: 2,
        sampleTimeout: 20_000,
        inconclusiveLimit: 1,
      }),
      steady({ r1: 8, r2: 0.5 }),
    );
    // 10 requests by 20 s (inconclusive), then 20 by 40 s: judged with the window at 40 s.
    // As in Argo Rollouts, an inconclusive measurement counts toward `count`.
    expect(run.records.map((r) => [r.phase, seconds(r.startedAt), seconds(r.finishedAt)])).toEqual([
      ['Inconclusive', 0, 20],
      ['Successful', 30, 40],
    ]);
    expect(run.result.phase).toBe('Successful');
    expect(run.result.metrics[0]).toMatchObject({ count: 2, inconclusive: 1, successful: 1 });
  });

  it('does not wait with `sampleTimeout: 0s` (Argo Rollouts’ behaviour)', async () => {
    const run = await analyse(
      template('errors', {
        name: 'error-rate',
        provider: ERROR_RATE,
        successCondition: 'result < 0.01',
        sampleTimeout: 0,
      }),
      steady({ r1: 8, r2: 2 }),
    );
    expect(run.result.message).toBe(
      'error-rate: inconclusive 1 time (limit 0): no data: canary r2 served 0 requests in the last 0s (minSamples 20)',
    );
    expect(run.waits).toEqual([]);
  });

  it('does not wait for a baseline that does not exist', async () => {
    const run = await analyse(
      template('errors', {
        name: 'error-rate',
        provider: ERROR_RATE,
        successCondition: 'result <= baseline * 1.5',
      }),
      steady({ r1: 8, r2: 2 }),
      { baselineRevision: null },
    );
    expect(run.result.message).toBe(
      'error-rate: inconclusive 1 time (limit 0): no data: there is no baseline revision',
    );
    expect(seconds(run.records[0]?.finishedAt ?? '')).toBe(0); // judged at once: waiting cannot mend it
    expect(run.waits).toEqual([]);
  });

  it('stopped while it waits, is no measurement: the metric is Inconclusive, never a pass', async () => {
    const run = await analyse(
      template('errors', { name: 'error-rate', provider: ERROR_RATE, successCondition: 'result < 0.01' }),
      steady({ r1: 8, r2: 0.1 }),
      { stopAfterMs: 15_000 },
    );
    expect(run.records).toEqual([]);
    expect(run.result.phase).toBe('Inconclusive');
    expect(run.result.message).toBe(
      'error-rate: inconclusive 0 times (limit 0): stopped before a measurement completed',
    );
  });
});

describe('a metric whose measurements all lacked data', () => {
  it('is Inconclusive, never Successful, even within inconclusiveLimit (Argo Rollouts would pass it)', async () => {
    const run = await analyse(
      template('errors', {
        name: 'error-rate',
        provider: ERROR_RATE,
        successCondition: 'result < 0.01',
        interval: 10_000,
        count: 3,
        sampleTimeout: 0,
        inconclusiveLimit: 5,
      }),
      steady({ r1: 8, r2: 0 }),
    );
    expect(run.records.map((r) => r.phase)).toEqual(['Inconclusive', 'Inconclusive', 'Inconclusive']);
    expect(run.result.phase).toBe('Inconclusive');
    expect(run.result.message).toBe(
      'error-rate: not one of 3 measurements passed, 3 inconclusive (limit 5): no data: canary r2 served 0 requests in the last 20s (minSamples 20)',
    );
  });

  it('is Inconclusive when stopped (background analysis ending with its release), but one pass is enough', async () => {
    const metric = {
      name: 'error-rate',
      provider: ERROR_RATE,
      successCondition: 'result < 0.01',
      interval: 10_000,
      sampleTimeout: 0,
      inconclusiveLimit: 5,
    };
    const quiet = await analyse(template('errors', metric), steady({ r1: 8, r2: 0 }), {
      stopAfterMs: 35_000,
    });
    expect(quiet.result.phase).toBe('Inconclusive');
    // 1 request/s: the first two measurements (0 s, 10 s) lack 20 requests, the third (20 s) has them.
    const late = await analyse(template('errors', metric), steady({ r1: 8, r2: 1 }), { stopAfterMs: 35_000 });
    expect(late.records.map((r) => r.phase)).toEqual([
      'Inconclusive',
      'Inconclusive',
      'Successful',
      'Successful',
    ]);
    expect(late.result.phase).toBe('Successful');
  });
});

describe('a judge pass that more samples may overturn', () => {
  // Latencies (lognormal, a wide spread) arriving at `perSecond` a side since the canary started.
  const random = createRandom(7);
  const draw = (median: number) =>
    Array.from({ length: 4000 }, () => random.lognormal(Math.log(median), 0.8));
  const latency = (extra: { interval?: number } = {}) =>
    template('judged', {
      name: 'latency',
      ...extra,
      provider: LATENCY_JUDGE,
    });

  it('is asked again until the samples decide: a canary 20% slower fails once they show it', async () => {
    const run = await analyse(latency(), arrivingLatencies(draw(24), draw(20), 40));
    expect(run.result.phase).toBe('Failed');
    expect(run.waits.map((w) => w.message)).toEqual([
      expect.stringMatching(/^waiting up to 1m for data: latencyP99: too few samples/),
      expect.stringMatching(/^waiting up to 1m for more samples: latencyP99 canary .*p\(within\)=/),
    ]);
    expect(run.records).toHaveLength(1);
    // 50 samples a side came at 1.25 s; the fail needed several hundred more.
    expect(seconds(run.records[0]?.finishedAt ?? '')).toBeGreaterThan(5);
    expect(run.records[0]?.message).toMatch(/^latencyP99 canary worse than baseline: /);
  });

  it('keeps the last undecided pass when sampleTimeout is over, saying it waited', async () => {
    // 5% slower on 2 samples a second: 120 a side in a minute cannot tell 5% from 10%.
    const run = await analyse(latency(), arrivingLatencies(draw(21), draw(20), 2));
    expect(run.result.phase).toBe('Successful');
    expect(run.waits.map((w) => w.message)).toEqual([
      expect.stringMatching(/^waiting up to 1m for data: latencyP99: too few samples/),
      expect.stringMatching(
        /^waiting up to 1m for more samples: latencyP99 canary .*, not yet significantly|nor shown within them/,
      ),
    ]);
    expect(run.records).toHaveLength(1);
    expect(run.records[0]?.message).toMatch(/p\(within\)=0\.\d+, n=\d+\/\d+; waited 1m$/);
  });

  it('keeps the undecided pass it has when background analysis is stopped', async () => {
    const run = await analyse(latency({ interval: 10_000 }), arrivingLatencies(draw(21), draw(20), 2), {
      stopAfterMs: 40_000,
    });
    expect(run.result.phase).toBe('Successful');
    expect(run.records.map((r) => [r.phase, seconds(r.finishedAt)])).toEqual([['Successful', 40]]);
  });
});

describe('a measurement line', () => {
  it('states the value, the baseline, what they stood on and why it is not Successful', () => {
    const record: MeasurementRecord = {
      template: 'error-rate',
      metric: 'errors',
      index: 2,
      phase: 'Failed',
      value: 0.0833,
      baseline: 0.0012,
      samples: { canary: 42, baseline: 380 },
      windowMs: 10_000,
      basis: '42 requests vs 380 over the last 10s',
      message: 'broke `result < 0.01`',
      startedAt: new Date(START).toISOString(),
      finishedAt: new Date(START).toISOString(),
    };
    expect(describeMeasurement(record)).toBe(
      'error-rate/errors #2: Failed = 0.0833 vs baseline 0.0012 (42 requests vs 380 over the last 10s) — broke `result < 0.01`',
    );
    const { basis: _, baseline: __, ...bare } = record;
    expect(describeMeasurement({ ...bare, phase: 'Successful', value: 0, message: undefined })).toBe(
      'error-rate/errors #2: Successful = 0',
    );
  });
});
