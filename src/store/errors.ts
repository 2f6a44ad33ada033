import { FlowlineError } from '../core/errors.js';

/** The `code` better-sqlite3 puts on its errors (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, …). */
export function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

/** True for a lock held by another connection (BUSY) — the caller may wait and retry. */
export function isBusy(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

function isCorruption(error: unknown): boolean {
  const code = sqliteCode(error);
  return code !== undefined && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'));
}

/**
 * True when a write broke a UNIQUE or PRIMARY KEY constraint. Knows SQLite's codes and
 * PostgreSQL's SQLSTATE 23505, so callers stay dialect-free.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

export function corruptError(file: string, detail: string, cause?: unknown): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_STORE_CORRUPT',
    `The store ${file} is not a readable SQLite database: ${detail}.`,
    {
      hint: 'Flowline left the file untouched. Restore it from a backup, or move it aside to start a new store.',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

export function busyError(file: string, waitedMs: number, cause?: unknown): FlowlineError {
  return new FlowlineError(
    'FLOWLINE_STORE_BUSY',
    `The store ${file} stayed locked by another writer for more than ${waitedMs} ms.`,
    {
      hint: 'Another Flowline process (a server or a long command) is writing to it. Retry, or stop that process.',
      ...(cause === undefined ? {} : { cause }),
    },
  );
}

/**
 * Turns driver errors that mean "the store is locked" or "the store is damaged" into
 * FlowlineErrors; everything else (constraint violations, SQL bugs) passes through unchanged.
 */
export function translateSqliteError(error: unknown, file: string, busyTimeoutMs: number): unknown {
  if (isBusy(error)) return busyError(file, busyTimeoutMs, error);
  if (isCorruption(error)) return corruptError(file, (error as Error).message, error);
  return error;
}
