// Router throughput and added latency, in one run: the same autocannon load (keep-alive,
// 50 connections, 10 s) against the example service directly, through Flowline's router (its own
// process, compiled code from dist/) and through nginx (Debian package, 1 worker, upstream
// keep-alive). Three rounds by default, the targets taking turns, so machine noise hits them
// alike; medians are reported.
// Then an unloaded probe (sequential requests, the targets taking turns, µs clock) gives the
// latency each hop adds when nothing queues. Without nginx the nginx rows say so; none is faked.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { startHello } from './lib/hello.js';
import { probeLatency, runLoad } from './lib/load.js';
import { startNginx } from './lib/nginx.js';
import { spawnReady } from './lib/process.js';
import { median, round } from './lib/stats.js';

const ROUTER_PROCESS = fileURLToPath(new URL('./lib/router-process.js', import.meta.url));
const HOST = 'bench.hello.localhost';

/**
 * @typedef {{ case: string, url: string, stop: () => Promise<unknown> }} Target
 * @typedef {Awaited<ReturnType<typeof runLoad>>} Load
 * @typedef {{ reqPerSec: number, p50: number, p99: number }} Figures
 */

/**
 * @param {{ connections?: number, durationS?: number, rounds?: number, warmupS?: number, probeRequests?: number }} [options]
 */
export async function benchRouter(options = {}) {
  const connections = options.connections ?? 50;
  const durationS = options.durationS ?? 10;
  const rounds = options.rounds ?? 3;
  const hello = await startHello({ id: 'bench-1' });
  /** @type {Target[]} */
  const targets = [{ case: 'direct', url: hello.url, stop: async () => undefined }];
  const notes = [
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  ];
  try {
    const router = await spawnReady(process.execPath, [ROUTER_PROCESS, hello.url, HOST], {
      ready: /router listening on port (\d+)/,
    });
    targets.push({
      case: 'flowline router',
      url: `http://127.0.0.1:${router.match[1]}`,
      stop: () => router.stop(),
    });
    const nginx = await startNginx({ upstream: hello.url, workers: 1 });
    if (nginx === undefined)
      notes.push('nginx is not installed (apt-get install nginx): the nginx peer was skipped');
    else
      targets.push({
        case: `nginx ${nginx.version.replace(/^nginx version: nginx\//, '')} (1 worker)`,
        ...nginx,
      });

    const headers = { host: HOST };
    /** @type {Map<string, Load[]>} */
    const loads = new Map(targets.map((t) => [t.case, []]));
    for (const target of targets) {
      await runLoad({
        url: `${target.url}/api/hello`,
        connections,
        durationS: options.warmupS ?? 2,
        headers,
      });
    }
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) {
        const load = await runLoad({ url: `${target.url}/api/hello`, connections, durationS, headers });
        if (load.failed > 0) {
          throw new Error(`${target.case}: ${load.failed} failed requests ${JSON.stringify(load.failures)}`);
        }
        loads.get(target.case)?.push(load);
      }
    }
    const probes = await probeLatency(
      targets.map((t) => ({ url: `${t.url}/api/hello`, headers })),
      { requests: options.probeRequests ?? 3000 },
    );
    notes.push(
      `load average at end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
    );
    /** @type {Map<string, { load: Figures, probe: (typeof probes)[number] }>} */
    const measured = new Map();
    targets.forEach((t, i) => {
      const runs = loads.get(t.case) ?? [];
      const probe = probes[i];
      if (probe === undefined) throw new Error(`no probe for ${t.case}`);
      measured.set(t.case, {
        load: {
          reqPerSec: median(runs.map((r) => r.reqPerSec)),
          p50: median(runs.map((r) => r.latencyMs.p50)),
          p99: median(runs.map((r) => r.latencyMs.p99)),
        },
        probe,
      });
    });
    return { name: 'router', runs: rounds, results: table(measured, notes), connections, durationS };
  } finally {
    for (const target of targets) await target.stop();
    await hello.stop();
  }
}

/**
 * Rows: each target's figures, its ratio to direct and the latency it adds; then router / nginx.
 * @param {Map<string, { load: Figures, probe: { p50Us: number, p99Us: number } }>} measured
 * @param {string[]} notes
 */
function table(measured, notes) {
  const direct = measured.get('direct');
  if (direct === undefined) throw new Error('no direct measurement');
  /** @type {Record<string, unknown>[]} */
  const rows = [];
  for (const [name, { load, probe }] of measured) {
    rows.push({
      case: name,
      'req/s': Math.round(load.reqPerSec),
      'vs direct': round(load.reqPerSec / direct.load.reqPerSec),
      'p50 ms': load.p50,
      'p99 ms': load.p99,
      '+p50 ms': round(load.p50 - direct.load.p50),
      '+p99 ms': round(load.p99 - direct.load.p99),
      'idle p50 µs': Math.round(probe.p50Us),
      'idle p99 µs': Math.round(probe.p99Us),
      'idle +p50 µs': Math.round(probe.p50Us - direct.probe.p50Us),
      'idle +p99 µs': Math.round(probe.p99Us - direct.probe.p99Us),
    });
  }
  const router = measured.get('flowline router');
  const nginx = [...measured].find(([name]) => name.startsWith('nginx'))?.[1];
  if (router !== undefined && nginx !== undefined) {
    rows.push({
      case: 'router / nginx',
      'req/s': round(router.load.reqPerSec / nginx.load.reqPerSec),
      '+p50 ms': round(router.load.p50 - nginx.load.p50),
      '+p99 ms': round(router.load.p99 - nginx.load.p99),
      'idle +p50 µs': Math.round(router.probe.p50Us - nginx.probe.p50Us),
      'idle +p99 µs': Math.round(router.probe.p99Us - nginx.probe.p99Us),
    });
  }
  for (const note of notes) rows.push({ case: `note: ${note}` });
  return rows;
}
