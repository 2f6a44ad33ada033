// The data plane outlives the control plane (docs/adr/0011-router-process.md): steady keep-alive
// load through the router (autocannon, 20 connections) on a blue-green production, while
// `flowline serve` is killed with SIGKILL and started again 10 times, then one more deploy goes
// through the adopted router. Counts every failed request: non-2xx, resets, refused connections,
// timeouts. The goal is 0.
import { setTimeout as delay } from 'node:timers/promises';
import { startLoad } from './lib/load.js';
import { loadAverage, startFlowline } from './release.js';

const ENVIRONMENTS = `environments:
  production:
    strategy: { blueGreen: { scaleDownDelay: 0s } }
`;

/** @param {{ restarts?: number, connections?: number }} [options] */
export async function benchControlPlaneRestarts(options = {}) {
  const restarts = options.restarts ?? 10;
  const connections = options.connections ?? 20;
  const flowline = await startFlowline(ENVIRONMENTS);
  const loadAtStart = loadAverage();
  try {
    const [a] = flowline.artifacts;
    await flowline.must(['deploy', 'production', '--artifact', a]);
    const running = startLoad({
      url: `${flowline.routerUrl}/api/hello`,
      headers: { host: 'production.hello.localhost' },
      connections,
      durationS: 600, // a bound: stopped as soon as the restarts are done
      timeoutS: 10,
    });
    await delay(1000);
    /** @type {number[]} */
    const downMs = [];
    for (let i = 0; i < restarts; i++) {
      const started = performance.now();
      await flowline.restart('SIGKILL');
      downMs.push(performance.now() - started);
      await delay(300);
    }
    // A deploy after the restarts: the adopted router still takes new routes.
    await flowline.must(['deploy', 'production', '--artifact', flowline.artifacts[1]]);
    await delay(1000);
    running.stop();
    const result = await running.done;
    downMs.sort((x, y) => x - y);
    return {
      name: 'control-plane-restarts',
      runs: 1,
      results: [
        {
          case: `${restarts} × kill -9 and restart of flowline serve, ${connections} connections`,
          requests: result.requests,
          failed: result.failed,
          failures: JSON.stringify(result.failures),
          'req/s': Math.round(result.reqPerSec),
          'p99 ms': result.latencyMs.p99,
          'control plane down, median ms': Math.round(downMs[Math.floor(downMs.length / 2)] ?? 0),
        },
        { case: `note: load average ${loadAtStart} at start, ${loadAverage()} at end` },
      ],
    };
  } finally {
    await flowline.stop();
  }
}
