import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../audit/index.js';
import { createEventBus } from '../../core/events.js';
import { tempStore } from '../../store/testing.js';
import { createFlagService, type FlagServiceInternals } from './service.js';

let t: Awaited<ReturnType<typeof tempStore>>;
let flags: FlagServiceInternals;
const change = { actor: { kind: 'user' as const, name: 'alice' }, where: { host: 'test' } };
const HOUR = 3_600_000;

beforeEach(async () => {
  t = await tempStore();
  t.clock.set('2026-03-01T10:20:00.000Z');
  flags = createFlagService({
    store: t.store,
    audit: createAuditLog({ store: t.store, clock: t.clock }),
    clock: t.clock,
    events: createEventBus(),
  });
  await flags.replace(
    'shop',
    'production',
    {
      flags: {
        banner: { type: 'boolean', variants: { on: true, off: false }, defaultVariant: 'off', enabled: true },
      },
    },
    change,
  );
});

afterEach(async () => {
  await flags.close();
  await t.cleanup();
});

const report = (variant: string, count: number) =>
  flags.countEvaluations('shop', 'production', [{ flag: 'banner', variant, count }]);

describe('evaluation counts per hour', () => {
  it('lands each flush in its hour, aligned with the hours listed, zero where nothing was counted', async () => {
    await report('on', 3);
    await report('off', 1);
    await flags.flushCounts();
    t.clock.advance(3 * HOUR);
    await report('on', 5);
    await flags.flushCounts();
    await report('on', 2);
    await flags.flushCounts(); // a second flush in the same hour adds up

    const series = await flags.evaluationHours('shop', 'production', { hours: 24 });
    expect(series.hours).toHaveLength(24);
    expect(series.hours.at(-1)).toBe('2026-03-01T13:00:00.000Z');
    expect(series.hours[0]).toBe('2026-02-28T14:00:00.000Z');
    const on = series.flags.banner?.on ?? [];
    expect(on[20]).toBe(3);
    expect(on[23]).toBe(7);
    expect(on.reduce((a, b) => a + b, 0)).toBe(10);
    expect(series.flags.banner?.off?.[20]).toBe(1);
  });

  it('reads only the flag asked for, and nothing for an environment without counts', async () => {
    await report('on', 1);
    await flags.flushCounts();
    expect(
      Object.keys((await flags.evaluationHours('shop', 'production', { hours: 24, flag: 'nope' })).flags),
    ).toEqual([]);
    expect((await flags.evaluationHours('shop', 'staging', { hours: 24 })).flags).toEqual({});
  });

  it('drops hours older than 8 days as later counts are written', async () => {
    await report('on', 4);
    await flags.flushCounts();
    t.clock.advance(9 * 24 * HOUR);
    await report('off', 1);
    await flags.flushCounts();
    const rows = await t.store.db.selectFrom('flag_evaluation_hours').selectAll().execute();
    expect(rows.map((row) => [row.variant, row.count])).toEqual([['off', 1]]);
  });
});
