import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../core/clock.js';
import { httpStatusOf } from '../../core/errors.js';
import { createMemoryBusinessMetrics } from './business-memory.js';

// Whoever may push chooses the names: memory must stay bounded under a flood of them.

const NOW = new Date('2026-01-01T12:00:00.000Z');
const point = (name: string, value: number, at = NOW, environment = 'production') => ({
  service: 'shop',
  environment,
  name,
  value,
  at,
});
const all = {
  service: 'shop',
  environment: 'production',
  from: new Date(0),
  to: new Date(NOW.getTime() + 1),
};

describe('the in-memory business metrics', () => {
  it('keeps the newest maxPointsPerSeries points of a series, dropping the oldest', async () => {
    const sink = createMemoryBusinessMetrics({ clock: createManualClock(NOW), maxPointsPerSeries: 1000 });
    for (let i = 0; i < 5000; i++) await sink.push(point('orders', i, new Date(NOW.getTime() - 5000 + i)));
    const kept = await sink.window({ ...all, name: 'orders' });
    expect(kept).toHaveLength(1000);
    expect(kept[0]?.value).toBe(4000);
    expect(kept.at(-1)?.value).toBe(4999);
  });

  it('refuses a series over maxSeries with FLOWLINE_METRIC_SERIES_LIMIT (413), and keeps serving the others', async () => {
    const sink = createMemoryBusinessMetrics({ clock: createManualClock(NOW), maxSeries: 100 });
    for (let i = 0; i < 100; i++) await sink.push(point(`m${i}`, i));
    let refused = 0;
    for (let i = 0; i < 10_000; i++) {
      const error = await sink.push(point(`flood${i}`, 1)).catch((e: unknown) => e);
      if ((error as { code?: string } | undefined)?.code === 'FLOWLINE_METRIC_SERIES_LIMIT') refused++;
    }
    expect(refused).toBe(10_000);
    const error = await sink.push(point('one-more', 1, NOW, 'staging')).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'FLOWLINE_METRIC_SERIES_LIMIT',
      message: '`one-more` of shop/staging would be a new series, and 100 series are kept already.',
    });
    expect(httpStatusOf('FLOWLINE_METRIC_SERIES_LIMIT')).toBe(413);

    // The series it has still take points and answer windows.
    await sink.push(point('m7', 70, new Date(NOW.getTime() + 0.5)));
    expect((await sink.window({ ...all, name: 'm7' })).map((p) => p.value)).toEqual([7, 70]);
    expect(await sink.window({ ...all, name: 'flood1' })).toEqual([]);
  });

  it('frees the place of a series with no point left within the retention', async () => {
    const clock = createManualClock(NOW);
    const sink = createMemoryBusinessMetrics({ clock, maxSeries: 2, retentionMs: 60_000 });
    await sink.push(point('a', 1));
    await sink.push(point('b', 1));
    await expect(sink.push(point('c', 1))).rejects.toMatchObject({ code: 'FLOWLINE_METRIC_SERIES_LIMIT' });
    clock.advance(30_000);
    await sink.push(point('b', 2, clock.now())); // b stays alive
    clock.advance(31_000); // a's only point is now past the retention
    await sink.push(point('c', 3, clock.now()));
    const window = {
      ...all,
      from: new Date(clock.now().getTime() - 60_000),
      to: new Date(clock.now().getTime() + 1),
    };
    expect(await sink.window({ ...window, name: 'a' })).toEqual([]);
    expect((await sink.window({ ...window, name: 'b' })).map((p) => p.value)).toEqual([2]);
    expect((await sink.window({ ...window, name: 'c' })).map((p) => p.value)).toEqual([3]);
  });

  it('ignores a point already past the retention, without starting a series for it', async () => {
    const clock = createManualClock(NOW);
    const sink = createMemoryBusinessMetrics({ clock, maxSeries: 1, retentionMs: 60_000 });
    await sink.push(point('old', 1, new Date(NOW.getTime() - 61_000)));
    await sink.push(point('new', 1)); // the only place was not taken by `old`
    expect(await sink.window({ ...all, name: 'old' })).toEqual([]);
  });

  it('keeps points in time order whatever order they arrive in, and filters by revision', async () => {
    const sink = createMemoryBusinessMetrics({ clock: createManualClock(NOW) });
    const at = (s: number) => new Date(NOW.getTime() - s * 1000);
    await sink.push({ ...point('orders', 3, at(1)), revision: 'r2' });
    await sink.push({ ...point('orders', 1, at(3)), revision: 'r1' });
    await sink.push({ ...point('orders', 2, at(2)), revision: 'r2' });
    expect((await sink.window({ ...all, name: 'orders' })).map((p) => p.value)).toEqual([1, 2, 3]);
    expect((await sink.window({ ...all, name: 'orders', revision: 'r2' })).map((p) => p.value)).toEqual([
      2, 3,
    ]);
  });
});
