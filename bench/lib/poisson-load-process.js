// Open-loop load in its own process: requests arrive at random (a Poisson process) at a fixed mean
// rate per target, as independent users do, whether or not earlier ones have been answered; up to
// 32 keep-alive connections per target carry them. Its own process, so the load generator does not
// share an event loop with the router it measures.
// Usage: node bench/lib/poisson-load-process.js '<json: [{ "url", "host", "rate", "path" }]>'
// Prints "load running"; on SIGTERM prints one JSON line of counts per target and exits.
import { Pool } from 'undici';

/** @type {{ url: string, host: string, rate: number, path?: string }[]} */
const targets = JSON.parse(process.argv[2] ?? '[]');
if (targets.length === 0) {
  console.error('usage: poisson-load-process.js \'[{"url":…,"host":…,"rate":100}]\'');
  process.exit(2);
}

const counts = targets.map(() => ({ sent: 0, answered: 0, failed: 0 }));
const pools = targets.map((t) => new Pool(t.url, { connections: 32, pipelining: 1 }));
let stopped = false;

/** @param {number} i */
function send(i) {
  const target = /** @type {(typeof targets)[number]} */ (targets[i]);
  const count = /** @type {(typeof counts)[number]} */ (counts[i]);
  const pool = /** @type {Pool} */ (pools[i]);
  count.sent += 1;
  pool
    .request({ path: target.path ?? '/api/hello?name=bench', method: 'GET', headers: { host: target.host } })
    .then(async (res) => {
      await res.body.dump();
      count.answered += 1;
    })
    .catch(() => {
      count.failed += 1;
    });
}

/**
 * Each target's arrivals: exponential gaps with mean 1/rate. A timer wakes for the next arrival
 * and sends every one that is due, so a late timer sends a burst rather than dropping requests.
 * @param {number} i
 */
function arrivals(i) {
  const rate = /** @type {(typeof targets)[number]} */ (targets[i]).rate;
  const gap = () => (-Math.log(1 - Math.random()) * 1000) / rate;
  let next = performance.now() + gap();
  const tick = () => {
    if (stopped) return;
    const now = performance.now();
    while (next <= now) {
      send(i);
      next += gap();
    }
    setTimeout(tick, Math.max(0, next - performance.now()));
  };
  tick();
}

targets.forEach((_, i) => {
  arrivals(i);
});
console.log('load running');

process.on('SIGTERM', async () => {
  stopped = true;
  await Promise.all(pools.map((p) => p.close().catch(() => undefined)));
  console.log(JSON.stringify(counts));
  process.exit(0);
});
