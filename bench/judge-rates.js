// The judge's error rates through the real router: how often it fails a canary that runs the same
// code as the stable revision (false fails), and how often it catches one that is 20% slower or
// answers 2% more errors (detection), with the defaults a user gets from `judge: { signal: … }`.
//
// Set-up, like a first canary: the example service (examples/hello) behind Flowline's router
// (compiled code from dist/, its own process, driven over its control socket as `flowline serve`
// drives it): the stable revision one warm instance, the canary one instance started fresh for
// every trial (a new process: cold JIT, new connections, as in a real release), 20% of the traffic
// to the canary (`flowline init`'s first step). As a release with a judge does (src/deploy/
// baseline.ts), each trial also starts a fresh baseline instance of the stable code beside the
// canary with the same 20% (stable 60%), and the judge compares the canary with it; the same
// trials are also judged against the warm stable instance, to show the cold-start bias side by
// side at the same load. `JUDGE_BASELINE=warm` runs the old set-up instead: no fresh baseline,
// canary 20% vs stable 80%, judged against the warm stable instance. Open-loop Poisson load from
// another process, 200 requests/s per service. Every instance answers 0.5% errors
// (FAULT_ERROR_RATE), so the error judge has noise to get wrong.
//
// Five services run side by side, the trials of all five at the same moments so machine noise
// hits them alike: the same code with no work (answers in well under 1 ms: the issue's case), with
// 3 ms and with 20 ms of simulated work (WORK_MS: log-normal, like a handler waiting on a
// database), that 20 ms code 20% slower in the canary (FAULT_SLOWDOWN=0.2), and 2% more errors in
// the canary (FAULT_ERROR_RATE 0.025 vs 0.005).
//
// Each trial the judge (the real provider, on what the router's adapter for the release controller
// returned) looks every second from 1 s to 30 s after the canary took traffic, each time over the
// window since then (an analysis's window is cut to the canary's age). A trial's verdict is that of
// a metric measuring at SCHEDULE (`interval: 10s, count: 3, failureLimit: 0`) with both judges,
// `latencyP99` and `errorRate`: it fails at the first failing look. Reported: counts of fails, the
// time to the verdict, and how often a judge looking every second would have failed.
//
// `JUDGE_TRIALS` (default 100) sets the number of trials; `JUDGE_RATES_RAW=<file>` also writes
// every look's samples as JSON lines, to study other settings offline.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHello } from './lib/hello.js';
import { spawnReady } from './lib/process.js';
import { median } from './lib/stats.js';

// Computed specifiers keep tsc (checkJs) from type-checking compiled JavaScript.
/** @type {typeof import('../src/router/index.js')} */
const { ensureRouterProcess, stopRouter } = await import(
  new URL('../dist/router/index.js', import.meta.url).href
);
/** @type {typeof import('../src/app/analysis.js')} */
const { routerSignals } = await import(new URL('../dist/app/analysis.js', import.meta.url).href);
/** @type {typeof import('../src/analysis/providers/router.js')} */
const { createJudgeProvider, DEFAULT_MIN_DIFFERENCE, DEFAULT_TOLERANCE, JUDGE_MIN_SAMPLES } = await import(
  new URL('../dist/analysis/providers/router.js', import.meta.url).href
);
/** @type {typeof import('../src/config/index.js')} */
const { parseConfig } = await import(new URL('../dist/config/index.js', import.meta.url).href);

const LOAD = fileURLToPath(new URL('./lib/poisson-load-process.js', import.meta.url));
const RATE = 200;
const CANARY_WEIGHT = 20;
const LOOK_S = 30;
/** Seconds after the canary took traffic at which the reported analysis measures. */
const SCHEDULE = [10, 20, 30];
const ENVIRONMENT = 'bench';
const BASE = { FAULT_ERROR_RATE: '0.005' };
const WORK = { ...BASE, WORK_MS: '20' };
const SIGNALS = /** @type {const} */ (['latencyP99', 'errorRate']);

/**
 * @typedef {{ key: string, name: string, env: Record<string, string>, canaryEnv: Record<string, string>,
 *   regressed?: (typeof SIGNALS)[number] }} Scenario
 * @typedef {{ atS: number, samples: Record<string, number[]> }} Look
 * @typedef {{ verdict: 'pass' | 'fail' | 'inconclusive', signal?: string, detail: string }} LookVerdict
 * @typedef {import('../src/analysis/index.js').MetricOf<'judge'>} JudgeMetric
 * @type {Scenario[]}
 */
