import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createProviders, runAnalysis } from '../analysis/index.js';
import { type AnalysisTemplate, parseConfig } from '../config/index.js';
import {
  type AnalysisResult,
  createMemoryBusinessMetrics,
  createVirtualTime,
  describeMeasurement,
  type Fetch,
  type MeasurementRecord,
  type RouterSignalsSource,
} from './index.js';
import { createRandom } from './stats/random.js';
import { arrivingLatencies, fakeRouter, LATENCY_JUDGE, metric, signals } from './testing.js';

/**
 * Every example in docs/analysis.md, run: each YAML block through the real config parser, the
 * templates they define through the real engine on virtual time (a passing and a failing case
 * each, against a router stand-in serving steady traffic), the output lines it shows against lines
 * the engine prints (numbers aside), and the code for the release controller as written.
 */

const DOC = new URL('../../docs/analysis.md', import.meta.url);
const START = Date.parse('2026-01-01T00:00:00.000Z');

/** The fenced blocks of the page written with `lang` after their fence (`` for plain ones). */
async function blocks(lang: string): Promise<string[]> {
  const found: { lang: string; lines: string[] }[] = [];
  let open: { lang: string; lines: string[] } | undefined;
  for (const line of (await readFile(DOC, 'utf8')).split('\n')) {
    const fence = /^```(\S*)$/.exec(line);
    if (fence && open === undefined) open = { lang: fence[1] ?? '', lines: [] };
    else if (fence) {
      found.push(open as { lang: string; lines: string[] });
      open = undefined;
    } else open?.lines.push(line);
  }
  return found.filter((b) => b.lang === lang).map((b) => `${b.lines.join('\n')}\n`);
}

/** Each YAML example as the config parser reads it, inside a minimal flowline.yaml. */
async function examples(): Promise<Record<string, AnalysisTemplate>> {
  const templates: Record<string, AnalysisTemplate> = {};
  for (const yaml of await blocks('yaml')) {
    // Strategies need a service that can run: the page leaves that out.
    const run = /^environments:/m.test(yaml) ? 'run: { command: node server.js }\n' : '';
    const result = parseConfig(`version: 1\nservice: shop\n${run}${yaml}`, 'docs/analysis.md');
    expect(result.ok ? [] : result.errors, yaml).toEqual([]);
    // A page about analysis shows templates without the environments that would use them.
    expect(
      result.warnings.filter((w) => w.code !== 'unused_template'),
      yaml,
    ).toEqual([]);
    if (result.ok) Object.assign(templates, result.config.analysis.templates);
  }
  return templates;
}

/** A router stand-in: `rate` requests/s per revision since the start, `errors` of the canary's failing. */
function traffic(options: { canary: number; baseline?: number; errors?: number; slower?: number }) {
  const latencies = (factor: number) => Array.from({ length: 400 }, (_, i) => factor * (80 + (i % 40) * 3));
  return fakeRouter({
    signals: (revision, _call, windowMs) => {
      const rate = revision === 'r2' ? options.canary : (options.baseline ?? options.canary * 4);
      const requests = Math.floor((rate * windowMs) / 1000);
      const failing = revision === 'r2' ? Math.round(requests * (options.errors ?? 0)) : 0;
      return requests === 0 ? undefined : signals(requests, failing, {}, windowMs);
    },
    samples: (revision, kind) =>
      kind === 'latency' ? latencies(revision === 'r2' ? (options.slower ?? 1) : 1) : Array(30).fill(0),
  });
}

interface Run {
  result: AnalysisResult;
  lines: string[];
}

async function analyse(
  templates: AnalysisTemplate | AnalysisTemplate[],
  deps: { router?: RouterSignalsSource; fetch?: Fetch },
  stopAfterMs?: number,
  /** The fresh baseline the judge compares with, as a canary release starts one (src/deploy/baseline.ts). */
  judgeBaselineRevision?: string,
): Promise<Run> {
  const time = createVirtualTime(new Date(START));
  const lines: string[] = [];
  const stop = new AbortController();
  if (stopAfterMs !== undefined) void time.sleep(stopAfterMs).then(() => stop.abort());
  const result = await time.run(
    runAnalysis(templates, {
      target: {
        service: 'shop',
        environment: 'production',
        canaryRevision: 'r2',
        baselineRevision: 'r1',
        judgeBaselineRevision,
        canarySince: new Date(START),
      },
      providers: createProviders(deps),
      clock: time.clock,
      sleep: time.sleep,
      signal: stop.signal,
      onMeasurement: (record) => {
        lines.push(describeMeasurement(record));
      },
      onWaiting: (n) => {
        lines.push(`${n.template}/${n.metric} #${n.index}: ${n.message}`);
      },
    }),
  );
  return { result, lines };
}

