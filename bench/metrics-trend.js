// The dashboard's weekly trend of the DORA keys (web/src/views/metrics.tsx): the page asks
// `GET /v1/metrics/dora` once per week window, 12 requests in parallel, over HTTP to a real
// server on the realistic store bench/metrics-store.js fills (20 services over two years).
//
// Baseline, in the same run: one request for the page's own window (the last 30 days), which
// the page makes anyway. The ratio says what the trend costs on top of it. The server is one
// Node process over SQLite, so the 12 requests are served one after the other: their wall time
// is what a user waits for the charts.
//
// `node bench/run.js metrics-trend` (100,000 deployments; FLOWLINE_BENCH_METRICS_STORE as in
// metrics-store).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from './lib/random.js';
import { median, round } from './lib/stats.js';
import { END, generate } from './metrics-store.js';

const DAY = 86_400_000;
const WEEKS = 12;

/** Median wall-clock ms of `runs` calls. @param {() => Promise<unknown>} f @param {number} runs */
async function time(f, runs) {
  const wall = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    await f();
    wall.push(performance.now() - start);
  }
  return median(wall);
}

export async function benchMetricsTrend() {
  // Computed specifiers keep tsc (checkJs) from type-checking the compiled JavaScript.
  /** @type {typeof import('../src/app/flowline.js')} */
  const { createFlowline } = await import(new URL('../dist/app/flowline.js', import.meta.url).href);
  /** @type {typeof import('../src/app/api.js')} */
  const { startApi } = await import(new URL('../dist/app/api.js', import.meta.url).href);
  /** @type {typeof import('../src/core/settings.js')} */
  const { loadSettings } = await import(new URL('../dist/core/settings.js', import.meta.url).href);
  /** @type {typeof import('../src/store/index.js')} */
  const store = await import(new URL('../dist/store/index.js', import.meta.url).href);
  const total = Number(process.env.FLOWLINE_BENCH_METRICS_STORE ?? 100_000);
  const home = await mkdtemp(path.join(os.tmpdir(), 'flowline-bench-trend-'));
  const file = path.join(home, 'flowline.db');
  try {
    (await store.openStore({ file })).close();
    generate(file, total, await seededRandom(7), (line) => process.stderr.write(`${line}\n`));
    // The server's clock is the generated history's end, so "the last 30 days" hold records.
    const flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: home }, home), {
      clock: { now: () => new Date(END) },
    });
    const api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
    try {
      const token = (await flowline.tokens.create({ name: 'reader', role: 'read' }, flowline.localActor))
        .secret;
      /** @param {string} query */
      const get = async (query) => {
        const response = await fetch(`${api.url}/v1/metrics/dora?${query}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
        return response.json();
      };
      const weeks = Array.from({ length: WEEKS }, (_, i) => ({
        from: new Date(END - (WEEKS - i) * 7 * DAY).toISOString(),
        to: new Date(END - (WEEKS - i - 1) * 7 * DAY).toISOString(),
      }));
      const runs = 5;
      /** @param {string} scope */
      const measure = async (scope) => {
        const baseline = await time(() => get(`${scope}since=30d`), runs);
        const trend = await time(
          () => Promise.all(weeks.map((w) => get(`${scope}from=${w.from}&to=${w.to}`))),
          runs,
        );
        return { baseline, trend };
      };
      const one = await measure('service=service-7&');
      const all = await measure('');
      return {
        name: `metrics-trend: the dashboard's ${WEEKS} weekly DORA requests in parallel, over HTTP`,
        runs,
        results: [
          {
            deployments: total,
            'one service: 30-day request ms (baseline)': round(one.baseline),
            [`one service: ${WEEKS} weekly requests ms`]: round(one.trend),
            'one service: ratio trend / baseline': round(one.trend / one.baseline),
            'all 20 services: 30-day request ms': round(all.baseline),
            [`all 20 services: ${WEEKS} weekly requests ms`]: round(all.trend),
          },
        ],
      };
    } finally {
      await api.close();
      await flowline.close();
    }
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
