// Time from `flowline deploy` to traffic switched, minus the app's own start-up time. N blue-green
// deploys (1 instance, one smoke check, artifacts alternating) through the CLI, timed from its
// spawn by the arrival of its progress lines: instance spawned (`starting on :port`), healthy,
// `✔ traffic switched`; and N more sent straight to the API (POST /v1/deploy, NDJSON progress),
// which leaves out the CLI's own start-up. The app's start-up is spawned → healthy as the
// supervisor's health check sees it (probed every 200 ms while starting); the same app started by
// hand (spawn → "listening") is shown for scale. Medians.
import { startHello } from './lib/hello.js';
import { median } from './lib/stats.js';
import { loadAverage, startFlowline } from './release.js';

const ENVIRONMENTS = `environments:
  timing:
    instances: 1
    strategy: { blueGreen: { scaleDownDelay: 0s } }
`;

/**
 * Progress line times of one deploy; throws unless every step was seen.
 * @returns {{ on: (line: string, ms: number) => void, times: () => { spawned: number, healthy: number, switched: number } }}
 */
function stepTimes() {
  /** @type {{ spawned?: number, healthy?: number, switched?: number }} */
  const at = {};
  return {
    on(line, ms) {
      if (/: starting on :\d+$/.test(line)) at.spawned ??= ms;
      if (/: healthy on :\d+$/.test(line)) at.healthy = ms;
      if (line.startsWith('✔ traffic switched to')) at.switched ??= ms;
    },
    times() {
      const { spawned, healthy, switched } = at;
      if (spawned === undefined || healthy === undefined || switched === undefined)
        throw new Error(`a deploy did not report its steps: ${JSON.stringify(at)}`);
      return { spawned, healthy, switched };
    },
  };
}

/** @param {{ deploys?: number }} [options] */
export async function benchDeployTiming(options = {}) {
  const deploys = options.deploys ?? 10;
  const flowline = await startFlowline(ENVIRONMENTS);
  const loadAtStart = loadAverage();
  /** @type {Record<'cli' | 'cliApp' | 'cliOverhead' | 'cliBefore' | 'cliRecorded' | 'cliAfter' | 'cliExit' | 'api' | 'apiApp' | 'apiOverhead' | 'apiBefore' | 'apiAfter' | 'bare', number[]>} */
  const t = {
    cli: [],
    cliApp: [],
    cliOverhead: [],
    cliBefore: [],
    cliRecorded: [],
    cliAfter: [],
    cliExit: [],
    api: [],
    apiApp: [],
    apiOverhead: [],
    apiBefore: [],
    apiAfter: [],
    bare: [],
  };
  try {
    const [a, b] = flowline.artifacts;
    await flowline.must(['deploy', 'timing', '--artifact', a]);
    for (let i = 0; i < deploys; i++) {
      const viaCli = stepTimes();
      const res = await flowline.cli(['deploy', 'timing', '--artifact', i % 2 === 0 ? b : a], viaCli.on);
      if (res.code !== 0) throw new Error(`deploy ${i + 1} failed:\n${res.stderr}`);
      const c = viaCli.times();
      t.cli.push(c.switched);
      t.cliApp.push(c.healthy - c.spawned);
      t.cliOverhead.push(c.switched - (c.healthy - c.spawned));
      t.cliBefore.push(c.spawned);
      // When the server recorded the deployment (same machine, same clock).
      t.cliRecorded.push(Date.parse((await flowline.release('timing')).deployment.startedAt) - res.startedAt);
      t.cliAfter.push(c.switched - c.healthy);
      t.cliExit.push(res.exitedMs);

      const viaApi = stepTimes();
      const end = await flowline.apiDeploy(
        { environment: 'timing', artifact: i % 2 === 0 ? a : b },
        viaApi.on,
      );
      if (end.type !== 'result') throw new Error(`API deploy ${i + 1} failed: ${JSON.stringify(end)}`);
      const p = viaApi.times();
      t.api.push(p.switched);
      t.apiApp.push(p.healthy - p.spawned);
      t.apiOverhead.push(p.switched - (p.healthy - p.spawned));
      t.apiBefore.push(p.spawned);
      t.apiAfter.push(p.switched - p.healthy);

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
      { case: '`flowline deploy` start → traffic switched (A)', cli: ms(t.cli), 'API only': ms(t.api) },
      { case: 'app start-up: instance spawned → healthy (B)', cli: ms(t.cliApp), 'API only': ms(t.apiApp) },
      {
        case: 'deploy → traffic switched, minus app start-up (A − B)',
        cli: ms(t.cliOverhead),
        'API only': ms(t.apiOverhead),
      },
      { case: '  start → instance spawned', cli: ms(t.cliBefore), 'API only': ms(t.apiBefore) },
      { case: '    of which CLI start → deployment recorded by the server', cli: ms(t.cliRecorded) },
      { case: '  healthy → smoke check → switched', cli: ms(t.cliAfter), 'API only': ms(t.apiAfter) },
      { case: 'CLI start → CLI exit (old revision drained and stopped)', cli: ms(t.cliExit) },
      { case: 'for scale: the app by hand, spawn → "listening"', cli: ms(t.bare) },
      { case: `note: load average ${loadAtStart} at start, ${loadAverage()} at end` },
    ],
  };
}