/** A line with its numbers blurred: the docs may show other figures than a test run. */
const shape = (line: string) => line.replace(/[+-]?\d+(?:\.\d+)?(?:e[+-]?\d+)?/g, '#');

function only(templates: Record<string, AnalysisTemplate>, name: string): AnalysisTemplate {
  const template = templates[name];
  if (template === undefined) throw new Error(`docs/analysis.md no longer defines the template ${name}`);
  return template;
}

/** How each template of the docs is run: a case that passes and one that does not. */
const CASES: Record<string, (t: AnalysisTemplate) => Promise<void>> = {
  'error-rate': async (t) => {
    const healthy = await analyse(t, { router: traffic({ canary: 20 }) });
    expect(healthy.result.phase).toBe('Successful');
    const failing = await analyse(t, { router: traffic({ canary: 20, errors: 0.08 }) });
    expect(failing.result.message).toMatch(
      /^error-rate: errorRate 0\.0\d\d \(canary\) vs 0\.000 \(baseline\) broke `result < 0\.01 \|\| result <= baseline \* 1\.5` 2 times \(limit 1\)$/,
    );
    const slower = await analyse(t, { router: traffic({ canary: 20, slower: 1.5 }) });
    expect(slower.result.message).toMatch(/^latency: latencyP99 canary worse than baseline/);
  },
  'canary-errors': async (t) => {
    // Background analysis: measured until the release ends (here after 1 min), from no traffic on.
    const healthy = await analyse(
      { ...t, metrics: t.metrics.map((m) => ({ ...m, count: undefined })) },
      { router: traffic({ canary: 2 }) },
      60_000,
    );
    expect(healthy.result.phase).toBe('Successful');
    expect(healthy.lines[0]).toMatch(
      /^canary-errors\/errors #1: waiting up to 1m for data: canary r2 served 0 requests/,
    );
    const failing = await analyse(t, { router: traffic({ canary: 2, errors: 0.2 }) }, 600_000);
    expect(failing.result.message).toMatch(
      /^errors: errorRate 0\.200 \(canary\) vs 0\.000 \(baseline\) broke `result < 0\.01` 3 times \(limit 2\)$/,
    );
  },
  judged: async (t) => {
    expect((await analyse(t, { router: traffic({ canary: 2 }) })).result.phase).toBe('Successful');
    const slower = await analyse(t, { router: traffic({ canary: 2, slower: 1.5 }) });
    expect(slower.result.phase).toBe('Failed');
  },
  // The opt-out example (`baseline: stable`): a judge like any other; src/deploy/baseline.test.ts runs its strategy.
  'latency-vs-stable': async (t) => {
    expect((await analyse(t, { router: traffic({ canary: 2 }) })).result.phase).toBe('Successful');
    const slower = await analyse(t, { router: traffic({ canary: 2, slower: 1.5 }) });
    expect(slower.result.phase).toBe('Failed');
  },
  'quiet-errors': async (t) => {
    // 10 requests take 50 s at 0.2/s, well within the 5 min wait.
    expect((await analyse(t, { router: traffic({ canary: 0.2 }) })).result.phase).toBe('Successful');
    // At one request in 100 s, 10 take longer than 5 min: three quiet measurements pause the release.
    const silent = await analyse(t, { router: traffic({ canary: 0.01 }) });
    expect(silent.result.message).toMatch(
      /^errors: inconclusive 3 times \(limit 2\): no data: canary r2 served \d requests in the last \d+m\d*s? \(minSamples 10\); waited 5m$/,
    );
  },
};

