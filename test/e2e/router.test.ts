import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/clock.js';
import type { SlotEvent } from '../../src/router/index.js';
import {
  type Backend,
  type Harness,
  rawRequest,
  routeOf,
  startBackend,
  startRouter,
} from './router-helpers.js';

/** mulberry32, so the weighted split is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('router: routing by host, revision and weight', () => {
  let h: Harness;
  let blue: Backend;
  let green: Backend;
  let preview: Backend;

  beforeAll(async () => {
    [blue, green, preview] = await Promise.all([
      startBackend('blue-1'),
      startBackend('green-1'),
      startBackend('pr-1'),
    ]);
    h = await startRouter({ random: seeded(1) });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all([blue.close(), green.close(), preview.close()]);
  });

  it('routes by Host, ignoring case and port, and names the revision that answered', async () => {
    h.router.setRoute('staging.shop.localhost', routeOf({ b1: { weight: 100, backends: [blue] } }));
    h.router.setRoute('pr-12.shop.localhost', routeOf({ p1: { weight: 100, backends: [preview] } }));
    const a = await h.send(`Staging.Shop.Localhost:${h.port}`, '/api?x=1');
    expect(a.status).toBe(200);
    expect(a.headers['x-flowline-revision']).toBe('b1');
    expect(JSON.parse(a.body.toString())).toMatchObject({ id: 'blue-1', url: '/api?x=1' });
    const b = await h.send('pr-12.shop.localhost', '/');
    expect(b.headers['x-flowline-revision']).toBe('p1');
    expect(h.router.routes().map((r) => r.host)).toEqual(['pr-12.shop.localhost', 'staging.shop.localhost']);
  });

  it('answers 404 naming only the host asked for, never the hosts it serves', async () => {
    const res = await h.send(`nope.shop.localhost:${h.port}`, '/');
    expect(res.status).toBe(404);
    const text = res.body.toString();
    expect(text).toContain('no route for host "nope.shop.localhost"');
    expect(text).not.toContain('staging.shop.localhost');
    expect(text).not.toContain('pr-12.shop.localhost');
  });

  it('answers 503 with retry-after when the route has no instance', async () => {
    h.router.setRoute('empty.shop.localhost', routeOf({ r: { weight: 100, backends: [] } }));
    const res = await h.send('empty.shop.localhost', '/');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(h.router.removeRoute('empty.shop.localhost')).toBe(true);
    expect(h.router.removeRoute('empty.shop.localhost')).toBe(false);
    expect((await h.send('empty.shop.localhost', '/')).status).toBe(404);
  });

  it('strips hop-by-hop request headers, keeps Host and sets x-forwarded-*', async () => {
    const answer = await rawRequest(
      h.port,
      'GET /headers HTTP/1.1\r\nHost: staging.shop.localhost\r\nConnection: close, x-hop\r\nX-Hop: secret\r\n' +
        'Proxy-Authorization: Basic eA==\r\nTE: trailers\r\nKeep-Alive: timeout=9\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n',
    );
    const seen = JSON.parse(answer.slice(answer.indexOf('{'), answer.lastIndexOf('}') + 1)).headers as Record<
      string,
      string
    >;
    expect(seen['keep-alive']).toBeUndefined();
    expect(seen.connection).not.toContain('x-hop');
    expect(seen['x-hop']).toBeUndefined();
    expect(seen['proxy-authorization']).toBeUndefined();
    expect(seen.te).toBeUndefined();
    expect(seen.host).toBe('staging.shop.localhost');
    expect(seen['x-forwarded-host']).toBe('staging.shop.localhost');
    expect(seen['x-forwarded-proto']).toBe('http');
    expect(seen['x-forwarded-for']).toBe('10.1.1.1, 127.0.0.1');
  });

  it('splits 2000 requests 70/30 within ±3 % points', async () => {
    h.router.setRoute(
      'staging.shop.localhost',
      routeOf({ b1: { weight: 70, backends: [blue] }, g1: { weight: 30, backends: [green] } }),
    );
    const counts: Record<string, number> = {};
    for (let batch = 0; batch < 20; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, () => h.send('staging.shop.localhost', '/')),
      );
      for (const a of answers) {
        const r = String(a.headers['x-flowline-revision']);
        counts[r] = (counts[r] ?? 0) + 1;
      }
    }
    expect(Math.abs((counts.g1 ?? 0) / 2000 - 0.3)).toBeLessThanOrEqual(0.03);
    expect((counts.b1 ?? 0) + (counts.g1 ?? 0)).toBe(2000);
    const g = h.router.signals('shop', 'staging', 'g1', { windowMs: 10_000 });
    expect(g.requests).toBe(counts.g1);
    expect(g.errorRate).toBe(0);
  });

  it('pins by header and by cookie, and matches chosen users by header', async () => {
    h.router.setRoute(
      'staging.shop.localhost',
      routeOf(
        { b1: { weight: 100, backends: [blue] }, g1: { weight: 0, backends: [green] } },
        { match: [{ header: { name: 'x-canary', value: '1' }, revision: 'g1' }] },
      ),
    );
    const revisionOf = async (headers: Record<string, string>) =>
      (await h.send('staging.shop.localhost', '/', { headers })).headers['x-flowline-revision'];
    expect(await revisionOf({})).toBe('b1');
    expect(await revisionOf({ 'x-flowline-revision': 'g1' })).toBe('g1');
    expect(await revisionOf({ cookie: 'flowline-revision=g1' })).toBe('g1');
    expect(await revisionOf({ 'x-canary': '1' })).toBe('g1');
    expect(await revisionOf({ 'x-flowline-revision': 'gone' })).toBe('b1');
  });

  it('sets a sticky cookie on sticky routes and keeps the user on its revision', async () => {
    h.router.setRoute(
      'staging.shop.localhost',
      routeOf(
        { b1: { weight: 50, backends: [blue] }, g1: { weight: 50, backends: [green] } },
        { sticky: true },
      ),
    );
    const first = await h.send('staging.shop.localhost', '/');
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toMatch(/^flowline-sticky=\d{1,4}; Path=\/; Max-Age=86400; HttpOnly; SameSite=Lax$/);
    const cookie = setCookie.split(';')[0] ?? '';
    for (let i = 0; i < 20; i++) {
      const again = await h.send('staging.shop.localhost', '/', { headers: { cookie } });
      expect(again.headers['x-flowline-revision']).toBe(first.headers['x-flowline-revision']);
      expect(again.headers['set-cookie']).toBeUndefined();
    }
  });

  it('tells subscribers about errors at the first tick after their 100 ms slot closes (manual clock)', async () => {
    // Time stands still unless the test moves it, and the test runs the router's tick itself: what
    // a subscriber hears, and when, depends on the slots alone, not on how fast this machine is.
    const clock = createManualClock();
    const tickers: { ms: number; fn: () => void }[] = [];
    const own = await startRouter({
      clock,
      repeat: (ms, fn) => {
        const ticker = { ms, fn };
        tickers.push(ticker);
        return () => tickers.splice(tickers.indexOf(ticker), 1);
      },
    });
    try {
      own.router.setRoute('staging.shop.localhost', routeOf({ e1: { weight: 100, backends: [blue] } }));
      const events: SlotEvent[] = [];
      const unsubscribe = own.router.subscribe((e) => events.push(e));
      expect(tickers.map((t) => t.ms)).toEqual([100]); // one tick per slot while anyone listens
      const tick = () => {
        for (const t of [...tickers]) t.fn();
      };
      for (const path of ['/status/500', '/status/503', '/']) await own.send('staging.shop.localhost', path);

      tick();
      expect(events).toEqual([]); // the slot that saw them is still open
      clock.advance(100);
      tick();
      expect(events.map((e) => [e.revision, e.slot.requests, e.slot.errors])).toEqual([['e1', 3, 2]]);
      clock.advance(100);
      tick();
      expect(events).toHaveLength(1); // an empty slot is not reported

      const now = own.router.signals('shop', 'staging', 'e1', { windowMs: 1000 });
      expect(now.classes['5xx']).toBe(2);
      expect(now.errorRate).toBeCloseTo(2 / 3);
      unsubscribe();
      tick();
      expect(tickers).toEqual([]); // nobody listens: the tick stops
    } finally {
      await own.close();
    }
  });

  it('exposes Prometheus metrics for what it served', async () => {
    const text = h.router.metrics();
    expect(text).toMatch(
      /flowline_router_requests_total\{service="shop",environment="staging",revision="g1",code_class="2xx"\} [1-9]/,
    );
    expect(text).toContain(
      'flowline_router_in_flight{service="shop",environment="staging",revision="g1",instance="green-1"} 0',
    );
  });

  it('refuses a second listen on a taken port with FLOWLINE_PORT_IN_USE', async () => {
    const { createRouter } = await import('../../src/router/index.js');
    const other = createRouter();
    await expect(other.listen({ port: h.port, host: '127.0.0.1' })).rejects.toMatchObject({
      code: 'FLOWLINE_PORT_IN_USE',
    });
    await other.close();
  });
});
