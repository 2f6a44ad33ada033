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

/** The write transaction under way in this async context, with what waits for its commit. */
const insideWrite = new AsyncLocalStorage<{ readonly afterCommit: (() => void)[] }>();

/**
 * Runs `fn` once the write transaction under way commits (at once outside one; never if it rolls
 * back). For announcements (events to live displays) that must not tell of a change that was
 * undone. `fn` must not throw: a failure is swallowed so it cannot fail a committed write.
 */
export function afterCommit(fn: () => void): void {
  const current = insideWrite.getStore();
  if (current === undefined) runQuietly(fn);
  else current.afterCommit.push(fn);
}

function runQuietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // An announcement failed; the write it announces stands.
  }
}

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
    if (insideWrite.getStore() !== undefined) {
      throw new FlowlineError(
        'FLOWLINE_INTERNAL',
        'store.write() was called inside another write transaction; pass the transaction handle down instead.',
      );
    }
    const pending: (() => void)[] = [];
    const result = await db.connection().execute((conn) =>
      insideWrite.run({ afterCommit: pending }, async () => {
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
    // Outside the transaction's context: a listener may start writes of its own.
    for (const announce of pending) insideWrite.exit(() => runQuietly(announce));
    return result;
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
