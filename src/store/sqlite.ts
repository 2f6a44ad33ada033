import type Database from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { translateSqliteError } from './errors.js';

/**
 * Wraps a better-sqlite3 handle for Kysely's SqliteDialect so that every statement reports a
 * locked or damaged store as a FlowlineError (FLOWLINE_STORE_BUSY / _CORRUPT) naming the file,
 * wherever in the code base the query was written.
 */
export function translatingDatabase(
  raw: Database.Database,
  file: string,
  busyTimeoutMs: number,
): SqliteDatabase {
  const guard = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      throw translateSqliteError(error, file, busyTimeoutMs);
    }
  };
  return {
    close: () => raw.close(),
    prepare(sql: string): SqliteStatement {
      const statement = guard(() => raw.prepare(sql));
      return {
        reader: statement.reader,
        all: (parameters) => guard(() => statement.all(...parameters)),
        run: (parameters) => guard(() => statement.run(...parameters)),
        iterate: (parameters) => guardIterator(statement.iterate(...parameters), guard),
      };
    },
  };
}

function* guardIterator(
  iterator: IterableIterator<unknown>,
  guard: <T>(run: () => T) => T,
): IterableIterator<unknown> {
  for (;;) {
    const next = guard(() => iterator.next());
    if (next.done === true) return;
    yield next.value;
  }
}
