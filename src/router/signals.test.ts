import { describe, expect, it } from 'vitest';
import { createManualClock } from '../core/clock.js';
import { ABORTED, classOfStatus, createSignalStore, ERROR, RETRIED, type SlotEvent } from './signals.js';

const T0 = '2026-01-01T00:00:00.000Z';

function setup() {
  const clock = createManualClock(T0);
  const store = createSignalStore({ clock });
  const rs = store.revision('shop', 'production', 'r2');
  return { clock, store, rs };
}

describe('golden signals', () => {
  it('classifies statuses, with anything outside 200–599 as an error', () => {
    expect([200, 204, 301, 404, 500, 503, 102, 700].map(classOfStatus)).toEqual([
      0,
      0,
      1,
      2,
      3,
      3,
      ERROR,
      ERROR,
    ]);
  });

  it('computes error rate, rate and percentiles over a window from known inputs', () => {
    const { clock, store, rs } = setup();
    // 100 requests over 1 s: 90 × 2xx at 10 ms, 5 × 5xx at 100 ms, 5 connection errors at 1 s.
    for (let i = 0; i < 100; i++) {
      if (i < 90) rs.record(classOfStatus(200), 10_000);
      else if (i < 95) rs.record(classOfStatus(503), 100_000);
      else rs.record(ERROR, 1_000_000);
      clock.advance(10);
    }
    const s = store.summary('shop', 'production', 'r2', { windowMs: 2000 });
    expect(s.requests).toBe(100);
    expect(s.errors).toBe(10);
    expect(s.errorRate).toBeCloseTo(0.1);
    expect(s.classes).toEqual({ '2xx': 90, '3xx': 0, '4xx': 0, '5xx': 5, error: 5 });
    expect(s.p50).toBeGreaterThan(10 * 0.9375);
    expect(s.p50).toBeLessThan(10 * 1.0625);
    expect(s.p95).toBeGreaterThan(100 * 0.9375);
    expect(s.p95).toBeLessThan(100 * 1.0625);
    expect(s.p99).toBeGreaterThan(1000 * 0.9375);
    expect(s.mean).toBeCloseTo((90 * 10 + 5 * 100 + 5 * 1000) / 100, 6);
    expect(s.ratePerSec).toBeCloseTo((100 * 1000) / s.windowMs, 6);
  });

  it('forgets what falls out of the window', () => {
    const { clock, store, rs } = setup();
    rs.record(classOfStatus(500), 1000);
    clock.advance(5000);
    rs.record(classOfStatus(200), 1000);
    expect(store.summary('shop', 'production', 'r2', { windowMs: 1000 }).requests).toBe(1);
    expect(store.summary('shop', 'production', 'r2', { windowMs: 1000 }).errorRate).toBe(0);
    expect(store.summary('shop', 'production', 'r2', { windowMs: 10_000 }).errorRate).toBe(0.5);
    // Beyond 10 s the 1 s ring answers, up to 10 min.
    clock.advance(20_000);
    expect(store.summary('shop', 'production', 'r2', { windowMs: 60_000 }).requests).toBe(2);
    expect(store.summary('shop', 'production', 'r2', { windowMs: 10_000 }).requests).toBe(0);
  });

  it('reuses ring slots when time wraps around', () => {
    const { clock, store, rs } = setup();
    rs.record(0, 1000);
    clock.advance(100 * 100); // exactly one fine ring later: same slot index, new slot
    rs.record(0, 1000);
    expect(store.summary('shop', 'production', 'r2', { windowMs: 100 }).requests).toBe(1);
  });

  it('says "no data" with nulls rather than zeros', () => {
    const { store } = setup();
    const s = store.summary('shop', 'production', 'never', { windowMs: 1000 });
    expect(s).toMatchObject({
      requests: 0,
      errorRate: null,
      p50: null,
      p99: null,
      mean: null,
      ratePerSec: 0,
    });
  });

  it('keeps totals since the revision first served, aborts and retries apart', () => {
    const { clock, store, rs } = setup();
    rs.record(0, 2000);
    rs.count(ABORTED);
    rs.count(RETRIED);
    clock.advance(3_600_000);
    rs.record(classOfStatus(500), 4000);
    const t = store.summary('shop', 'production', 'r2');
    expect(t).toMatchObject({ requests: 2, errors: 1, errorRate: 0.5, aborted: 1, retried: 1 });
    expect(t.mean).toBeCloseTo(3);
    expect(t.windowMs).toBe(3_600_000);
  });

  it('gives a series of per-slot summaries, oldest first', () => {
    const { clock, store, rs } = setup();
    rs.record(0, 1000);
    clock.advance(100);
    rs.record(classOfStatus(500), 1000);
    rs.record(classOfStatus(500), 1000);
    const series = store.series('shop', 'production', 'r2', 300);
    expect(series.map((s) => s.requests)).toEqual([0, 1, 2]);
    expect(series[2]?.errorRate).toBe(1);
    expect(series[1]?.start).toBe(Date.parse(T0));
  });

  it('reports each closed 100 ms slot to subscribers on tick', () => {
    const { clock, store, rs } = setup();
    const events: SlotEvent[] = [];
    const stop = store.subscribe((e) => events.push(e));
    rs.record(classOfStatus(500), 1000);
    store.tick();
    expect(events).toHaveLength(0); // the slot is still open
    clock.advance(100);
    rs.record(0, 1000);
    store.tick();
    expect(events.map((e) => [e.revision, e.slot.requests, e.slot.errorRate])).toEqual([['r2', 1, 1]]);
    clock.advance(250);
    store.tick();
    expect(events).toHaveLength(2); // empty slots are not reported
    stop();
    expect(store.subscribers).toBe(0);
  });

  it('keeps a subscriber that throws from stopping the others', () => {
    const clock = createManualClock(T0);
    const errors: unknown[] = [];
    const store = createSignalStore({ clock, onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    store.subscribe(() => {
      throw new Error('boom');
    });
    store.subscribe((e) => seen.push(e.revision));
    store.revision('s', 'e', 'r').record(0, 10);
    clock.advance(100);
    store.tick();
    expect(seen).toEqual(['r']);
    expect(errors).toHaveLength(1);
  });

  it('prunes idle revisions no route keeps, after the long window', () => {
    const { clock, store, rs } = setup();
    rs.record(0, 1);
    const other = store.revision('shop', 'production', 'r1');
    clock.advance(11 * 60_000);
    store.prune(new Set([other]));
    expect([...store.all()].map((r) => r.revision)).toEqual(['r1']);
  });
});

describe('latency samples for the judge', () => {
  it('keeps per-request latencies within the window, oldest first, and forgets older ones', () => {
    const { clock, store } = setup();
    const rs = store.revision('shop', 'prod', 'r1');
    rs.record(0, 10_000);
    clock.advance(5_000);
    rs.record(0, 20_000);
    rs.record(3, 30_000);
    expect(store.latencies('shop', 'prod', 'r1', 10_000)).toEqual([10, 20, 30]);
    expect(store.latencies('shop', 'prod', 'r1', 1_000)).toEqual([20, 30]);
    expect(store.latencies('shop', 'prod', 'other', 1_000)).toEqual([]);
  });

  it('holds at most the last 4096 requests', () => {
    const { store } = setup();
    const rs = store.revision('shop', 'prod', 'r1');
    for (let i = 0; i < 5000; i++) rs.record(0, i * 1000);
    const samples = store.latencies('shop', 'prod', 'r1', 60_000);
    expect(samples).toHaveLength(4096);
    expect(samples[0]).toBe(5000 - 4096);
    expect(samples.at(-1)).toBe(4999);
  });
});
