import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi } from '../../app/api.js';
import { createFlowline, type Flowline } from '../../app/flowline.js';
import { FlowlineError } from '../../core/errors.js';
import { loadSettings } from '../../core/settings.js';
import type { Listening } from '../index.js';

const PAGE = 'https://shop.example.com';
const OTHER_PAGE = 'https://evil.example.net';
const SET = '/v1/flags/shop/production';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
}

/** One real HTTP request on loopback; reads the head only (a stream is cut once its headers arrive). */
function send(
  base: string,
  method: string,
  target: string,
  headers: Record<string, string>,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(target, base), { method, headers }, (response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
      response.destroy();
    });
    request.on('error', reject);
    request.end();
  });
}

function corsHeaders(answer: Answer): string[] {
  return Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'));
}

async function serve(corsOrigins: string | undefined) {
  const home = await mkdtemp(path.join(os.tmpdir(), 'flowline-cors-'));
  const env: Record<string, string> = { FLOWLINE_HOME: home };
  if (corsOrigins !== undefined) env.FLOWLINE_CORS_ORIGINS = corsOrigins;
  const flowline = await createFlowline(loadSettings(env, home));
  const token = async (role: 'client' | 'admin', environments?: string[]) =>
    (
      await flowline.tokens.create(
        { name: `${role}-${Math.random()}`, role, ...(environments ? { environments } : {}) },
        flowline.localActor,
      )
    ).secret;
  const close = async (api?: Listening) => {
    await api?.close();
    await flowline.close();
    await rm(home, { recursive: true, force: true });
  };
  return { flowline, token, close };
}

