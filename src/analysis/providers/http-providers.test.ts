import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusProvider, createWebProvider, type MeasureContext, type MetricOf } from '../index.js';
import { metric } from '../testing.js';

// A real HTTP server on port 0 plays Prometheus's HTTP API and a web endpoint. The end-to-end
// test (test/e2e/analysis-prometheus.test.ts) runs the provider against a real Prometheus.

let server: Server;
let base: string;
const seen: { url: string; body: string; headers: IncomingMessage['headers'] }[] = [];

function vector(...values: string[]) {
  return {
    status: 'success',
    data: { resultType: 'vector', result: values.map((v) => ({ metric: {}, value: [1, v] })) },
  };
}

interface Reply {
  readonly status: number;
  readonly body: string;
  readonly json?: boolean;
}

const json = (status: number, data: unknown): Reply => ({ status, body: JSON.stringify(data), json: true });

/** What the fake answers: Prometheus's query API and a few web endpoints; undefined never answers. */
function route(url: URL, body: string): Reply | undefined {
  if (url.pathname === '/api/v1/query') {
    const query = url.searchParams.get('query') ?? '';
    if (query.includes('revision="r1"')) return json(200, vector('0.001'));
    if (query.startsWith('one')) return json(200, vector('0.083'));
    if (query.startsWith('many')) return json(200, vector('1', 'NaN', '+Inf'));
    if (query.startsWith('none')) return json(200, vector());
    if (query.startsWith('scalar'))
      return json(200, { status: 'success', data: { resultType: 'scalar', result: [1, '42'] } });
    if (query.startsWith('range'))
      return json(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    if (query.startsWith('html')) return { status: 502, body: '<html>bad gateway</html>' };
    return json(400, { status: 'error', errorType: 'bad_data', error: 'parse error at char 5' });
  }
  if (url.pathname === '/status') return json(200, { data: { items: [{ p99: 0.42 }], 'odd key': true } });
  if (url.pathname === '/echo') return json(200, { got: JSON.parse(body || 'null') });
  if (url.pathname === '/text') return { status: 200, body: ' 17 \n' };
  if (url.pathname === '/words') return { status: 200, body: 'all good' };
  if (url.pathname === '/hang') return undefined;
  return { status: 503, body: 'down' };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      seen.push({ url: url.toString(), body, headers: req.headers });
      const reply = route(url, body);
      if (reply === undefined) return;
      res.writeHead(reply.status, reply.json ? { 'content-type': 'application/json' } : {}).end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function ctx(overrides: Partial<MeasureContext> = {}): MeasureContext {
  return {
    service: 'shop',
    environment: 'production',
    canaryRevision: 'r2',
    baselineRevision: 'r1',
    windowMs: 60_000,
    wantBaseline: false,
    now: new Date(),
    signal: AbortSignal.timeout(5000),
    ...overrides,
  };
}

describe('the prometheus provider', () => {
  const prometheus = createPrometheusProvider();
  const m = (query: string, address = base) =>
    metric({
      name: 'p',
      provider: { kind: 'prometheus', address, query, timeout: 5000, headers: { 'x-scope-orgid': 'team-a' } },
    }) as MetricOf<'prometheus'>;

  it('reads one sample as a number, several as a list (NaN and Inf included), a scalar as a number', async () => {
    expect(await prometheus.measure(m('one'), ctx())).toEqual({
      kind: 'value',
      value: 0.083,
      samples: { canary: 1 },
    });
    expect(await prometheus.measure(m('many'), ctx())).toEqual({
      kind: 'value',
      value: [1, Number.NaN, Number.POSITIVE_INFINITY],
      samples: { canary: 3 },
    });
    expect(await prometheus.measure(m('scalar(1)'), ctx())).toEqual({ kind: 'value', value: 42 });
    expect(seen.at(-1)?.headers['x-scope-orgid']).toBe('team-a');
  });

  it('treats an empty vector as no data, never zero', async () => {
    expect(await prometheus.measure(m('none'), ctx())).toEqual({
      kind: 'noData',
      reason: 'Prometheus returned no samples for `none`',
    });
  });

  it('fills placeholders escaped for PromQL strings, and measures the baseline with the stable revision', async () => {
    const query = 'one{service="{{service}}",revision="{{ revision }}"}';
    const out = await prometheus.measure(
      m(query),
      ctx({ canaryRevision: 'r2"} or vector(1) #', wantBaseline: true }),
    );
    expect(out).toEqual({ kind: 'value', value: 0.083, baseline: 0.001, samples: { canary: 1 } });
    const queries = seen.slice(-2).map((s) => new URL(s.url).searchParams.get('query'));
    expect(queries).toEqual([
      'one{service="shop",revision="r2\\"} or vector(1) #"}',
      'one{service="shop",revision="r1"}',
    ]);
  });

  it('explains the errors: refused queries, range vectors, non-JSON, unknown placeholders, unreachable', async () => {
    const message = async (metricOf: MetricOf<'prometheus'>, context = ctx()) => {
      const out = await prometheus.measure(metricOf, context);
      return out.kind === 'error' ? out.message : out.kind;
    };
    expect(await message(m('sum(('))).toBe('prometheus refused `sum((`: bad_data: parse error at char 5');
    expect(await message(m('range[5m]'))).toMatch(
      /^prometheus: the query returns a range vector; use an instant query/,
    );
    expect(await message(m('html'))).toBe(
      `prometheus at ${base}/ answered HTTP 502 with something that is not JSON`,
    );
    expect(await message(m('one{job="{{job}}"}'))).toBe(
      'prometheus: unknown placeholder `{{job}}`; known: {{service}}, {{environment}}, {{revision}}',
    );
    const closed = await closedPort();
    expect(await message(m('one', `http://127.0.0.1:${closed}`))).toBe(
      `prometheus at http://127.0.0.1:${closed}/: connection refused`,
    );
    expect(await message(m('one'), ctx({ wantBaseline: true }))).toBe(
      'prometheus: the condition reads `baseline`, but the query has no `{{revision}}` to measure it with',
    );
  });
});

describe('the web provider', () => {
  const web = createWebProvider();
  const m = (path: string, extra: Partial<MetricOf<'web'>['provider']> = {}) =>
    metric({
      name: 'w',
      provider: { kind: 'web', url: `${base}${path}`, method: 'GET', headers: {}, timeout: 5000, ...extra },
    }) as MetricOf<'web'>;

  it('reads the value at a JSON path, or the whole answer', async () => {
    expect(await web.measure(m('/status', { jsonPath: '$.data.items[0].p99' }), ctx())).toEqual({
      kind: 'value',
      value: 0.42,
    });
    expect(await web.measure(m('/status', { jsonPath: '$.data["odd key"]' }), ctx())).toEqual({
      kind: 'value',
      value: true,
    });
    expect(await web.measure(m('/text'), ctx())).toEqual({ kind: 'value', value: 17 });
  });

  it('posts a templated body and URL', async () => {
    const out = await web.measure(
      m('/echo?rev={{revision}}', {
        method: 'POST',
        body: '{"rev":"{{revision}}"}',
        headers: { 'content-type': 'application/json' },
      }),
      ctx({ canaryRevision: 'a"b&c' }),
    );
    expect(out).toEqual({ kind: 'value', value: { got: { rev: 'a"b&c' } } });
    expect(new URL(seen.at(-1)?.url ?? '').searchParams.get('rev')).toBe('a"b&c');
  });

  it('has no data when the path matches nothing; errors on HTTP failures, non-JSON and timeouts', async () => {
    expect(await web.measure(m('/status', { jsonPath: '$.data.items[3].p99' }), ctx())).toEqual({
      kind: 'noData',
      reason: `\`$.data.items[3].p99\` matched nothing in the answer of ${base}/status`,
    });
    expect(await web.measure(m('/missing?token=secret'), ctx())).toEqual({
      kind: 'error',
      message: `web ${base}/missing: HTTP 503`,
    });
    expect(await web.measure(m('/words', { jsonPath: '$.a' }), ctx())).toMatchObject({
      kind: 'error',
      message: expect.stringMatching(/is not JSON/),
    });
    const aborted = new AbortController();
    const pending = web.measure(m('/hang'), ctx({ signal: aborted.signal }));
    aborted.abort();
    expect(await pending).toEqual({
      kind: 'error',
      message: `web ${base}/hang: aborted (timed out or stopped)`,
    });
  });
});
