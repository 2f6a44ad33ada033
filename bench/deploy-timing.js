// Time from `flowline deploy` to traffic switched, minus the app's own start-up time. Each of N
// blue-green deploys (1 instance, one smoke check, artifacts alternating) is timed from the CLI's
// spawn by the arrival of its progress lines: instance spawned (`starting on :port`), healthy,
// `✔ traffic switched`. The app's start-up is spawned → healthy as the supervisor's health check
// sees it (probed every 200 ms while starting); the same app started by hand ("listening") is
// shown for scale. Medians.
import { startHello } from './lib/hello.js';
import { loadAverage, median, startFlowline } from './release.js';

const ENVIRONMENTS = `environments:
  timing:
    instances: 1
    strategy: { blueGreen: { scaleDownDelay: 0s } }
`;

/** @param {{ deploys?: number }} [options] */
export async function benchDeployTiming(options = {}) {
  const deploys = options.deploys ?? 10;
  const flowline = await startFlowline(ENVIRONMENTS);
  const loadAtStart = loadAverage();
  /** @type {Record<'total' | 'app' | 'overhead' | 'before' | 'request' | 'prepare' | 'after' | 'exit' | 'bare', number[]>} */
  const t = {
    total: [],
    app: [],
    overhead: [],
    before: [],
    request: [],
    prepare: [],
    after: [],
    exit: [],
    bare: [],
  };
  try {
    const [a, b] = flowline.artifacts;
    await flowline.must(['deploy', 'timing', '--artifact', a]);
    for (let i = 0; i < deploys; i++) {
      /** @type {{ spawned?: number, healthy?: number, switched?: number }} */
      const at = {};
      const res = await flowline.cli(['deploy', 'timing', '--artifact', i % 2 === 0 ? b : a], (line, ms) => {
        if (/: starting on :\d+$/.test(line)) at.spawned ??= ms;
        if (/: healthy on :\d+$/.test(line)) at.healthy = ms;
        if (line.startsWith('✔ traffic switched to')) at.switched ??= ms;
      });
      const { spawned, healthy, switched } = at;
      if (res.code !== 0 || spawned === undefined || healthy === undefined || switched === undefined)
        throw new Error(`deploy ${i + 1} did not report its steps:\n${res.stderr}`);
      t.total.push(switched);
      t.app.push(healthy - spawned);
      t.overhead.push(switched - (healthy - spawned));
      t.before.push(spawned);
      // Split at the moment the server recorded the deployment (same machine, same clock).
      const recorded = Date.parse((await flowline.release('timing')).deployment.startedAt) - res.startedAt;
      t.request.push(recorded);
      t.prepare.push(spawned - recorded);
      t.after.push(switched - healthy);
      t.exit.push(res.exitedMs);
      const started = performance.now();
      const bare = await startHello();
      t.bare.push(performance.now() - started);
      await bare.stop();
    }
  } finally {
    await flowline.stop();
  }
  /** @param {number[]} values */
  const ms = (values) => Math.round(median(values));
  return {
    name: 'deploy-timing',
    runs: deploys,
    results: [
      { case: '`flowline deploy` start → traffic switched (A)', 'median ms': ms(t.total) },
      { case: 'app start-up: instance spawned → healthy (B)', 'median ms': ms(t.app) },
      { case: 'deploy → traffic switched, minus app start-up (A − B)', 'median ms': ms(t.overhead) },
      { case: '  of which: CLI start → instance spawned', 'median ms': ms(t.before) },
      { case: '    CLI start → the server recorded the deployment', 'median ms': ms(t.request) },
      { case: '    recorded → instance spawned', 'median ms': ms(t.prepare) },
      { case: '  of which: healthy → smoke check → switched', 'median ms': ms(t.after) },
      { case: 'CLI start → CLI exit (old revision drained, stopped)', 'median ms': ms(t.exit) },
      { case: 'for scale: the app by hand, spawn → "listening"', 'median ms': ms(t.bare) },
      { case: `note: load average ${loadAtStart} at start, ${loadAverage()} at end` },
    ],
  };
}
