import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { FlowlineError } from '../core/errors.js';
import { chooseBackend, chooseInstance, chooseRetry, cookieValue } from './choose.js';
import { createSignalStore } from './signals.js';
import { compileRoute, normaliseHost, type Route } from './table.js';
import type { RouteSpec } from './types.js';
import { Upstreams } from './upstreams.js';

/** mulberry32: a small seeded generator, so splits are the same on every run. */
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

const upstreams = new Upstreams({ connections: 1, headersTimeoutMs: 1000 });
const signals = createSignalStore();

function compile(spec: RouteSpec, host = 'production.shop.localhost'): Route {
  return compileRoute(host, spec, {
    instance: (id, url) => upstreams.acquire({ id, url }),
    signals: (revision) => signals.revision(spec.service, spec.environment, revision),
    otherUrls: new Map(),
  });
}

function spec(weights: Record<string, number>, extra: Partial<RouteSpec> = {}): RouteSpec {
  let port = 40_000;
  return {
    service: 'shop',
    environment: 'production',
    backends: Object.entries(weights).map(([revision, weight]) => ({
      revision,
      weight,
      instances: [{ id: `${revision}-1`, url: `http://127.0.0.1:${port++}` }],
    })),
    ...extra,
  };
}

function count(route: Route, n: number, headers: IncomingHttpHeaders = {}, random = seeded(42)) {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const revision = chooseBackend(route, headers, random, 'flowline-sticky')?.backend.revision ?? 'none';
    counts[revision] = (counts[revision] ?? 0) + 1;
  }
  return counts;
}

describe('choosing a revision', () => {
  it('splits traffic by weight (90/10 and 33.33/33.33/33.34 over 2000 requests, ±2 %)', () => {
    const canary = count(compile(spec({ stable: 90, canary: 10 })), 2000);
    expect(Math.abs((canary.canary ?? 0) - 200)).toBeLessThanOrEqual(40);
    const thirds = count(compile(spec({ a: 33.33, b: 33.33, c: 33.34 })), 2000);
    for (const r of ['a', 'b', 'c']) expect(Math.abs((thirds[r] ?? 0) - 667)).toBeLessThanOrEqual(40);
  });

  it('never sends traffic to a weight of 0 or away from a weight of 100', () => {
    expect(count(compile(spec({ blue: 0, green: 100 })), 500)).toEqual({ green: 500 });
  });

  it('follows the pin header and pin cookie, even to a revision at weight 0', () => {
    const route = compile(spec({ blue: 100, green: 0 }));
    expect(count(route, 50, { 'x-flowline-revision': 'green' })).toEqual({ green: 50 });
    expect(count(route, 50, { cookie: 'a=1; flowline-revision=green' })).toEqual({ green: 50 });
    expect(count(route, 50, { 'x-flowline-revision': 'nope' })).toEqual({ blue: 50 });
  });

  it('uses configured pin names', () => {
    const route = compile(spec({ blue: 100, green: 0 }, { pin: { header: 'X-Version', cookie: 'v' } }));
    expect(count(route, 10, { 'x-version': 'green' })).toEqual({ green: 10 });
    expect(count(route, 10, { cookie: 'v=green' })).toEqual({ green: 10 });
    expect(count(route, 10, { 'x-flowline-revision': 'green' })).toEqual({ blue: 10 });
  });

  it('routes chosen users by header or cookie match', () => {
    const route = compile(
      spec(
        { stable: 100, canary: 0 },
        {
          match: [
            { header: { name: 'x-canary', value: '1' }, revision: 'canary' },
            { cookie: { name: 'beta', value: 'yes' }, revision: 'canary' },
          ],
        },
      ),
    );
    expect(count(route, 20, { 'x-canary': '1' })).toEqual({ canary: 20 });
    expect(count(route, 20, { cookie: 'beta=yes' })).toEqual({ canary: 20 });
    expect(count(route, 20, { 'x-canary': '0' })).toEqual({ stable: 20 });
  });

  it('keeps sticky users on their band and only moves them into the growing revision', () => {
    const at = (w: number) => compile(spec({ canary: w, stable: 100 - w }, { sticky: true }));
    const first = chooseBackend(at(25), {}, seeded(7), 'flowline-sticky');
    expect(first?.newPoint).toBeTypeOf('number');
    const users = Array.from({ length: 400 }, (_, i) => `flowline-sticky=${(i * 25) % 10_000}`);
    const pick = (route: Route, cookie: string) =>
      chooseBackend(route, { cookie }, () => 0.5, 'flowline-sticky')?.backend.revision;
    for (const cookie of users) {
      const before = pick(at(25), cookie);
      expect(pick(at(25), cookie)).toBe(before); // stable while weights hold
      if (before === 'canary') expect(pick(at(50), cookie)).toBe('canary'); // never moved back
      expect(pick(at(0), cookie)).toBe('stable'); // rollback takes everyone back at once
    }
    expect(
      chooseBackend(at(25), { cookie: users[0] }, () => 0.5, 'flowline-sticky')?.newPoint,
    ).toBeUndefined();
  });

  it('serves from revisions that have instances when weighted ones have none, and gives up when none has', () => {
    const noGreen: RouteSpec = {
      service: 'shop',
      environment: 'production',
      backends: [
        { revision: 'blue', weight: 0, instances: [{ id: 'b1', url: 'http://127.0.0.1:41000' }] },
        { revision: 'green', weight: 100, instances: [] },
      ],
    };
    expect(count(compile(noGreen), 10)).toEqual({ blue: 10 });
    const empty = { ...noGreen, backends: [{ revision: 'blue', weight: 100, instances: [] }] };
    expect(count(compile(empty), 3)).toEqual({ none: 3 });
  });

  it('prefers the instance with fewest requests in flight, round-robin on ties', () => {
    const route = compile({
      service: 'shop',
      environment: 'production',
      backends: [
        {
          revision: 'r',
          weight: 100,
          instances: [
            { id: 'i1', url: 'http://127.0.0.1:42001' },
            { id: 'i2', url: 'http://127.0.0.1:42002' },
          ],
        },
      ],
    });
    const backend = route.backends[0];
    if (backend === undefined) throw new Error('no backend');
    const ids = [1, 2, 3, 4].map(() => chooseInstance(backend)?.id);
    expect(new Set(ids)).toEqual(new Set(['i1', 'i2']));
    const [i1, i2] = backend.instances;
    if (i1 === undefined || i2 === undefined) throw new Error('no instances');
    i1.inFlight = 3;
    expect([1, 2, 3].map(() => chooseInstance(backend)?.id)).toEqual(['i2', 'i2', 'i2']);
    i1.inFlight = 0;
    // Retries go to another instance of the same revision first, then to other revisions.
    expect(chooseRetry(route, 'r', new Set([i1]))?.instance.id).toBe('i2');
    expect(chooseRetry(route, 'r', new Set([i1, i2]))).toBeUndefined();
  });
});

