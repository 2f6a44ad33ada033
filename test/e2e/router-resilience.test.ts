import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Backend, type Harness, routeOf, startBackend, startRouter, until } from './router-helpers.js';

const HOST = 'staging.shop.localhost';

describe('router: streaming, aborts, switches, draining and retries', () => {
  let h: Harness;
  let a: Backend;
  let b: Backend;
  let dead: { id: string; url: string };

  beforeAll(async () => {
    [a, b] = await Promise.all([startBackend('a-1'), startBackend('b-1')]);
    const gone = await startBackend('dead-1');
    await gone.close(); // its port now refuses connections
    dead = { id: gone.id, url: gone.url };
    h = await startRouter({ upstreamTimeoutMs: 1000 });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all([a.close(), b.close()]);
  });

  const toA = () => h.router.setRoute(HOST, routeOf({ ra: { weight: 100, backends: [a] } }));
  const toB = () =>
    h.router.setRoute(HOST, routeOf({ ra: { weight: 0, backends: [] }, rb: { weight: 100, backends: [b] } }));

  it('streams a 5 MB request body up and a 5 MB answer down', async () => {
    toA();
    const body = randomBytes(5 * 1024 * 1024);
    const echo = await h.send(HOST, '/echo', { method: 'POST', body });
    expect(echo.status).toBe(200);
    expect(echo.body.equals(body)).toBe(true);
    const big = await h.send(HOST, '/big?mb=5');
    expect(big.body.length).toBe(5 * 1024 * 1024);
  });

  it('aborts the request to the instance when the client goes away', async () => {
    toA();
    const controller = new AbortController();
    const pending = h.send(HOST, '/hang', { signal: controller.signal }).catch((e: unknown) => e);
    await until(() => a.seen.some((r) => r.url === '/hang'), 2000, 'the instance to see /hang');
    expect(h.router.inFlight('a-1')).toBe(1);
    controller.abort();
    await pending;
    await until(() => a.cutShort.includes('/hang'), 2000, 'the instance to see the connection cut');
    await until(() => h.router.inFlight('a-1') === 0, 2000, 'in-flight to reach 0');
    expect(h.router.signals('shop', 'staging', 'ra').aborted).toBeGreaterThanOrEqual(1);
  });

  it('survives clients that hang up in the middle of sending a body, buffered or streamed', async () => {
    toA();
    for (const [length, sent] of [
      [1000, 10], // buffered for retry
      [10 * 1024 * 1024, 256 * 1024], // streamed to the instance
    ] as const) {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(h.port, '127.0.0.1', () => {
          socket.write(`POST /echo HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${length}\r\n\r\n`);
          socket.write(Buffer.alloc(sent, 1), () => setTimeout(() => socket.destroy(), 50));
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
    }
    await until(() => h.router.inFlight('a-1') === 0, 2000, 'in-flight to reach 0');
    expect((await h.send(HOST, '/')).status).toBe(200);
  });

  it('switches atomically: new requests go to the new revision, the one in flight finishes where it started', async () => {
    toA();
    const slow = h.send(HOST, '/slow?ms=400');
    await until(() => h.router.inFlight('a-1') === 1, 2000, 'the slow request to start');
    toB();
    const after = await Promise.all(Array.from({ length: 20 }, () => h.send(HOST, '/')));
    expect(new Set(after.map((r) => r.headers['x-flowline-revision']))).toEqual(new Set(['rb']));
    const done = await slow;
    expect(done.status).toBe(200);
    expect(done.body.toString()).toBe('slow from a-1');
    expect(done.headers['x-flowline-revision']).toBe('ra');
  });

  it('drain resolves only once the request in flight to the instance has finished', async () => {
    toA();
    await expect(h.router.drain('a-1')).resolves.toBeUndefined(); // idle: at once
    const slow = h.send(HOST, '/slow?ms=300');
    await until(() => h.router.inFlight('a-1') === 1, 2000, 'the slow request to start');
    toB();
    let drained = false;
    const draining = h.router.drain('a-1').then(() => {
      drained = true;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(drained).toBe(false);
    const res = await slow;
    await draining;
    expect(res.status).toBe(200);
    expect(h.router.inFlight('a-1')).toBe(0);
  });

  it('retries on another instance when one refuses connections, GET and small POST alike', async () => {
    h.router.setRoute(HOST, routeOf({ ra: { weight: 100, backends: [dead, a] } }));
    const before = h.router.signals('shop', 'staging', 'ra').retried;
    const answers = await Promise.all(Array.from({ length: 30 }, () => h.send(HOST, '/')));
    expect(answers.map((r) => r.status)).toEqual(answers.map(() => 200));
    const post = await h.send(HOST, '/echo', { method: 'POST', body: 'order #1' });
    expect(post.body.toString()).toBe('order #1');
    expect(h.router.signals('shop', 'staging', 'ra').retried).toBeGreaterThan(before);
  });

  it('retries on another revision when every instance of the chosen one is gone', async () => {
    h.router.setRoute(
      HOST,
      routeOf({ ra: { weight: 100, backends: [dead] }, rb: { weight: 0, backends: [b] } }),
    );
    const res = await h.send(HOST, '/');
    expect(res.status).toBe(200);
    expect(res.headers['x-flowline-revision']).toBe('rb');
  });

  it('answers 502 when no instance can be reached, counted as an error of the revision', async () => {
    h.router.setRoute(HOST, routeOf({ rd: { weight: 100, backends: [dead] } }));
    const res = await h.send(HOST, '/');
    expect(res.status).toBe(502);
    expect(res.body.toString()).toContain('ECONNREFUSED');
    const s = h.router.signals('shop', 'staging', 'rd', { windowMs: 5000 });
    expect(s.classes.error).toBe(1);
    expect(s.errorRate).toBe(1);
  });

  it('answers 504 when the instance does not answer in time', async () => {
    toA();
    const res = await h.send(HOST, '/hang');
    expect(res.status).toBe(504);
    expect(res.headers['x-flowline-revision']).toBe('ra');
  });

  it('lets requests in flight finish when it closes', async () => {
    const own = await startRouter();
    own.router.setRoute(HOST, routeOf({ ra: { weight: 100, backends: [a] } }));
    const slow = own.send(HOST, '/slow?ms=300');
    await until(() => own.router.inFlight('a-1') === 1, 2000, 'the slow request to start');
    const closing = own.router.close({ graceMs: 2000 });
    const res = await slow;
    await closing;
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe('close');
    await expect(own.send(HOST, '/')).rejects.toThrow();
    await own.close();
  });
});
