import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../audit/index.js';
import { createEventBus } from '../../core/events.js';
import { tempStore } from '../../store/testing.js';
import { ServedSets } from './cache.js';
import { createFlagService, type FlagServiceInternals } from './service.js';
import type { ServedFlagSet } from './types.js';

// A client token may ask for any (service, environment): memory must not grow with the names.

let t: Awaited<ReturnType<typeof tempStore>>;
let flags: FlagServiceInternals;
const change = { actor: { kind: 'user' as const, name: 'alice' }, where: { host: 'test' } };
const flag = { type: 'boolean', variants: { on: true, off: false }, defaultVariant: 'on', enabled: true };

const serviceOver = (store: typeof t.store, limits = { maxSets: 3, maxMissing: 5 }) =>
  createFlagService({
    store,
    audit: createAuditLog({ store, clock: t.clock }),
    clock: t.clock,
    events: createEventBus(),
    cache: limits,
  });

beforeEach(async () => {
  t = await tempStore();
  flags = serviceOver(t.store);
  for (const env of ['e1', 'e2', 'e3', 'e4'])
    await flags.replace('shop', env, { flags: { a: flag } }, change);
});

afterEach(async () => {
  await flags.close();
  await t.cleanup();
});

describe('the flag sets kept in memory', () => {
  it('stay within their bounds under a flood of made-up names, one after another and all at once', async () => {
    for (let i = 0; i < 2000; i++) {
      const answer = await flags.evaluate(`svc-${i}`, `env-${i}`, 'a', {});
      expect(answer.errorCode).toBe('FLAG_NOT_FOUND');
    }
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => flags.evaluateBulk(`burst-${i}`, 'prod', {}, [`f${i}`])),
    );
    // 4 sets were written, at most 3 are kept; 5 made-up pairs at most; no read left hanging;
    // versions are known only for the sets that exist.
    expect(flags.memory()).toEqual({ sets: 3, missing: 5, loading: 0, versions: 4 });
  });

  it('keep the real sets served while made-up names come and go, and read an evicted one again', async () => {
    for (let i = 0; i < 100; i++) await flags.document('ghost', `env-${i}`);
    for (const env of ['e2', 'e3', 'e4']) expect((await flags.document('shop', env)).version).toBe(1);
    expect(flags.memory().sets).toBe(3);
    // e1 was evicted (least recently used); it is read from the store again, unchanged.
    const e1 = await flags.served('shop', 'e1');
    expect(e1.document.version).toBe(1);
    expect(Object.keys(e1.document.definition.flags)).toEqual(['a']);
    expect(flags.memory()).toMatchObject({ sets: 3, missing: 5 });
  });

  it('move a pair from the missing ones to the real ones when its set is created here', async () => {
    expect((await flags.document('shop', 'new')).version).toBe(0);
    expect(flags.memory().missing).toBe(1);
    await flags.replace('shop', 'new', { flags: { a: flag } }, change);
    expect(flags.memory()).toMatchObject({ missing: 0, sets: 3 });
    expect((await flags.document('shop', 'new')).version).toBe(1);
  });

  it('forget a missing pair once another process creates its set', async () => {
    expect((await flags.document('shop', 'later')).version).toBe(0);
    const other = serviceOver(await t.open());
    await other.replace('shop', 'later', { flags: { a: flag } }, change);
    expect((await flags.document('shop', 'later')).version).toBe(0); // remembered as missing
    await flags.sync();
    expect((await flags.document('shop', 'later')).version).toBe(1);
  });

  it('share one read among concurrent requests for the same pair', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, () => flags.served('shop', 'cold')));
    expect(new Set(answers).size).toBe(1);
    expect(flags.memory()).toMatchObject({ missing: 1, loading: 0 });
  });
});

describe('ServedSets recency', () => {
  const set = (version: number) => ({ document: { version } }) as unknown as ServedFlagSet;
  const never = () => Promise.reject(new Error('read from the store'));

  it('keeps the set in constant use when others are read after it', async () => {
    const sets = new ServedSets({ maxSets: 2 });
    sets.put('hot', set(1));
    sets.put('b', set(1)); // now the most recent
    expect(sets.get('hot', never)).toBeDefined(); // marks hot as used again
    expect(sets.get('hot', never)).toBeDefined(); // already the most recent: a plain lookup
    sets.put('c', set(1)); // pushes out the least recently used: b
    expect(sets.version('hot')).toBe(1);
    expect(sets.version('b')).toBeUndefined();
  });
});
