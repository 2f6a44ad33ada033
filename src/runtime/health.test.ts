import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probe } from './health.js';
import { freePort } from './ports.js';

let server: http.Server;
let port: number;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/slow') return; // never answers
    res.writeHead(req.url === '/ok' ? 200 : req.url === '/moved' ? 302 : 503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('a health check', () => {
  it('passes on 2xx and 3xx and fails on other statuses, saying what it saw', async () => {
    expect(await probe(port, { path: '/ok', timeout: 1000 })).toEqual({ ok: true, detail: 'GET /ok → 200' });
    expect(await probe(port, { path: '/moved', timeout: 1000 })).toEqual({
      ok: true,
      detail: 'GET /moved → 302',
    });
    expect(await probe(port, { path: '/healthz', timeout: 1000 })).toEqual({
      ok: false,
      detail: 'GET /healthz → 503',
    });
  });

  it('fails when nothing listens, or nothing answers in time', async () => {
    const closed = await freePort();
    expect(await probe(closed, { path: '/ok', timeout: 1000 })).toEqual({
      ok: false,
      detail: 'GET /ok → connection refused',
    });
    expect(await probe(port, { path: '/slow', timeout: 100 })).toEqual({
      ok: false,
      detail: 'GET /slow → no answer within 100ms',
    });
  });

  it('without a path, passes when the port accepts a connection', async () => {
    expect((await probe(port, { timeout: 1000 })).ok).toBe(true);
    const closed = await freePort();
    expect(await probe(closed, { timeout: 1000 })).toEqual({
      ok: false,
      detail: `TCP connect to port ${closed} → connection refused`,
    });
  });
});
