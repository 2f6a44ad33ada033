import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  createPrometheusProvider,
  type MeasureContext,
  type MetricOf,
  runAnalysis,
} from '../../src/analysis/index.js';
import { metric, template } from '../../src/analysis/testing.js';
import type { Metric } from '../../src/config/index.js';
import { describeWith, findService, PROMETHEUS } from '../services.js';
import { tempDir } from './helpers.js';

// A real Prometheus (Debian's package) scrapes a tiny metrics endpoint served here; the
// prometheus provider then queries it through the HTTP API, as a release would.

const EXPOSITION = `# HELP shop_http_error_ratio Share of failed requests.
# TYPE shop_http_error_ratio gauge
shop_http_error_ratio{service="shop",environment="production",revision="r2"} 0.083
shop_http_error_ratio{service="shop",environment="production",revision="r1"} 0
# HELP shop_http_requests_total Requests served.
# TYPE shop_http_requests_total counter
shop_http_requests_total{service="shop",environment="production",revision="r2"} 1200
shop_http_requests_total{service="shop",environment="production",revision="r1"} 3600
`;

const ERROR_RATIO =
  'shop_http_error_ratio{service="{{service}}",environment="{{environment}}",revision="{{revision}}"}';
const TARGET = { service: 'shop', environment: 'production', canaryRevision: 'r2', baselineRevision: 'r1' };

let exporter: Server;
let prometheus: ChildProcess | undefined;
let address = '';
let log = '';
let dir: { path: string; dispose(): Promise<void> } | undefined;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Polls Prometheus until the exporter's series is there: bounded, not a timing assertion. */
async function waitForData(): Promise<void> {
  const query = encodeURIComponent('shop_http_error_ratio{revision="r2"}');
  for (let attempt = 0; attempt < 150; attempt += 1) {
    if (prometheus?.exitCode !== null)
      throw new Error(`prometheus exited (${prometheus?.exitCode}):\n${log}`);
    try {
      const answer = (await (await fetch(`${address}/api/v1/query?query=${query}`)).json()) as {
        data?: { result?: unknown[] };
      };
      if ((answer.data?.result?.length ?? 0) > 0) return;
    } catch {
      // not listening yet
    }
    await delay(200);
  }
  throw new Error(`Prometheus had no data from the exporter after 30 s:\n${log}`);
}

async function stopPrometheus(): Promise<void> {
  const child = prometheus;
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  await exited;
}

const errorRate = (query: string, extra: Partial<Metric> = {}) =>
  template('prometheus', {
    name: 'error-rate',
    provider: { kind: 'prometheus', address, query, timeout: 5000, headers: {} },
    successCondition: 'result <= baseline + 0.01',
    ...extra,
  });

describeWith(PROMETHEUS)('analysis against a real Prometheus', () => {
  beforeAll(async () => {
    const binary = findService(PROMETHEUS);
    if (binary === undefined) throw new Error('unreachable: the suite is skipped without Prometheus');
    exporter = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(EXPOSITION);
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    const exporterPort = (exporter.address() as AddressInfo).port;
    dir = await tempDir('flowline-prometheus-');
    const config = path.join(dir.path, 'prometheus.yml');
    await writeFile(
      config,
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: shop\n    static_configs:\n      - targets: ['127.0.0.1:${exporterPort}']\n`,
    );
    const port = await freePort();
    address = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      binary,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${path.join(dir.path, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    prometheus.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    await waitForData();
  }, 60_000);

  afterAll(async () => {
    await stopPrometheus();
    exporter?.closeAllConnections();
    await new Promise((resolve) => (exporter ? exporter.close(resolve) : resolve(undefined)));
    await dir?.dispose();
  });

  it('reads the canary and the baseline, and fails the canary with a one-line reason', async () => {
    const provider = createPrometheusProvider();
    const ctx: MeasureContext = {
      ...TARGET,
      windowMs: 0,
      wantBaseline: true,
      now: new Date(),
      signal: AbortSignal.timeout(5000),
    };
    const m = (query: string) =>
      metric({
        name: 'p',
        provider: { kind: 'prometheus', address, query, timeout: 5000, headers: {} },
      }) as MetricOf<'prometheus'>;
    expect(await provider.measure(m(ERROR_RATIO), ctx)).toEqual({
      kind: 'value',
      value: 0.083,
      baseline: 0,
      samples: { canary: 1 },
    });
    expect(
      await provider.measure(m('sum(shop_http_requests_total{service="{{service}}"})'), {
        ...ctx,
        wantBaseline: false,
      }),
    ).toMatchObject({
      kind: 'value',
      value: 4800,
    });

    const result = await runAnalysis(errorRate(ERROR_RATIO), {
      target: TARGET,
      providers: { prometheus: provider },
    });
    expect(result.phase).toBe('Failed');
    expect(result.message).toBe(
      'error-rate: result 0.083 (canary) vs 0.000 (baseline) broke `result <= baseline + 0.01` 1 time (limit 0)',
    );
  });

  it('is inconclusive when the query has no data, also for a revision that needs escaping', async () => {
    const providers = { prometheus: createPrometheusProvider() };
    for (const canaryRevision of ['r3', 'r"} or vector(0) or {x="']) {
      // Judged at once: what no data is, not the wait for it (src/analysis/run-data.test.ts, virtual time).
      const once = { successCondition: 'result < 0.01', sampleTimeout: 0 };
      const result = await runAnalysis(errorRate(ERROR_RATIO, once), {
        target: { ...TARGET, canaryRevision },
        providers,
      });
      expect(result.phase).toBe('Inconclusive');
      expect(result.message).toMatch(
        /^error-rate: inconclusive 1 time \(limit 0\): no data: Prometheus returned no samples for `shop_http_error_ratio/,
      );
    }
  });

  it('counts a Prometheus that hangs as an error after its timeout', async () => {
    prometheus?.kill('SIGSTOP');
    try {
      const hung = await runAnalysis(
        template('prometheus', {
          name: 'error-rate',
          provider: { kind: 'prometheus', address, query: ERROR_RATIO, timeout: 300, headers: {} },
          successCondition: 'result < 0.01',
          consecutiveErrorLimit: 0,
        }),
        { target: TARGET, providers: { prometheus: createPrometheusProvider() } },
      );
      expect(hung.phase).toBe('Error');
      expect(hung.message).toBe('error-rate: 1 error in a row (limit 0): prometheus: no answer within 300ms');
    } finally {
      prometheus?.kill('SIGCONT');
    }
  });

  it('errors once a stopped Prometheus exceeds consecutiveErrorLimit', async () => {
    await stopPrometheus();
    const records: string[] = [];
    const result = await runAnalysis(
      errorRate(ERROR_RATIO, {
        successCondition: 'result < 0.01',
        interval: 50,
        count: 5,
        consecutiveErrorLimit: 1,
      }),
      {
        target: TARGET,
        providers: { prometheus: createPrometheusProvider() },
        errorRetryMs: 50,
        onMeasurement: (record) => {
          records.push(record.phase);
        },
      },
    );
    expect(records).toEqual(['Error', 'Error']);
    expect(result.phase).toBe('Error');
    expect(result.message).toBe(
      `error-rate: 2 errors in a row (limit 1): prometheus at ${address}/: connection refused`,
    );
  });
});