const SCENARIOS = [
  { key: 'fast', name: 'same code, no work (<1 ms)', env: BASE, canaryEnv: {} },
  { key: 'light', name: 'same code, 3 ms of work', env: { ...BASE, WORK_MS: '3' }, canaryEnv: {} },
  { key: 'work', name: 'same code, 20 ms of work', env: WORK, canaryEnv: {} },
  {
    key: 'slow',
    name: 'canary 20% slower (20 ms)',
    env: WORK,
    canaryEnv: { FAULT_SLOWDOWN: '0.2' },
    regressed: 'latencyP99',
  },
  {
    key: 'errors',
    name: 'canary +2% errors',
    env: WORK,
    canaryEnv: { FAULT_ERROR_RATE: '0.025' },
    regressed: 'errorRate',
  },
];

/** The judge metrics exactly as flowline.yaml gives them to the engine: every default filled in. */
function judgeMetrics() {
  const metrics = SIGNALS.map(
    (signal) => `        - name: ${signal}\n          provider: { judge: { signal: ${signal} } }\n`,
  ).join('');
  const yaml = `version: 1\nservice: bench\nanalysis:\n  templates:\n    judge:\n      metrics:\n${metrics}`;
  const parsed = parseConfig(yaml, 'bench.yaml');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return /** @type {JudgeMetric[]} */ (parsed.config.analysis.templates.judge?.metrics ?? []);
}

