import { setImmediate as yieldToLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVirtualTime, realSleep, realWaitClock, type WaitClock } from '../core/sleep.js';
import { afterCommit, type Store } from './index.js';
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

  it('waits for another writer until the busy timeout, then reports FLOWLINE_STORE_BUSY (virtual time)', async () => {
    const time = createVirtualTime();
    const store = await t.open({ busyTimeoutMs: 300, wait: time.wait });
    const holder = new Database(t.file);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const started = time.wait.now();
      const attempt = store.write(async (tx) =>
        tx.insertInto('services').values(service('svc_1', 'x')).execute(),
      );
      await expect(time.run(attempt)).rejects.toMatchObject({
        code: 'FLOWLINE_STORE_BUSY',
        message: expect.stringContaining(t.file),
      });
      // Virtual milliseconds: it gave up only once the timeout had passed, and at most one retry
      // delay (under 2 × 50 ms, jitter included) after it.
      const waited = time.wait.now() - started;
      expect(waited).toBeGreaterThanOrEqual(300);
      expect(waited).toBeLessThan(400);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    // Once the lock is free, the same Store writes normally.
    await store.write(async (tx) => tx.insertInto('services').values(service('svc_1', 'x')).execute());
    expect(await count(store)).toBe(1);
  });

  it('waits on the event loop and gets the lock as soon as the other writer commits', async () => {
    const holder = new Database(t.file);
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare("insert into services values ('svc_h', 'held', null, 'now')").run();
    let retries = 0;
    // The holder commits from another event-loop callback once the writer waits: a writer that
    // blocked the loop (SQLite's own busy handler) would never see it and time out instead.
    const wait: WaitClock = {
      now: realWaitClock.now,
      sleep: (ms) => {
        if (retries++ === 0)
          setImmediate(() => {
            holder.exec('COMMIT');
            holder.close();
          });
        return realSleep(ms);
      },
    };
    const store = await t.open({ wait });
    await store.write(async (tx) => tx.insertInto('services').values(service('svc_1', 'x')).execute());
    expect(retries).toBeGreaterThan(0);
    expect(await count(store)).toBe(2);
  });
});

describe('afterCommit', () => {
  it('runs after the commit, outside the transaction, and never for a rolled back one', async () => {
    const ran: string[] = [];
    await t.store.write(async (tx) => {
      await tx.insertInto('services').values(service('svc_1', 'shop')).execute();
      afterCommit(() => {
        ran.push('committed');
        // Outside the transaction: a listener may write on its own.
        void t.store.write(async () => undefined).then(() => ran.push('wrote'));
      });
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(['committed']);
    await expect(
      t.store.write(async () => {
        afterCommit(() => ran.push('rolled back'));
        throw new Error('undo');
      }),
    ).rejects.toThrow('undo');
    await yieldToLoop();
    expect(ran).toEqual(['committed', 'wrote']);
  });

  it('runs at once outside a transaction, and a throwing callback fails nothing', async () => {
    const ran: string[] = [];
    afterCommit(() => ran.push('now'));
    expect(ran).toEqual(['now']);
    await t.store.write(async () => {
      afterCommit(() => {
        throw new Error('listener broke');
      });
    });
  });
});
