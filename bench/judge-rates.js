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
// returned) looks every second for `JUDGE_LOOK_S` (default 60) seconds after the canary took
// traffic, each time over the judge's window (1m) cut to the canary's age, as an analysis measures.
// A trial's verdict is what the analysis engine would have made of those looks for a metric set of
// both judges, `latencyP99` and `errorRate`, measuring every `JUDGE_INTERVAL` s (10), `JUDGE_COUNT`
// times (3), `failureLimit: 0`, each measurement waiting for enough samples (engineVerdict below).
// Reported: counts of fails and pauses, the time to the verdict, and how often a judge looking every
// second would have failed.
//
// `JUDGE_TRIALS` (default 100) sets the number of trials; `JUDGE_RATES_RAW=<file>` also writes the
// samples of the looks (every second's for 15 s, then every fifth second's) as JSON lines, which `bench/judge-replay.js` judges again
// with other settings (tolerance, minimum samples, schedule).
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
/**
 * The analysis a trial's verdict is that of: each judge a metric of its own, measuring every
 * `JUDGE_INTERVAL` seconds (default 10), `JUDGE_COUNT` times (default 3), `failureLimit: 0`, from
 * the moment the canary takes traffic, as background analysis does (see {@link engineVerdict}).
 */
export const SCHEDULE = {
  initialDelay: 0,
  interval: wholeSeconds('JUDGE_INTERVAL', 10),
  count: wholeSeconds('JUDGE_COUNT', 3),
  /** The metric's default `sampleTimeout` (1m): how long a measurement waits for enough samples. */
  sampleTimeout: 60,
  /** Seconds between asks while a pass is undecided: 1, as the engine; a replay may try others. */
  undecidedPoll: 1,
};
/** Seconds each trial is watched (a look every second): `JUDGE_LOOK_S`, default 60. */
const LOOK_S = wholeSeconds('JUDGE_LOOK_S', 60);
/**
 * Looks kept in `JUDGE_RATES_RAW`: every second's for the first RAW_EVERY_UNTIL_S seconds, where a
 * measurement waiting for its minimum of samples is taken, then every RAW_EVERY_S seconds' (every
 * look would be gigabytes).
 */
const RAW_EVERY_S = 5;
const RAW_EVERY_UNTIL_S = 15;
const ENVIRONMENT = 'bench';
const BASE = { FAULT_ERROR_RATE: '0.005' };
const WORK = { ...BASE, WORK_MS: '20' };
const SIGNALS = /** @type {const} */ (['latencyP99', 'errorRate']);

/**
 * @typedef {{ key: string, name: string, env: Record<string, string>, canaryEnv: Record<string, string>,
 *   regressed?: (typeof SIGNALS)[number] }} Scenario
 * @typedef {{ atS: number, samples: Record<string, number[]> }} Look
 * @typedef {{ atS: number, signal: string, verdict: 'pass' | 'fail' | 'inconclusive', tentative: boolean,
 *   detail: string }} MetricLook one judge's verdict at one look; `tentative`: a pass more samples may overturn
 * @typedef {{ atS: number, metrics: MetricLook[] }} LookVerdict both judges' verdicts at one look
 * @typedef {{ verdict: 'pass' | 'fail' | 'inconclusive' | 'unfinished', atS: number, look?: MetricLook }} EngineVerdict
 * @typedef {import('../src/analysis/index.js').MetricOf<'judge'>} JudgeMetric
 * @type {Scenario[]}
 */