/** @param {{ trials?: number, baseline?: 'fresh' | 'warm' }} [options] */
export async function benchJudgeRates(options = {}) {
  const trials = options.trials ?? Number(process.env.JUDGE_TRIALS ?? 100);
  const mode = options.baseline ?? (process.env.JUDGE_BASELINE === 'warm' ? 'warm' : 'fresh');
  const fresh = mode === 'fresh';
  const rawFile = process.env.JUDGE_RATES_RAW;
  const metrics = judgeMetrics();
  const home = mkdtempSync(path.join(os.tmpdir(), 'flowline-judge-'));
  const { control: router, pid } = await ensureRouterProcess({
    home,
    logFile: path.join(home, 'router.log'),
    want: { port: 0, host: '127.0.0.1' },
    log: () => {},
  });
  const source = routerSignals(router);
  const loadAtStart = loadAverage();
  const { port } = await router.listen(0, '127.0.0.1');
  const hostOf = (/** @type {Scenario} */ s) => `${s.key}.judge.localhost`;
  const stables = await Promise.all(SCENARIOS.map((s) => startHello({ id: `${s.key}-stable`, env: s.env })));
  /** @typedef {{ id: string, url: string, revision: string }} Fresh */
  /** @param {number} i @param {Fresh} [canary] @param {Fresh} [baseline] */
  const route = async (i, canary, baseline) => {
    const scenario = /** @type {Scenario} */ (SCENARIOS[i]);
    const { id, url } = /** @type {(typeof stables)[number]} */ (stables[i]);
    const stable = { revision: 'stable', weight: 100, instances: [{ id, url }] };
    /** @param {Fresh} f */
    const backend = (f) => ({
      revision: f.revision,
      weight: CANARY_WEIGHT,
      instances: [{ id: f.id, url: f.url }],
    });
    // As a release orders them (stable, baseline, canary): sticky users only ever move into the canary.
    const backends =
      canary === undefined
        ? [stable]
        : baseline === undefined
          ? [{ ...stable, weight: 100 - CANARY_WEIGHT }, backend(canary)]
          : [{ ...stable, weight: 100 - 2 * CANARY_WEIGHT }, backend(baseline), backend(canary)];
    await router.setRoute(hostOf(scenario), { service: scenario.key, environment: ENVIRONMENT, backends });
  };
  await Promise.all(SCENARIOS.map((_, i) => route(i, undefined)));
  const targets = SCENARIOS.map((s) => ({ url: `http://127.0.0.1:${port}`, host: hostOf(s), rate: RATE }));
  const load = await spawnReady(process.execPath, [LOAD, JSON.stringify(targets)], { ready: /load running/ });
  /** @type {LookVerdict[][][]} per scenario, per trial, per look: against the baseline of `mode` */
  const verdicts = SCENARIOS.map(() => []);
  /** @type {LookVerdict[][][]} the same trials against the warm stable instance (fresh mode only) */
  const warmVerdicts = SCENARIOS.map(() => []);
  /** @type {number[][]} canary and baseline latency samples at the last look of each trial */
  const lastCounts = SCENARIOS.map(() => []);
  try {
    await sleep(5000); // the stable instances warm up, as a stable revision has
    for (let trial = 1; trial <= trials; trial++) {
      const revision = `canary-${trial}`;
      const baselineRevision = `baseline-${trial}`;
      // Started together and routed together, as the release controller does.
      const [canaries, baselines] = await Promise.all([
        Promise.all(
          SCENARIOS.map((s) => startHello({ id: `${s.key}-${revision}`, env: { ...s.env, ...s.canaryEnv } })),
        ),
        fresh
          ? Promise.all(SCENARIOS.map((s) => startHello({ id: `${s.key}-${baselineRevision}`, env: s.env })))
          : Promise.resolve([]),
      ]);
      await Promise.all(
        canaries.map((c, i) => {
          const b = baselines[i];
          return route(
            i,
            { ...c, revision },
            b === undefined ? undefined : { ...b, revision: baselineRevision },
          );
        }),
      );
      const since = Date.now();
      /** @type {Look[][]} */
      const looks = SCENARIOS.map(() => []);
      for (let atS = 1; atS <= LOOK_S; atS++) {
        await sleep(since + atS * 1000 - Date.now());
        const windowMs = Date.now() - since;
        const sides = { canary: revision, baseline: fresh ? baselineRevision : 'stable', warm: 'stable' };
        const captured = await Promise.all(SCENARIOS.map((s) => capture(source, s.key, sides, windowMs)));
        captured.forEach((samples, i) => {
          looks[i]?.push({ atS, samples });
        });
      }
      await Promise.all(SCENARIOS.map((_, i) => route(i, undefined)));
      await Promise.all(
        [...canaries, ...baselines].map(async (c) => {
          await router.drain([c.id]);
          await c.stop();
        }),
      );
      for (const [i, s] of SCENARIOS.entries()) {
        const perLook = [];
        const perLookWarm = [];
        for (const look of looks[i] ?? []) {
          perLook.push(await judgeLook(look, metrics, 'baseline', fresh));
          if (fresh) perLookWarm.push(await judgeLook(look, metrics, 'warm', false));
        }
        verdicts[i]?.push(perLook);
        if (fresh) warmVerdicts[i]?.push(perLookWarm);
        const last = looks[i]?.at(-1)?.samples;
        lastCounts[i]?.push(last?.['latency:canary']?.length ?? 0, last?.['latency:baseline']?.length ?? 0);
        if (rawFile !== undefined) {
          const line = `${JSON.stringify({ trial, scenario: s.key, looks: looks[i] })}\n`;
          writeFileSync(rawFile, line, { flag: trial === 1 && i === 0 ? 'w' : 'a' });
        }
      }
      if (trial % 10 === 0) console.error(`judge-rates: ${trial}/${trials} trials`);
    }
  } finally {
    await load.stop();
    await stopRouter(router, pid, 1000);
    rmSync(home, { recursive: true, force: true });
    await Promise.all(stables.map((s) => s.stop()));
  }
  const [latency] = metrics.map((m) => m.provider);
  const { fresh: freshTolerance, stable: stableTolerance } = DEFAULT_TOLERANCE;
  const evens = (/** @type {number[]} */ xs, /** @type {number} */ parity) =>
    xs.filter((_, k) => k % 2 === parity);
  return {
    name: 'judge-rates',
    runs: trials,
    results: [
      ...SCENARIOS.map((s, i) =>
        summarise(s, verdicts[i] ?? [], fresh ? 'vs fresh baseline' : 'vs warm stable (no fresh baseline)'),
      ),
      ...(fresh
        ? SCENARIOS.map((s, i) => summarise(s, warmVerdicts[i] ?? [], 'vs warm stable, same trials'))
        : []),
      {
        scenario: `defaults: tolerance ${freshTolerance.latency} (latency) / ${freshTolerance.other} (errorRate) vs a fresh baseline, ${stableTolerance} vs the warm stable; confidence ${latency?.confidence}, minDifference ${DEFAULT_MIN_DIFFERENCE.latencyP99} ms (latency) / ${DEFAULT_MIN_DIFFERENCE.errorRate} (errorRate), ${JUDGE_MIN_SAMPLES} samples`,
      },
      {
        scenario: `note: ${RATE} req/s per service, ${CANARY_WEIGHT}% to the canary${fresh ? ` and ${CANARY_WEIGHT}% to a fresh baseline` : ''}, looks at ${SCHEDULE.join(', ')} s; samples at ${LOOK_S} s (median canary/baseline): ${lastCounts.map((c) => `${median(evens(c, 0))}/${median(evens(c, 1))}`).join(', ')}`,
      },
      { scenario: `note: load average ${loadAtStart} at start, ${loadAverage()} at end` },
    ],
  };
}

