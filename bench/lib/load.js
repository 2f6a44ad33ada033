// Bounded load on loopback with autocannon, counting every failed request: non-2xx answers,
// connection errors (resets, refused) and timeouts.
import autocannon from 'autocannon';

/**
 * @typedef {object} LoadResult
 * @property {number} requests Answers received (any status).
 * @property {number} ok 2xx answers.
 * @property {number} failed Non-2xx answers + errors (timeouts included).
 * @property {number} non2xx
 * @property {number} errors Connection errors, timeouts included.
 * @property {number} timeouts
 * @property {Record<string, number>} failures Count by status code or error code, e.g. `{ "502": 1, "ECONNRESET": 2 }`.
 * @property {number} reqPerSec Mean requests per second.
 * @property {{ p50: number, p90: number, p99: number, mean: number }} latencyMs Autocannon's latency (1 ms resolution).
 * @property {number} durationS
 */

/**
 * Runs autocannon against `url` for `durationS` seconds or `amount` requests (whichever is given;
 * `amount` wins), keep-alive, `connections` at once. Never throws on failed requests: it counts them.
 * @param {{ url: string, connections?: number, durationS?: number, amount?: number,
 *   headers?: Record<string, string>, method?: 'GET' | 'POST', body?: string, timeoutS?: number }} options
 * @param {{ stop?: () => void }} [handle] Receives a `stop` function that ends the run early.
 * @returns {Promise<LoadResult>}
 */
export async function runLoad(options, handle = {}) {
  /** @type {Record<string, number>} */
  const failures = {};
  /** @param {string} key */
  const fail = (key) => {
    failures[key] = (failures[key] ?? 0) + 1;
  };
  /** @type {(value: autocannon.Result) => void} */
  let resolve = () => {};
  /** @type {(error: unknown) => void} */
  let reject = () => {};
  /** @type {Promise<autocannon.Result>} */
  const finished = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections ?? 10,
      duration: options.durationS ?? 5,
      ...(options.amount === undefined ? {} : { amount: options.amount }),
      headers: options.headers ?? {},
      method: options.method ?? 'GET',
      ...(options.body === undefined ? {} : { body: options.body }),
      timeout: options.timeoutS ?? 10,
    },
    (error, result) => (error ? reject(error) : resolve(result)),
  );
  handle.stop = () => instance.stop();
  instance.on('response', (_client, statusCode) => {
    if (statusCode < 200 || statusCode >= 300) fail(String(statusCode));
  });
  instance.on('reqError', (error) => {
    fail(/** @type {{ code?: string }} */ (error).code ?? error.message);
  });
  const result = await finished;
  const requests = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return {
    requests,
    ok: result['2xx'],
    failed: result.non2xx + result.errors,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    failures,
    reqPerSec: result.requests.mean,
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      mean: result.latency.mean,
    },
    durationS: result.duration,
  };
}

/**
 * Starts a load run in the background, for tests and benchmarks that act (switch routes, stop
 * instances) while it runs. `stop()` ends it early; `done` resolves with the counts either way.
 * @param {Parameters<typeof runLoad>[0]} options
 * @returns {{ done: Promise<LoadResult>, stop: () => void }}
 */
export function startLoad(options) {
  /** @type {{ stop?: () => void }} */
  const handle = {};
  const done = runLoad(options, handle);
  return { done, stop: () => handle.stop?.() };
}

/**
 * Sequential requests on one keep-alive connection per target, timed with the high-resolution
 * clock, the targets taking turns request by request so machine noise hits them alike: the
 * latency a hop adds when nothing queues (autocannon's figures are whole milliseconds).
 * @param {{ url: string, headers?: Record<string, string> }[]} targets
 * @param {{ requests?: number, warmup?: number }} [options]
 * @returns {Promise<{ p50Us: number, p99Us: number, meanUs: number, requests: number }[]>} One per target, in order.
 */
export async function probeLatency(targets, options = {}) {
  const { Client } = await import('undici');
  const total = options.requests ?? 2000;
  const warmup = options.warmup ?? 200;
  const clients = targets.map((t) => ({ target: new URL(t.url), headers: t.headers ?? {} }));
  const pools = clients.map((c) => new Client(c.target.origin, { pipelining: 1 }));
  /** @type {number[][]} */
  const samples = targets.map(() => []);
  try {
    for (let i = 0; i < total + warmup; i++) {
      for (let k = 0; k < clients.length; k++) {
        const { target, headers } = /** @type {(typeof clients)[number]} */ (clients[k]);
        const client = /** @type {import('undici').Client} */ (pools[k]);
        const start = process.hrtime.bigint();
        const res = await client.request({
          path: `${target.pathname}${target.search}`,
          method: 'GET',
          headers,
        });
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`probe got ${res.statusCode} from ${target.href}`);
        if (i >= warmup) samples[k]?.push(Number(process.hrtime.bigint() - start) / 1000);
      }
    }
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
  return samples.map((list) => {
    list.sort((a, b) => a - b);
    const at = (/** @type {number} */ q) => list[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0;
    return {
      p50Us: at(0.5),
      p99Us: at(0.99),
      meanUs: list.reduce((a, b) => a + b, 0) / list.length,
      requests: list.length,
    };
  });
}
