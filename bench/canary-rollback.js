// Detection to rollback: a canary at 25% weight, paused until promoted, watched by background
// analysis (the router's error rate over 1 s, every 250 ms, failureLimit 0), under steady load
// through the router (20 keep-alive connections). Its instances are then switched to answer 50%
// errors (POST /admin/fault, to each canary instance directly). Measured client-side from the
// first bad response to the last answer from the canary (after which every answer comes from
// stable), and to the journal's "all traffic is back" line (written once the canary was also
// stopped: an upper bound). Also counted, over each whole run: requests that failed other than as
// the canary's own 500s — what the rollback itself cost (aim: 0).
import { setTimeout as delay } from 'node:timers/promises';
import { median } from './lib/stats.js';
import { loadAverage, startFlowline, startRevisionLoad } from './release.js';

const ENVIRONMENTS = `environments:
  canary:
    instances: 1
    strategy:
      canary:
        steps:
          - setWeight: 25
          - pause: {}
        analysis: { templates: [{ templateName: errors }], startingStep: 1 }
analysis:
  templates:
    errors:
      metrics:
        - name: error-rate
          initialDelay: 500ms
          interval: 250ms
          successCondition: result < 0.05
          failureLimit: 0
          provider:
            router: { signal: errorRate, window: 1s }
`;

const HOST = 'canary.hello.localhost';

/** @param {{ runs?: number, connections?: number }} [options] */
export async function benchCanaryRollback(options = {}) {
  const runs = options.runs ?? 7;
  const connections = options.connections ?? 20;
  const flowline = await startFlowline(ENVIRONMENTS);
  const loadAtStart = loadAverage();
  /** @type {{ toLastCanary: number, toSwitch: number, faultToBad: number, canary500: number, collateral: number, requests: number, reason: string }[]} */
  const measured = [];
  try {
    const [a, b] = flowline.artifacts;
    await flowline.must(['deploy', 'canary', '--artifact', a]);
    const stable = (await flowline.release('canary')).traffic[0]?.revision ?? '';
    for (let run = 1; run <= runs; run++) {
      const traffic = startRevisionLoad({ url: flowline.routerUrl, host: HOST, connections });
      const deploying = flowline.cli(['deploy', 'canary', '--artifact', run % 2 === 1 ? b : a]);
      const paused = await flowline.until('canary', (r) => r.phase === 'step:1');
      const canary = paused.traffic.find((x) => x.revision !== stable)?.revision ?? '';
      const urls = await flowline.instanceUrls('canary');
      await delay(1500); // steady state: both revisions serve, the background analysis passes
      const flipped = performance.timeOrigin + performance.now();
      await Promise.all(
        urls.map((url) => fetch(`${url}/admin/fault`, { method: 'POST', body: '{"errorRate":0.5}' })),
      );
      const res = await deploying; // ends by itself once the analysis fails the canary
      await delay(500);
      const answers = await traffic.stop();
      const status = await flowline.release('canary');
      if (res.code === 0 || status.traffic.length !== 1 || status.traffic[0]?.revision !== stable)
        throw new Error(`run ${run}: the canary was not rolled back:\n${res.stderr}`);
      const fromCanary = answers.filter((x) => x.revision === canary);
      const firstBad = fromCanary.find((x) => x.status >= 500 && x.end >= flipped);
      if (firstBad === undefined) throw new Error(`run ${run}: no bad answer was seen:\n${res.stderr}`);
      const switched = status.journal.find((l) => l.message.includes('all traffic is back on'));
      if (switched === undefined) throw new Error(`run ${run}: the journal does not show the rollback`);
      measured.push({
        toLastCanary: Math.max(...fromCanary.map((x) => x.end)) - firstBad.end,
        toSwitch: Date.parse(switched.at) - firstBad.end,
        faultToBad: firstBad.end - flipped,
        canary500: fromCanary.filter((x) => x.status === 500).length,
        collateral: answers.filter(
          (x) => (x.status < 200 || x.status > 299) && !(x.revision === canary && x.status === 500),
        ).length,
        requests: answers.length,
        reason: status.deployment.reason ?? '',
      });
    }
  } finally {
    await flowline.stop();
  }
  const ms = (/** @type {number} */ n) => Math.round(n);
  return {
    name: 'canary-rollback',
    runs,
    results: [
      ...measured.map((m, i) => ({
        case: `run ${i + 1}`,
        'first bad → last canary answer ms': ms(m.toLastCanary),
        'first bad → rollback journaled ms': ms(m.toSwitch),
        'fault set → first bad ms': ms(m.faultToBad),
        'canary 500s': m.canary500,
        'failed beyond the canary 500s': m.collateral,
        requests: m.requests,
      })),
      {
        case: `median of ${runs} (failures: sum)`,
        'first bad → last canary answer ms': ms(median(measured.map((m) => m.toLastCanary))),
        'first bad → rollback journaled ms': ms(median(measured.map((m) => m.toSwitch))),
        'fault set → first bad ms': ms(median(measured.map((m) => m.faultToBad))),
        'canary 500s': ms(median(measured.map((m) => m.canary500))),
        'failed beyond the canary 500s': measured.reduce((sum, m) => sum + m.collateral, 0),
        requests: ms(median(measured.map((m) => m.requests))),
      },
      { case: `reason (run 1): ${measured[0]?.reason}` },
      { case: `note: load average ${loadAtStart} at start, ${loadAverage()} at end` },
    ],
  };
}