/**
 * What the release controller's adapter returns for one look: latency samples and the request
 * and error counts the error judge uses, for each side (canary, baseline, the warm stable).
 * @param {ReturnType<typeof routerSignals>} source @param {string} service
 * @param {Record<string, string>} sides side → revision @param {number} windowMs
 */
async function capture(source, service, sides, windowMs) {
  /** @type {Record<string, number[]>} */
  const samples = {};
  for (const [side, rev] of Object.entries(sides)) {
    const options = { windowMs };
    const latencies = await source.samples(service, ENVIRONMENT, rev, { ...options, kind: 'latency' });
    const signals = await source.signals(service, ENVIRONMENT, rev, options);
    samples[`latency:${side}`] = [...latencies];
    samples[`counts:${side}`] = [signals?.requests ?? 0, signals?.errors ?? 0];
  }
  return samples;
}

/**
 * The verdict of one look: the real judge provider on the captured samples, for each signal, the
 * canary against `against` (`baseline` or `warm`). The look fails when either judge fails (both
 * metrics run in the same analysis). `freshBaseline` as the analysis engine sets it: whether
 * `against` is a fresh baseline, which picks the judge's default tolerance.
 * @param {Look} look @param {JudgeMetric[]} metrics @param {string} against @param {boolean} freshBaseline
 * @returns {Promise<LookVerdict>}
 */
async function judgeLook(look, metrics, against, freshBaseline) {
  const replay = {
    /** @param {string} _s @param {string} _e @param {string} side */
    signals: (_s, _e, side) => {
      const [requests = 0, errors = 0] = look.samples[`counts:${side}`] ?? [];
      return {
        requests,
        errors,
        ratePerSec: 0,
        errorRate: null,
        p50: null,
        p95: null,
        p99: null,
        mean: null,
      };
    },
    /** @param {string} _s @param {string} _e @param {string} side */
    samples: (_s, _e, side) => look.samples[`latency:${side}`] ?? [],
  };
  const provider = createJudgeProvider(replay);
  /** @type {LookVerdict[]} */
  const out = [];
  for (const metric of metrics) {
    const m = await provider.measure(metric, {
      service: 'bench',
      environment: ENVIRONMENT,
      canaryRevision: 'canary',
      baselineRevision: against,
      freshBaseline,
      windowMs: look.atS * 1000,
      wantBaseline: false,
      now: new Date(),
      signal: new AbortController().signal,
    });
    out.push(
      m.kind === 'value'
        ? { verdict: m.value === 1 ? 'pass' : 'fail', signal: metric.name, detail: m.detail ?? '' }
        : {
            verdict: 'inconclusive',
            signal: metric.name,
            detail: m.kind === 'noData' ? m.reason : m.message,
          },
    );
  }
  return (
    out.find((v) => v.verdict === 'fail') ??
    out.find((v) => v.verdict === 'inconclusive') ?? { verdict: 'pass', detail: out[0]?.detail ?? '' }
  );
}

/**
 * One row: trials failed at a look of the schedule (by which judge), when, and at any 1-s look.
 * @param {Scenario} s @param {LookVerdict[][]} trials @param {string} against
 */
function summarise(s, trials, against) {
  const total = trials.length;
  const firstFail = trials.map((looks) => SCHEDULE.find((at) => looks[at - 1]?.verdict === 'fail'));
  const failedAt = /** @type {number[]} */ (firstFail.filter((at) => at !== undefined));
  const failing = trials.flatMap((looks, k) => {
    const at = firstFail[k];
    return at === undefined ? [] : [/** @type {LookVerdict} */ (looks[at - 1])];
  });
  const bySignal = SIGNALS.map((signal) => `${signal} ${failing.filter((v) => v.signal === signal).length}`);
  const anyLook = trials.filter((looks) => looks.some((l) => l.verdict === 'fail')).length;
  const firstJudged = trials.map((looks) => looks.findIndex((l) => l.verdict !== 'inconclusive') + 1);
  const sorted = [...failedAt].sort((a, b) => a - b);
  return {
    scenario: `${s.name}, ${against}`,
    failed: `${failedAt.length}/${total} (${((failedAt.length / Math.max(1, total)) * 100).toFixed(1)}%)`,
    goal: s.regressed === undefined ? 'false fails < 1%' : 'detected > 95%',
    'failed by': bySignal.join(', '),
    'verdict at s (median, 95th pct)':
      sorted.length === 0
        ? `pass at ${SCHEDULE.at(-1)}`
        : `${median(sorted)}, ${sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]}`,
    'first judged at s (median)': median(firstJudged),
    'failed at any 1-s look': `${anyLook}/${total}`,
    example: (failing[0] ?? trials[0]?.at(-1))?.detail ?? '',
  };
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function loadAverage() {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}
