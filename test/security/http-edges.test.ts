import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../src/app/api.js';
import { createFlowline, type Flowline } from '../../src/app/flowline.js';
import { newId } from '../../src/core/ids.js';
import { loadSettings } from '../../src/core/settings.js';
import { createRouter, type Router } from '../../src/router/index.js';
import type { Listening } from '../../src/server/index.js';
import { tempDir } from '../e2e/helpers.js';
import { errorOf, rawRequest } from './raw-http.js';

// Requests as an attacker sends them, on raw sockets and with a real HTTP client against a real
// listening server: each gets a refusal in Flowline's shape (code, status), never an echo of what
// was sent, and the server still answers afterwards.

let dir: Awaited<ReturnType<typeof tempDir>>;
let flowline: Flowline;
let api: Listening;
let admin: string;
let deployer: string;
const run = newId('run');
const MIB = 1024 * 1024;

beforeAll(async () => {
  dir = await tempDir('flowline-security-');
  flowline = await createFlowline(loadSettings({ FLOWLINE_HOME: dir.path }, dir.path));
  api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  admin = (await flowline.tokens.create({ name: 'root', role: 'admin' }, flowline.localActor)).secret;
  deployer = (await flowline.tokens.create({ name: 'ci', role: 'ci' }, flowline.localActor)).secret;
  const started = await fetch(`${api.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${deployer}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id: run,
      service: 'shop',
      branch: 'main',
      commit: null,
      where: { host: 'ci-1' },
      startedAt: new Date().toISOString(),
      nodes: [{ name: 'unit', kind: 'stage' }],
    }),
  });
  expect(started.status).toBe(201);
});

afterAll(async () => {
  await api.close();
  await flowline.close();
  await dir.dispose();
});

// Whatever the attack, the server is still there for the next caller.
afterEach(async () => {
  const health = await fetch(`${api.url}/v1/health`);
  expect(health.status).toBe(200);
});

/** A request line and headers, ending the head; `Connection: close` so the answer ends the read. */
const head = (line: string, headers: readonly string[] = []) =>
  [line, 'Host: flowline.test', 'Connection: close', ...headers, '', ''].join('\r\n');

const tokenCount = async () => (await flowline.tokens.list()).length;

/** Sends `bytes` in 64 KiB pieces as a chunked upload (no Content-Length). */
function chunked(bytes: Buffer): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.subarray(offset, offset + 64 * 1024));
      offset += 64 * 1024;
    },
  });
}

describe('requests the HTTP parser refuses', () => {
  it.each([
    ['a NUL byte in a header', head('GET /v1/health?probe=nul-probe HTTP/1.1', ['X-Probe: a\0b'])],
    ['a space in a header name', head('GET /v1/health?probe=nul-probe HTTP/1.1', ['X Probe: 1'])],
    ['a control byte in the method', head('G\x01T /v1/health?probe=nul-probe HTTP/1.1')],
  ])('answers %s with a Flowline 400 and closes the connection', async (_, request) => {
    const answer = await rawRequest(api.port, request);
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('FLOWLINE_REQUEST_MALFORMED');
    expect(answer.headers.connection).toBe('close');
    expect(answer.text).not.toContain('nul-probe');
  });

  it('answers headers over the size limit with 413, without repeating them', async () => {
    const answer = await rawRequest(
      api.port,
      head('GET /v1/health HTTP/1.1', [`X-Pad: ${'p'.repeat(20_000)}`]),
    );
    expect(answer.status).toBe(413);
    expect(errorOf(answer).code).toBe('FLOWLINE_REQUEST_TOO_LARGE');
    expect(answer.text).not.toContain('pppppppp');
  });
});

describe('URLs no route can take, asked without a token', () => {
  it('answers a URL that is not percent-encoded UTF-8 with 400, not echoing it', async () => {
    const answer = await rawRequest(api.port, head('GET /v1/flags/%FF%FE HTTP/1.1'));
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('FLOWLINE_REQUEST_MALFORMED');
    expect(answer.text).not.toMatch(/%FF|\/v1\/flags/i);
  });

  it('answers an over-long path parameter with 400, not echoing 5 KB of URL', async () => {
    const long = 'a'.repeat(5000);
    const answer = await rawRequest(api.port, head(`GET /v1/flags/${long}/production HTTP/1.1`));
    expect(answer.status).toBe(400);
    expect(errorOf(answer).code).toBe('FLOWLINE_REQUEST_INVALID');
    expect(answer.text).not.toContain('aaaaaaaaaa');
    expect(answer.text.length).toBeLessThan(1000);
    // A flag key may be 1024 characters: that long a segment still reaches its route (and its token check).
    const key = await rawRequest(
      api.port,
      head(`POST /v1/flags/shop/production/${'k'.repeat(1024)}/kill HTTP/1.1`, ['Content-Length: 0']),
    );
    expect(errorOf(key).code).toBe('FLOWLINE_AUTH_MISSING');
  });

  it('answers an unknown route with 404, not echoing the path', async () => {
    const answer = await rawRequest(api.port, head('GET /v1/%3Cscript%3Eprobe HTTP/1.1'));
    expect(answer.status).toBe(404);
    expect(errorOf(answer).code).toBe('FLOWLINE_NOT_FOUND');
    expect(answer.text).not.toMatch(/script|probe/i);
  });
});

describe('bodies in an encoding the server does not read', () => {
  it('refuses application/json; charset=utf-16 with 415 and stores nothing', async () => {
    const before = await tokenCount();
    const body = Buffer.from(JSON.stringify({ name: 'wide', role: 'read' }), 'utf16le');
    const answer = await rawRequest(
      api.port,
      Buffer.concat([
        Buffer.from(
          head('POST /v1/tokens HTTP/1.1', [
            `Authorization: Bearer ${admin}`,
            'Content-Type: application/json; charset=utf-16',
            `Content-Length: ${body.length}`,
          ]),
        ),
        body,
      ]),
    );
    expect(answer.status).toBe(415);
    expect(errorOf(answer).code).toBe('FLOWLINE_UNSUPPORTED_MEDIA_TYPE');
    expect(await tokenCount()).toBe(before);
  });

  it('refuses a log batch labelled latin-1 with 415', async () => {
    const res = await fetch(`${api.url}/v1/runs/${run}/stages/unit/log?offset=0`, {
      method: 'POST',
      headers: { authorization: `Bearer ${deployer}`, 'content-type': 'text/plain; charset=iso-8859-1' },
      body: Buffer.from('+0.001s caf\xe9\n', 'latin1'),
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'FLOWLINE_UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('refuses bytes that are not UTF-8 with 400', async () => {
    const res = await fetch(`${api.url}/v1/config/validate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: Buffer.concat([Buffer.from('{"text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FLOWLINE_REQUEST_MALFORMED');
  });

  it.each([
    ['a value', '{"name":"half","role":"read","environments":["\\ud800"]}', 'body.environments.0'],
    ['a key', '{"name":"half","role":"read","\\udfff":1}', 'body.\ufffd'],
  ])(
    'refuses a lone surrogate in %s with 400 naming the field, and stores nothing',
    async (_, body, path) => {
      const before = await tokenCount();
      const res = await fetch(`${api.url}/v1/tokens`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body,
      });
      expect(res.status).toBe(400);
      const { error } = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
      expect(error.code).toBe('FLOWLINE_REQUEST_INVALID');
      expect(error.issues.map((i) => i.path)).toEqual([path]);
      expect(await tokenCount()).toBe(before);
    },
  );

  it('takes surrogate pairs: an escaped emoji is valid Unicode', async () => {
    const res = await fetch(`${api.url}/v1/config/validate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: '{"text":"# \\ud83d\\ude00\\nversion: 1\\n"}',
    });
    expect(res.status).toBe(200);
  });
});

describe('bodies over their limit get a 413 that reaches the client', () => {
  const log = (offset = 0) => `${api.url}/v1/runs/${run}/stages/unit/log?offset=${offset}`;
  const batch = (bytes: number) => Buffer.from(`+0.001s ${'x'.repeat(bytes - 10)}\n`);

  it('answers a JSON body over 1 MiB sent without Content-Length', async () => {
    const before = await tokenCount();
    const res = await fetch(`${api.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: chunked(Buffer.from(JSON.stringify({ name: 'big', role: 'read', pad: 'x'.repeat(2 * MIB) }))),
      duplex: 'half',
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FLOWLINE_REQUEST_TOO_LARGE');
    expect(await tokenCount()).toBe(before);
  });

  it('answers a body declared far over the limit at once, without waiting for it', async () => {
    // Only the head is sent: the answer must not wait for 100 MB that never come.
    const answer = await rawRequest(
      api.port,
      head('POST /v1/tokens HTTP/1.1', [
        `Authorization: Bearer ${admin}`,
        'Content-Type: application/json',
        `Content-Length: ${100 * MIB}`,
      ]),
    );
    expect(answer.status).toBe(413);
    expect(errorOf(answer).code).toBe('FLOWLINE_REQUEST_TOO_LARGE');
    expect(answer.headers.connection).toBe('close');
  });

  it.each([
    ['with Content-Length', (bytes: Buffer) => ({ body: bytes })],
    ['chunked', (bytes: Buffer) => ({ body: chunked(bytes), duplex: 'half' as const })],
  ])('answers a log batch over 1 MiB sent %s, and the log still takes batches', async (_, send) => {
    const res = await fetch(log(), {
      method: 'POST',
      headers: { authorization: `Bearer ${deployer}`, 'content-type': 'text/plain' },
      ...send(batch(2 * MIB)),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { code: 'FLOWLINE_REQUEST_TOO_LARGE', message: expect.stringContaining('1 MiB') },
    });
    const read = await fetch(`${api.url}/v1/runs/${run}/stages/unit/log`, {
      headers: { authorization: `Bearer ${deployer}` },
    });
    const { offset } = (await read.json()) as { offset: number };
    const next = await fetch(log(offset), {
      method: 'POST',
      headers: { authorization: `Bearer ${deployer}`, 'content-type': 'text/plain' },
      body: '+0.002s still listening\n',
    });
    expect(next.status).toBe(200);
  });

  it('answers an artifact upload that is not a tar archive with its coded refusal', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const res = await fetch(`${api.url}/v1/artifacts/${digest}?service=shop&cacheKey=${digest}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${deployer}`, 'content-type': 'application/x-tar' },
      body: Buffer.alloc(3 * MIB, 'not a tar archive '),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'FLOWLINE_ARTIFACT_UPLOAD_REJECTED',
    );
  });
});

describe("the router's answer for a host it does not serve", () => {
  let router: Router;
  let port: number;
  beforeAll(async () => {
    router = createRouter();
    port = (await router.listen({ port: 0 })).port;
    const route = (environment: string) => ({
      service: 'shop',
      environment,
      backends: [{ revision: 'r1', weight: 100, instances: [] }],
    });
    router.setRoute('internal-admin.shop.localhost', route('admin'));
    router.setRoute('staging.shop.localhost', route('staging'));
  });
  afterAll(() => router.close({ graceMs: 0 }));

  it('names only the host asked for, escaped, and none of the hosts it serves', async () => {
    const answer = await rawRequest(
      port,
      ['GET / HTTP/1.1', 'Host: "evil".test', 'Connection: close', '', ''].join('\r\n'),
    );
    expect(answer.status).toBe(404);
    expect(answer.headers['content-type']).toMatch(/^text\/plain/);
    expect(answer.body).toContain('"\\"evil\\".test"');
    expect(answer.body).not.toContain('shop.localhost');
  });
});