describe('docs/analysis.md', () => {
  it('shows YAML that the config parser accepts, and every template it defines passes and fails in the engine', async () => {
    const templates = await examples();
    expect(Object.keys(templates).sort()).toEqual(Object.keys(CASES).sort());
    for (const [name, run] of Object.entries(CASES)) await run(only(templates, name));
  });

  it('shows explanations the engine gives', async () => {
    const [explained] = (await blocks('')).filter((b) => b.includes('broke `result < 0.01` 2 times'));
    const router = (name: string, extra: Omit<Parameters<typeof metric>[0], 'name'>) =>
      metric({ name, ...extra });
    const prometheus = {
      kind: 'prometheus',
      address: 'http://prometheus:9090',
      timeout: 5000,
      headers: {},
    } as const;
    const emptyVector: Fetch = async () =>
      Response.json({ status: 'success', data: { resultType: 'vector', result: [] } });
    const refused: Fetch = async () => {
      throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
    };
    const runs = await Promise.all([
      analyse(
        {
          name: 't',
          metrics: [
            router('error-rate', {
              interval: 5000,
              count: 12,
              failureLimit: 1,
              successCondition: 'result < 0.01',
              provider: { kind: 'router', signal: 'errorRate', window: 30_000 },
            }),
          ],
        },
        { router: traffic({ canary: 20, errors: 0.083 }) },
      ),
      analyse(
        {
          name: 't',
          metrics: [
            router('latency', {
              count: 1,
              // The defaults, against a fresh baseline with the canary's share: tolerance 10%.
              provider: LATENCY_JUDGE,
            }),
          ],
        },
        { router: traffic({ canary: 20, baseline: 20, slower: 1.2 }) },
        undefined,
        'r1.baseline',
      ),
      analyse(
        {
          name: 't',
          metrics: [
            router('latency', {
              count: 1,
              failureCondition: 'result > 0.5',
              provider: { ...prometheus, query: 'histogram_quantile(0.99, rate(http_seconds_bucket[1m]))' },
            }),
          ],
        },
        { fetch: emptyVector },
      ),
      analyse(
        {
          name: 't',
          metrics: [
            router('error-rate', {
              interval: 1000,
              count: 3,
              consecutiveErrorLimit: 1,
              successCondition: 'result < 0.01',
              provider: { ...prometheus, query: 'up' },
            }),
          ],
        },
        { fetch: refused },
      ),
    ]);
    expect(explained?.trim().split('\n').map(shape)).toEqual(runs.map((run) => shape(run.result.message)));
    // Numbers are blurred above; the judge's default tolerance against a fresh baseline is not.
    expect(explained).toContain('tolerance 10%, minDifference 2 ms');
    expect(runs[1]?.result.message).toContain('tolerance 10%, minDifference 2 ms');
  });

  it('shows measurement lines the engine prints, waiting and judged', async () => {
    const shown = (await blocks('')).filter((b) => /^error-rate\/errors #1: /.test(b)).map((b) => b.trim());
    const run = await analyse(
      {
        name: 'error-rate',
        metrics: [
          {
            name: 'errors',
            initialDelay: 2000,
            failureLimit: 0,
            inconclusiveLimit: 0,
            consecutiveErrorLimit: 4,
            sampleTimeout: 60_000,
            successCondition: 'result < 0.01',
            provider: { kind: 'router', signal: 'errorRate', window: 60_000 },
          },
        ],
      },
      { router: traffic({ canary: 2 }) },
    );
    expect(shown.map(shape)).toEqual(run.lines.map(shape));
  });

  it('shows the wait of an undecided judge the engine prints', async () => {
    const shown = (await blocks(''))
      .filter((b) => /^judged\/latency #1: waiting up to 1m for more samples: /.test(b))
      .map((b) => b.trim());
    // 6% slower on 2.5 requests a second a side: a few hundred samples cannot tell 6% from 10%.
    const random = createRandom(3);
    const draw = (median: number) =>
      Array.from({ length: 1000 }, () => random.lognormal(Math.log(median), 0.5));
    const [canary, baseline] = [draw(21.2), draw(20)];
    const router = arrivingLatencies(canary, baseline, 2.5);
    const judged = {
      name: 'judged',
      metrics: [
        metric({
          name: 'latency',
          provider: LATENCY_JUDGE,
        }),
      ],
    };
    const run = await analyse(judged, { router }, undefined, 'r1.baseline');
    expect(run.result.phase).toBe('Successful');
    const waits = run.lines.filter((line) => line.includes('for more samples'));
    expect(waits).toHaveLength(1);
    expect(shown.map(shape)).toEqual(waits.map(shape));
  });

  it('shows the release controller code as it runs', async () => {
    const [code] = await blocks('ts');
    const body = (code ?? '')
      .split('\n')
      .filter((line) => !line.startsWith('import '))
      .join('\n')
      .trim();
    const source = await readFile(new URL(import.meta.url), 'utf8');
    expect(source).toContain(body);
    expect(code).toContain("import { createProviders, runAnalysis } from '../analysis/index.js';");
    const { result, saved, log } = await controllerExample();
    expect(result.phase).toBe('Successful');
    expect(saved.map((s) => s.record.index)).toEqual([1]);
    expect(log).toEqual([
      'waiting up to 1m for data: canary r2 served 0 requests in the last 0s (minSamples 20)',
    ]);
  });
});

/** The code of the docs' "For the release controller", with everything it names defined. */
async function controllerExample() {
  const time = createVirtualTime(new Date(START));
  const { clock, sleep } = time;
  const [templates] = [
    [
      {
        name: 'errors',
        metrics: [
          {
            name: 'e',
            initialDelay: 0,
            failureLimit: 0,
            inconclusiveLimit: 0,
            consecutiveErrorLimit: 4,
            sampleTimeout: 60_000,
            successCondition: 'result < 0.01',
            provider: { kind: 'router', signal: 'errorRate', window: 60_000 },
          },
        ],
      },
    ] as AnalysisTemplate[],
  ];
  const [service, environment, canaryRevision, baselineRevision] = ['shop', 'production', 'r2', 'r1'];
  const canarySince = clock.now();
  const routerSignalsSource = traffic({ canary: 5 });
  const saved: { record: MeasurementRecord; metric: unknown }[] = [];
  const store = { save: (record: MeasurementRecord, metric: unknown) => void saved.push({ record, metric }) };
  const log: string[] = [];
  const say = (line: string): void => {
    log.push(line);
  };
  const signal = new AbortController().signal;
  const metricsSink = createMemoryBusinessMetrics({ clock });
  const run = async () => {
    // biome-ignore format: the example in docs/analysis.md, character for character
    const result = await runAnalysis(templates, {
  target: { service, environment, canaryRevision, baselineRevision, canarySince },
  providers: createProviders({ router: routerSignalsSource, business: metricsSink }),
  clock, sleep,                 // injected; tests use createVirtualTime()
  onMeasurement: (record, metric) => store.save(record, metric),
  onWaiting: (notice) => say(notice.message), // a measurement waits for data
  signal,                       // abort to end background analysis
});
    return result;
  };
  const result = await time.run(run());
  return { result, saved, log };
}
