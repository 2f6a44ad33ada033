import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmokeCheck } from '../config/index.js';
import { runSmokeChecks } from './smoke.js';

// Smoke checks against a real HTTP server: `expectBody.jsonPath` reads the one JSONPath dialect
// (core/json-path.ts) that web metrics read too.

let server: http.Server;
let base: string;
const version = { service: 'hello', revision: 'r1', items: [{ id: 'a1' }], 'p99 ms': 12 };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const json = req.url === '/version';
    res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/plain' });
    res.end(json ? JSON.stringify(version) : 'Hello, flowline!');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const check = (expectBody: SmokeCheck['expectBody'], path = '/version'): SmokeCheck => ({
  name: 'version',
  path,
  method: 'GET',
  headers: {},
  expectStatus: 200,
  expectBody,
  timeout: 5000,
});
const run = async (c: SmokeCheck) => (await runSmokeChecks([c], [base]))[0];

describe('smoke checks reading JSON', () => {
  it('pass the documented examples', async () => {
    expect(await run(check({ jsonPath: '$.service', equals: 'hello' }))).toMatchObject({ ok: true });
    expect(await run(check({ jsonPath: '$.revision' }))).toMatchObject({ ok: true });
    expect(await run(check({ jsonPath: '$.items[0].id', equals: 'a1' }))).toMatchObject({ ok: true });
    expect(await run(check({ jsonPath: "$['p99 ms']", equals: 12 }))).toMatchObject({ ok: true });
  });

  it('fail on a different value, a missing path or a body that is not JSON', async () => {
    expect((await run(check({ jsonPath: '$.service', equals: 'other' })))?.problem).toBe(
      `${base}/version: $.service is "hello", expected "other"`,
    );
    expect((await run(check({ jsonPath: '$.items[1].id' })))?.problem).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/version: \$\.items\[1\]\.id is absent from the body: \{"service"/,
    );
    expect((await run(check({ jsonPath: '$.service' }, '/text')))?.problem).toBe(
      `${base}/text: the body is not JSON, so $.service cannot be read: Hello, flowline!`,
    );
  });

  it('fail by name on a path the dialect does not read, instead of reading part of it', async () => {
    // The old smoke-only reader skipped `[?(@.ok)]` and passed on `$.items`.
    expect((await run(check({ jsonPath: '$.items[?(@.ok)]' })))?.problem).toBe(
      `${base}/version: \`$.items[?(@.ok)]\` cannot be read: expected \`[<index>]\` or \`["field"]\` (column 8); filters, slices and wildcards are not supported`,
    );
  });
});
