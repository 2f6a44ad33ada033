// Zero-downtime deploys: steady keep-alive load through Flowline's router (autocannon, 20
// connections) while 10 blue-green deploys alternate between two artifacts — each time the old
// revision is drained and stopped (scaleDownDelay 0s) — and then one `flowline rollback`, which
// must start the retired artifact again. Counts every failed request: non-2xx, resets, timeouts.
import { setTimeout as delay } from 'node:timers/promises';
import { startLoad } from './lib/load.js';
import { loadAverage, startFlowline } from './release.js';

const ENVIRONMENTS = `environments:
  production:
    strategy: { blueGreen: { scaleDownDelay: 0s } }
`;

/** @param {{ deploys?: number, connections?: number }} [options] */
export async function benchZeroDowntime(options = {}) {
  const deploys = options.deploys ?? 10;
  const connections = options.connections ?? 20;
  const flowline = await startFlowline(ENVIRONMENTS);
  const loadAtStart = loadAverage();
  try {
    const [a, b] = flowline.artifacts;
    await flowline.must(['deploy', 'production', '--artifact', a]);
    const running = startLoad({
      url: `${flowline.routerUrl}/api/hello`,
      headers: { host: 'production.hello.localhost' },
      connections,
      durationS: 600, // a bound: stopped as soon as the deploys are done
      timeoutS: 10,
    });
    await delay(1000);
    /** @type {Set<string>} */
    const revisions = new Set();
    const started = performance.now();
    for (let i = 0; i < deploys; i++) {
      await flowline.must(['deploy', 'production', '--artifact', i % 2 === 0 ? b : a]);
      for (const backend of (await flowline.release('production')).traffic) revisions.add(backend.revision);
    }
    const rollback = await flowline.must(['rollback', 'production']);
    for (const backend of (await flowline.release('production')).traffic) revisions.add(backend.revision);
    const switchingS = (performance.now() - started) / 1000;
    await delay(1000);
    running.stop();
    const result = await running.done;
    return {
      name: 'zero-downtime',
      runs: 1,
      results: [
        {
          case: `${deploys} blue-green deploys + 1 rollback, ${connections} connections`,
          requests: result.requests,
          failed: result.failed,
          failures: JSON.stringify(result.failures),
          'req/s': Math.round(result.reqPerSec),
          'p99 ms': result.latencyMs.p99,
          'revisions served': revisions.size,
          'deploys took s': Math.round(switchingS * 10) / 10,
          rollback: rollback.stderr.includes('restarted') ? 'restarted the retired artifact' : 'warm',
        },
        { case: `note: load average ${loadAtStart} at start, ${loadAverage()} at end` },
      ],
    };
  } finally {
    await flowline.stop();
  }
}
