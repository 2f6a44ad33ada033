import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import type { Kysely } from 'kysely';
import { FlowlineError } from '../core/errors.js';
import { realWaitClock, type WaitClock } from '../core/sleep.js';
import { busyError, isBusy } from './errors.js';
import type { Database as Schema } from './schema.js';

/**
 * The handle a write transaction's callback gets. Run every query of the transaction through it
 * (not through `store.db`, which would wait for the transaction to finish: SQLite has one
 * connection per Store).
 */
export type WriteTx = Kysely<Schema>;

export type WriteFn = <T>(fn: (tx: WriteTx) => Promise<T>) => Promise<T>;

const insideWrite = new AsyncLocalStorage<true>();

/**
 * Write transactions for SQLite: `BEGIN IMMEDIATE` takes the write lock up front, so a
 * transaction that reads then writes (the audit chain head, "is this name taken?") cannot be
 * overtaken by another process between its read and its write.
 *
 * Waiting for the lock happens here, asynchronously, not in SQLite's busy handler: better-sqlite3
 * is synchronous, so the busy handler would freeze the event loop for up to the whole timeout —
 * and, with two Stores in one process, deadlock against a transaction that needs the event loop
 * to reach its COMMIT. So `busy_timeout` is set to 0 while BEGIN IMMEDIATE is tried, and
 * restored afterwards for every other statement.
 */
export function sqliteWriter(
  db: Kysely<Schema>,
  raw: Database.Database,
  file: string,
  busyTimeoutMs: number,
  wait: WaitClock = realWaitClock,
): WriteFn {
  return async <T>(fn: (tx: WriteTx) => Promise<T>): Promise<T> => {
    if (insideWrite.getStore() === true) {
      throw new FlowlineError(
        'FLOWLINE_INTERNAL',
        'store.write() was called inside another write transaction; pass the transaction handle down instead.',
      );
    }
    return db.connection().execute((conn) =>
      insideWrite.run(true, async () => {
        await beginImmediate(raw, file, busyTimeoutMs, wait);
        try {
          const result = await fn(conn);
          raw.exec('COMMIT');
          return result;
        } catch (error) {
          // Some errors (SQLITE_FULL, SQLITE_IOERR) already rolled the transaction back.
          if (raw.inTransaction) raw.exec('ROLLBACK');
          throw error;
        }
      }),
    );
  };
}

async function beginImmediate(
  raw: Database.Database,
  file: string,
  busyTimeoutMs: number,
  wait: WaitClock,
): Promise<void> {
  // Its own time line, not the store's Clock: this is a real wait, and a test's manual clock stands still.
  const deadline = wait.now() + busyTimeoutMs;
  let delayMs = 2;
  raw.pragma('busy_timeout = 0');
  try {
    for (;;) {
      try {
        raw.exec('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!isBusy(error)) throw error;
        if (wait.now() >= deadline) throw busyError(file, busyTimeoutMs, error);
      }
      // Jitter keeps two waiting processes from retrying in lockstep.
      await wait.sleep(delayMs + Math.random() * delayMs);
      delayMs = Math.min(delayMs * 2, 50);
    }
  } finally {
    raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
  }
}
