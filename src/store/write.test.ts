import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from './index.js';
import { tempStore } from './testing.js';

let t: Awaited<ReturnType<typeof tempStore>>;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const service = (id: string, name: string) => ({
  id,
  name,
  config_path: null,
  created_at: '2026-01-01T00:00:00.000Z',
});
const count = async (store: Store) =>
  Number(
    (
      await store.db
        .selectFrom('services')
        .select((e) => e.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('store.write', () => {
  it('commits when the callback resolves and returns its value', async () => {
    const value = await t.store.write(async (tx) => {
      await tx.insertInto('services').values(service('svc_1', 'shop')).execute();
      return 'done';
    });
    expect(value).toBe('done');
    expect(await count(t.store)).toBe(1);
  });

  it('rolls everything back when the callback throws', async () => {
    const failing = t.store.write(async (tx) => {
      await tx.insertInto('services').values(service('svc_1', 'shop')).execute();
      throw new Error('changed my mind');
    });
    await expect(failing).rejects.toThrow('changed my mind');
    expect(await count(t.store)).toBe(0);
  });

  it('refuses a nested write instead of deadlocking', async () => {
    const nested = t.store.write(async () => t.store.write(async () => 1));
    await expect(nested).rejects.toMatchObject({ code: 'FLOWLINE_INTERNAL' });
  });

  it('serialises read-then-write transactions of two Stores on the same file', async () => {
    const other = await t.open();
    // Each transaction reads the count, yields to the event loop, then writes a name derived from
    // it: without the write lock taken up front, the two would pick the same name and collide.
    const writer = (store: Store, label: string) => async () => {
      for (let i = 0; i < 25; i++) {
        await store.write(async (tx) => {
          const n = Number(
            (
              await tx
                .selectFrom('services')
                .select((e) => e.fn.countAll().as('n'))
                .executeTakeFirstOrThrow()
            ).n,
          );
          await yieldToLoop();
          await tx
            .insertInto('services')
            .values(service(`svc_${label}${i}`, `service-${n}`))
            .execute();
        });
      }
    };
    await Promise.all([writer(t.store, 'a')(), writer(other, 'b')()]);
    expect(await count(t.store)).toBe(50);
    const names = await t.store.db.selectFrom('services').select('name').orderBy('name').execute();
    expect(new Set(names.map((r) => r.name)).size).toBe(50);
  });

  it('waits for another writer without blocking the event loop, then reports FLOWLINE_STORE_BUSY', async () => {
    const store = await t.open({ busyTimeoutMs: 300 });
    const holder = new Database(t.file);
    holder.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const timer = setInterval(() => {
      ticks += 1;
    }, 10);
    try {
      const started = performance.now();
      const attempt = store.write(async (tx) =>
        tx.insertInto('services').values(service('svc_1', 'x')).execute(),
      );
      await expect(attempt).rejects.toMatchObject({
        code: 'FLOWLINE_STORE_BUSY',
        message: expect.stringContaining(t.file),
      });
      expect(performance.now() - started).toBeGreaterThanOrEqual(290);
      expect(ticks).toBeGreaterThan(3);
    } finally {
      clearInterval(timer);
      holder.exec('ROLLBACK');
      holder.close();
    }
    // Once the lock is free, the same Store writes normally.
    await store.write(async (tx) => tx.insertInto('services').values(service('svc_1', 'x')).execute());
    expect(await count(store)).toBe(1);
  });

  it('gets the lock as soon as the other writer commits', async () => {
    const holder = new Database(t.file);
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare("insert into services values ('svc_h', 'held', null, 'now')").run();
    setTimeout(() => {
      holder.exec('COMMIT');
      holder.close();
    }, 50);
    await t.store.write(async (tx) => tx.insertInto('services').values(service('svc_1', 'x')).execute());
    expect(await count(t.store)).toBe(2);
  });
});