describe('routes', () => {
  it('normalises hosts: case, port, trailing dot', () => {
    expect(normaliseHost('PR-12.Shop.LOCALHOST:8080')).toBe('pr-12.shop.localhost');
    expect(normaliseHost('staging.shop.localhost.')).toBe('staging.shop.localhost');
    expect(normaliseHost('[::1]:80')).toBe('[::1]');
    expect(normaliseHost(undefined)).toBe('');
  });

  it('reports every problem of an invalid route at once, with field paths', () => {
    const bad = {
      service: '',
      environment: 'production',
      backends: [
        { revision: 'a', weight: 60.005, instances: [{ id: 'x', url: 'ftp://nope' }] },
        { revision: 'a', weight: 30, instances: [{ id: 'x', url: 'http://127.0.0.1:1/path' }] },
      ],
      pin: { header: 'bad header' },
      match: [{ revision: 'zzz', header: { name: 'x', value: '1' } }],
    } satisfies RouteSpec;
    let error: unknown;
    try {
      compile(bad, 'Bad_Host');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FlowlineError);
    const paths = (error as FlowlineError).issues.map((i) => i.path);
    expect((error as FlowlineError).code).toBe('FLOWLINE_ROUTE_INVALID');
    expect(paths).toEqual([
      'host',
      'service',
      'backends[0].weight',
      'backends[0].instances[0].url',
      'backends[1].revision',
      'backends[1].instances[0].id',
      'backends[1].instances[0].url',
      'pin.header',
      'match[0].revision',
    ]);
  });

  it('refuses weights that do not sum to 100', () => {
    expect(() => compile(spec({ a: 50, b: 40 }))).toThrow(/weights must sum to 100, got 90/);
  });

  it('reads cookies, quoted or not, and only whole names', () => {
    expect(cookieValue('a=1; flowline-revision="r2"; b=2', 'flowline-revision')).toBe('r2');
    expect(cookieValue('xflowline-revision=r1', 'flowline-revision')).toBeUndefined();
    expect(cookieValue(undefined, 'a')).toBeUndefined();
  });
});