export const SCENARIOS = [
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
export function judgeMetrics() {
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
  // The same trials judged against the warm stable instance too (fresh mode): `JUDGE_WARM=0` skips it.
  const alsoWarm = fresh && process.env.JUDGE_WARM !== '0';
  const rawFile = process.env.JUDGE_RATES_RAW;
  const metrics = judgeMetrics();
  // The engine measures over the metric's window, cut to the canary's age (src/analysis/window.ts).
  const windowCapMs = Math.min(...metrics.map((m) => ('window' in m.provider ? m.provider.window : 60_000)));
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
        const windowMs = Math.min(Date.now() - since, windowCapMs);
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
          if (alsoWarm) perLookWarm.push(await judgeLook(look, metrics, 'warm', false));
        }
        verdicts[i]?.push(perLook);
        if (alsoWarm) warmVerdicts[i]?.push(perLookWarm);
        const last = looks[i]?.at(-1)?.samples;
        lastCounts[i]?.push(last?.['latency:canary']?.length ?? 0, last?.['latency:baseline']?.length ?? 0);
        if (rawFile !== undefined) {
          const kept = looks[i]?.filter((l) => l.atS <= RAW_EVERY_UNTIL_S || l.atS % RAW_EVERY_S === 0);
          const line = `${JSON.stringify({ trial, scenario: s.key, looks: kept })}\n`;
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
      ...(alsoWarm
        ? SCENARIOS.map((s, i) => summarise(s, warmVerdicts[i] ?? [], 'vs warm stable, same trials'))
        : []),
      {
        scenario: `defaults: tolerance ${freshTolerance.latency} (latency) / ${freshTolerance.other} (errorRate) vs a fresh baseline, ${stableTolerance} vs the warm stable; confidence ${latency?.confidence}, minDifference ${DEFAULT_MIN_DIFFERENCE.latencyP99} ms (latency) / ${DEFAULT_MIN_DIFFERENCE.errorRate} (errorRate), ${JUDGE_MIN_SAMPLES} samples`,
      },
      {
        scenario: `note: ${RATE} req/s per service, ${CANARY_WEIGHT}% to the canary${fresh ? ` and ${CANARY_WEIGHT}% to a fresh baseline` : ''}, measured every ${SCHEDULE.interval} s ×${SCHEDULE.count} from ${SCHEDULE.initialDelay} s (each waiting up to ${SCHEDULE.sampleTimeout} s for ${JUDGE_MIN_SAMPLES} samples a side), watched ${LOOK_S} s; samples at ${LOOK_S} s (median canary/baseline): ${lastCounts.map((c) => `${median(evens(c, 0))}/${median(evens(c, 1))}`).join(', ')}`,
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
 * @param {{ tolerance?: number, minSamples?: number, errorMinDifference?: number, confidence?: number }} [options]
 *   replayed settings: the latency judges' tolerance, the judge's minimum samples a side, the error
 *   judge's minDifference, both judges' confidence
 * @returns {Promise<LookVerdict>}
 */
export async function judgeLook(look, metrics, against, freshBaseline, options = {}) {
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
  const provider = createJudgeProvider(
    replay,
    options.minSamples === undefined ? {} : { minSamples: options.minSamples },
  );
  /** @type {MetricLook[]} */
  const out = [];
  for (const judged of metrics) {
    const latency = judged.provider.signal.startsWith('latency');
    const settings = {
      ...judged.provider,
      ...(latency && options.tolerance !== undefined ? { tolerance: options.tolerance } : {}),
      ...(!latency && options.errorMinDifference !== undefined
        ? { minDifference: options.errorMinDifference }
        : {}),
      ...(options.confidence === undefined ? {} : { confidence: options.confidence }),
    };
    const metric = { ...judged, provider: settings };
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
    const base = { atS: look.atS, signal: metric.name };
    out.push(
      m.kind === 'value'
        ? {
            ...base,
            verdict: m.value === 1 ? 'pass' : 'fail',
            tentative: m.tentative === true,
            detail: m.detail ?? '',
          }
        : {
            ...base,
            verdict: 'inconclusive',
            tentative: false,
            detail: m.kind === 'noData' ? m.reason : m.message,
          },
    );
  }
  return { atS: look.atS, metrics: out };
}

/**
 * One row: the analysis engine's verdicts on the trials (how many failed, by which judge, when;
 * how many paused on too few samples), and how many would have failed at any look taken (every
 * second here; in a replay of `JUDGE_RATES_RAW`, the looks it recorded).
 * @param {Scenario} s @param {LookVerdict[][]} trials @param {string} against
 * @param {typeof SCHEDULE} [schedule]
 */
export function summarise(s, trials, against, schedule = SCHEDULE) {
  const total = trials.length;
  const outcomes = trials.map((looks) => engineVerdict(looks, schedule));
  const failing = /** @type {MetricLook[]} */ (
    outcomes.flatMap((o) => (o.verdict === 'fail' && o.look !== undefined ? [o.look] : []))
  );
  const count = (/** @type {string} */ verdict) => outcomes.filter((o) => o.verdict === verdict).length;
  const bySignal = SIGNALS.map((signal) => `${signal} ${failing.filter((v) => v.signal === signal).length}`);
  const anyLook = trials.filter((looks) =>
    looks.some((l) => l.metrics.some((m) => m.verdict === 'fail')),
  ).length;
  const firstJudged = trials.map(
    (looks) => looks.find((l) => l.metrics.every((m) => m.verdict !== 'inconclusive'))?.atS ?? Number.NaN,
  );
  const sorted = failing.map((l) => l.atS).sort((a, b) => a - b);
  const passedAt = outcomes.filter((o) => o.verdict === 'pass').map((o) => o.atS);
  const percent = (/** @type {number} */ n) => `${((n / Math.max(1, total)) * 100).toFixed(1)}%`;
  const last = failing[0] ?? trials[0]?.at(-1)?.metrics[0];
  return {
    scenario: `${s.name}, ${against}`,
    failed: `${sorted.length}/${total} (${percent(sorted.length)})`,
    goal: s.regressed === undefined ? 'false fails < 1%' : 'detected > 95%',
    'failed by': bySignal.join(', '),
    'failed at s (median, 95th pct)':
      sorted.length === 0
        ? '-'
        : `${median(sorted)}, ${sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]}`,
    'passed at s (median)': passedAt.length === 0 ? '-' : median(passedAt),
    paused: count('inconclusive'),
    ...(count('unfinished') === 0 ? {} : { 'unfinished (raise JUDGE_LOOK_S)': count('unfinished') }),
    'first judged at s (median)': median(firstJudged),
    'failed at any look': `${anyLook}/${total}`,
    example: last?.detail ?? '',
  };
}

/**
 * The analysis engine's verdict on one trial's judged looks: each judge a metric of its own
 * ({@link metricVerdict}); the run ends at the first metric that is not Successful, and passes
 * when all have.
 * @param {LookVerdict[]} looks
 * @param {typeof SCHEDULE} schedule
 * @returns {EngineVerdict}
 */
export function engineVerdict(looks, schedule) {
  const perMetric = SIGNALS.map((_, k) =>
    metricVerdict(
      looks.flatMap((l) => (l.metrics[k] === undefined ? [] : [l.metrics[k]])),
      schedule,
    ),
  );
  const ended = perMetric
    .filter((o) => o.verdict !== 'pass')
    .sort((a, b) => a.atS - b.atS || (a.verdict === 'fail' ? -1 : 1));
  return ended[0] ?? { verdict: 'pass', atS: Math.max(...perMetric.map((o) => o.atS)) };
}

/**
 * One metric's verdict as src/analysis/run.ts makes it: the first measurement at `initialDelay`;
 * one without enough samples, or with a pass that more samples may overturn (`tentative`), is asked
 * again at each look until one decides (a fail, or a pass shown within a margin) or `sampleTimeout`
 * has passed: then the last answer is the measurement (Inconclusive without samples: with the
 * default `inconclusiveLimit` of 0 the release pauses; the undecided pass is kept). The next
 * measurement comes `interval` after the last was taken; the first failing one fails the metric
 * (`failureLimit: 0`), else it passes after `count`. `unfinished`: the looks end first.
 * @param {MetricLook[]} looks
 * @param {typeof SCHEDULE} schedule
 * @returns {EngineVerdict}
 */
export function metricVerdict(looks, schedule) {
  const lastLook = looks.at(-1)?.atS ?? 0;
  let due = schedule.initialDelay;
  for (let k = 0; k < schedule.count; k++) {
    const waiting = looks.filter((l) => l.atS >= due && l.atS - due <= schedule.sampleTimeout);
    // Asked every second while there are too few samples; every `undecidedPoll` s once undecided.
    const firstAnswer = waiting.find((l) => l.verdict !== 'inconclusive')?.atS ?? due;
    const asked = waiting.filter(
      (l) =>
        l.atS <= firstAnswer ||
        (l.atS - firstAnswer) % schedule.undecidedPoll === 0 ||
        l.atS - due === schedule.sampleTimeout,
    );
    let look = asked.find((l) => l.verdict === 'fail' || (l.verdict === 'pass' && !l.tentative));
    if (look === undefined) {
      const timeout = due + schedule.sampleTimeout;
      if (timeout > lastLook) return { verdict: 'unfinished', atS: lastLook };
      look = asked.at(-1);
      if (look === undefined || look.verdict === 'inconclusive')
        return { verdict: 'inconclusive', atS: timeout };
    }
    if (look.verdict === 'fail') return { verdict: 'fail', atS: look.atS, look };
    due = look.atS + schedule.interval;
    if (k < schedule.count - 1 && due > lastLook) return { verdict: 'unfinished', atS: lastLook };
  }
  return { verdict: 'pass', atS: due - schedule.interval };
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** @param {string} name @param {number} fallback */
function wholeSeconds(name, fallback) {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number above 0: ${raw}`);
  return value;
}

function loadAverage() {
  return os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}