describe('CORS on the flag delivery routes (FLOWLINE_CORS_ORIGINS set)', () => {
  let flowline: Flowline;
  let api: Listening;
  let close: (api?: Listening) => Promise<void>;
  let client: string;
  let admin: string;

  beforeAll(async () => {
    const served = await serve(`${PAGE}, http://localhost:5173`);
    ({ flowline, close } = served);
    client = await served.token('client', ['production']);
    admin = await served.token('admin');
    api = await startApi(flowline, { port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await close(api);
  });

  const preflight = (target: string, origin: string, method: string, headers: string) =>
    send(api.url, 'OPTIONS', target, {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': headers,
    });

  it('answers a preflight for the flag set from an allowed origin, before any token', async () => {
    const answer = await preflight(SET, PAGE, 'GET', 'authorization,if-none-match');
    expect(answer.status).toBe(204);
    expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
    expect(answer.headers['access-control-allow-methods']).toContain('GET');
    expect(answer.headers['access-control-allow-headers']?.toLowerCase()).toContain('authorization');
    expect(answer.headers['access-control-allow-headers']?.toLowerCase()).toContain('if-none-match');
    expect(answer.headers.vary).toMatch(/origin/i);
  });

  it('answers preflights for the stream (Last-Event-ID) and for evaluation counts (JSON body)', async () => {
    const stream = await preflight(
      `${SET}/stream`,
      'http://localhost:5173',
      'GET',
      'authorization,last-event-id',
    );
    expect(stream.status).toBe(204);
    expect(stream.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(stream.headers['access-control-allow-headers']?.toLowerCase()).toContain('last-event-id');
    const counts = await preflight(`${SET}/evaluations`, PAGE, 'POST', 'authorization,content-type');
    expect(counts.status).toBe(204);
    expect(counts.headers['access-control-allow-methods']).toContain('POST');
    expect(counts.headers['access-control-allow-headers']?.toLowerCase()).toContain('content-type');
  });

  it('gives a preflight from another origin no CORS header', async () => {
    const answer = await preflight(SET, OTHER_PAGE, 'GET', 'authorization');
    expect(corsHeaders(answer)).toEqual([]);
    expect(answer.status).toBe(404);
  });

  it('never answers a preflight for the admin API, even on a delivery path with a write method', async () => {
    for (const [target, method] of [
      [SET, 'PUT'],
      [`${SET}/new-checkout/kill`, 'POST'],
      ['/v1/flags/shop', 'GET'],
      ['/v1/tokens', 'GET'],
      [`${SET}/evaluate`, 'POST'], // server-side evaluation: the web provider does not call it
    ] as const) {
      const answer = await preflight(target, PAGE, method, 'authorization,content-type');
      expect(corsHeaders(answer), `${method} ${target}`).toEqual([]);
    }
  });

  it('lets an allowed origin read the flag set and its ETag, a 304 and a refusal', async () => {
    const answer = await send(api.url, 'GET', SET, { origin: PAGE, authorization: `Bearer ${client}` });
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
    expect(answer.headers['access-control-expose-headers']).toMatch(/etag/i);
    const etag = answer.headers.etag ?? '';
    expect(etag).toMatch(/^"/);
    const notModified = await send(api.url, 'GET', SET, {
      origin: PAGE,
      authorization: `Bearer ${client}`,
      'if-none-match': etag,
    });
    expect(notModified.status).toBe(304);
    expect(notModified.headers['access-control-allow-origin']).toBe(PAGE);
    // The page must be able to read why it was refused, to report it.
    const refused = await send(api.url, 'GET', SET, { origin: PAGE, authorization: 'Bearer flt_wrong' });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(PAGE);
  });

  it('sends the CORS headers on the event stream too', async () => {
    const answer = await send(api.url, 'GET', `${SET}/stream`, {
      origin: PAGE,
      authorization: `Bearer ${client}`,
      accept: 'text/event-stream',
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(answer.headers['access-control-allow-origin']).toBe(PAGE);
  });

  it('gives another origin, and every admin route, no CORS header on real requests', async () => {
    const other = await send(api.url, 'GET', SET, { origin: OTHER_PAGE, authorization: `Bearer ${client}` });
    expect(other.status).toBe(200); // the server answers; the browser keeps the body from that page
    expect(corsHeaders(other)).toEqual([]);
    for (const target of ['/v1/flags/shop', '/v1/tokens', `${SET}/history`]) {
      const answer = await send(api.url, 'GET', target, { origin: PAGE, authorization: `Bearer ${admin}` });
      expect(answer.status, target).toBe(200);
      expect(corsHeaders(answer), target).toEqual([]);
    }
  });
});

describe('CORS settings', () => {
  it('answers no CORS at all without FLOWLINE_CORS_ORIGINS (OPTIONS stays a 404)', async () => {
    const served = await serve(undefined);
    const api = await startApi(served.flowline, { port: 0, host: '127.0.0.1' });
    try {
      const client = await served.token('client', ['production']);
      const preflight = await send(api.url, 'OPTIONS', SET, {
        origin: PAGE,
        'access-control-request-method': 'GET',
      });
      expect(preflight.status).toBe(404);
      expect(corsHeaders(preflight)).toEqual([]);
      const get = await send(api.url, 'GET', SET, { origin: PAGE, authorization: `Bearer ${client}` });
      expect(get.status).toBe(200);
      expect(corsHeaders(get)).toEqual([]);
    } finally {
      await served.close(api);
    }
  });

  it('refuses an entry that is not an origin when the server starts, naming it', async () => {
    const served = await serve('https://shop.example.com/app');
    try {
      const started = startApi(served.flowline, { port: 0, host: '127.0.0.1' });
      await expect(started).rejects.toThrow(FlowlineError);
      await expect(started).rejects.toMatchObject({
        code: 'FLOWLINE_SETTING_INVALID',
        message: expect.stringContaining('https://shop.example.com/app'),
      });
    } finally {
      await served.close();
    }
  });

  it('reads the origins from the environment, comma- or space-separated', () => {
    expect(
      loadSettings({ FLOWLINE_CORS_ORIGINS: ' https://a.example, http://localhost:5173  https://b.example' })
        .corsOrigins,
    ).toEqual(['https://a.example', 'http://localhost:5173', 'https://b.example']);
    expect(loadSettings({}).corsOrigins).toEqual([]);
  });
});
