import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { type Clock, systemClock } from '../core/clock.js';
import { FlowlineError, isFlowlineError } from '../core/errors.js';
import { counted } from '../core/plural.js';
import type { WaitClock } from '../core/sleep.js';
import { flowlineVersion } from '../core/version.js';
import { corruptError, translateSqliteError } from './errors.js';
import { applyMigrations, inspectSchema } from './migrate.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';
import { ensurePrivateFolder, ensurePrivateStoreFile } from './modes.js';
import type { Database as Schema } from './schema.js';
import { translatingDatabase } from './sqlite.js';
import { sqliteWriter, type WriteTx } from './write.js';

/** An open store: the query layer plus the one way to write safely. */
export interface Store {
  /**
   * For reads. Write through {@link Store.write}: a write on `db` would wait for another
   * process's lock inside SQLite's busy handler, which blocks the event loop.
   */
  readonly db: Kysely<Schema>;
  readonly dialect: 'sqlite';
  /** Absolute path of the database file. */
  readonly file: string;
  /** True when this open made a new store (there was no file, or an empty one): nothing in it yet. */
  readonly created: boolean;
  /**
   * Runs `fn` in a write transaction holding the store's write lock from its first statement, so
   * read-then-write cannot race another process. Commits when `fn` resolves, rolls back when it
   * throws. Use `tx` for every query inside; calling `store.write` again inside throws.
   * Throws FLOWLINE_STORE_BUSY if another writer holds the lock longer than the busy timeout.
   */
  write<T>(fn: (tx: WriteTx) => Promise<T>): Promise<T>;
  /** Closes the database. Idempotent. */
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** The SQLite file, e.g. `.flowline/flowline.db`; its folder is created (0700) if missing. */
  readonly file: string;
  readonly clock?: Clock;
  /** How long to wait for another writer's lock before FLOWLINE_STORE_BUSY. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /**
   * False: a missing store is FLOWLINE_STORE_NOT_FOUND, and nothing is created (a command that
   * only reads must not leave an empty store behind). Default true: create it.
   */
  readonly create?: boolean;
  /** The schema migrations to apply. Default: all of Flowline's; tests inject their own. */
  readonly migrations?: readonly Migration[];
  /**
   * The time waiting for the write lock runs on. Default: real time (not `clock`, which a test
   * may hold still); tests of the timeout pass virtual time.
   */
  readonly wait?: WaitClock;
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const SQLITE_HEADER_BYTES = 100;

/**
 * Opens (creating if needed) the SQLite store and brings its schema up to date.
 *
 * Refuses, without writing a byte: a file that is not SQLite (FLOWLINE_STORE_CORRUPT), a store
 * migrated by a newer Flowline (FLOWLINE_STORE_NEWER_VERSION), a SQLite file Flowline did not
 * create (FLOWLINE_STORE_UNAVAILABLE). A failing migration is rolled back and reported.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const file = path.resolve(options.file);
  const clock = options.clock ?? systemClock;
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const migrations = options.migrations ?? MIGRATIONS;

  const created = !(await holdsData(file));
  if (created && options.create === false) throw notFound(file);
  await ensureFolder(file);
  await checkHeader(file);
  const raw = openRaw(file, busyTimeoutMs);
  const db = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: translatingDatabase(raw, file, busyTimeoutMs) }),
  });
  const write = sqliteWriter(db, raw, file, busyTimeoutMs, options.wait);
  try {
    const ctx = { file, clock, flowlineVersion: flowlineVersion() };
    const state = await inspectSchema(db, migrations, ctx);
    // Only now, with the store known to be ours, change anything on disk.
    if (raw.pragma('journal_mode', { simple: true }) !== 'wal') raw.pragma('journal_mode = WAL');
    await applyMigrations(write, state, migrations, ctx);
  } catch (error) {
    await db.destroy();
    throw error;
  }

  let closed = false;
  return {
    db,
    dialect: 'sqlite',
    file,
    created,
    write,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** Whether the file exists with something in it: a missing or empty file is a new store. */
async function holdsData(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    // Anything else (a folder in its place, no permission) is reported with context by checkHeader.
    return true;
  }
}

function notFound(file: string): FlowlineError {
  return new FlowlineError('FLOWLINE_STORE_NOT_FOUND', `There is no Flowline store at ${file}.`, {
    hint: 'Set FLOWLINE_HOME or --home to the folder of your store (the one `flowline serve` uses), or FLOWLINE_URL to a server. Commands that record something, such as `flowline run`, create a store.',
  });
}

/** The folder 0700 and the store 0600 (modes.ts): only Flowline's user may read what it holds. */
async function ensureFolder(file: string): Promise<void> {
  try {
    await ensurePrivateFolder(path.dirname(file));
  } catch (error) {
    throw unavailable(file, `its folder cannot be created (${(error as Error).message})`, error);
  }
  try {
    await ensurePrivateStoreFile(file);
  } catch (error) {
    throw unavailable(file, `it cannot be made private to this user (${(error as Error).message})`, error);
  }
}

/**
 * Checks the 100-byte SQLite header before SQLite sees the file: SQLite would happily treat
 * some damaged files as empty databases, and Flowline must never "repair" a user's file.
 * A missing or zero-byte file is a new store (SQLite's own rule).
 */
async function checkHeader(file: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw unavailable(file, `it cannot be read (${(error as Error).message})`, error);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw unavailable(file, 'it is not a regular file');
    if (stat.size === 0) return;
    const header = Buffer.alloc(SQLITE_HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, SQLITE_HEADER_BYTES, 0);
    if (!header.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) {
      throw corruptError(file, 'it does not start with the SQLite header');
    }
    if (bytesRead < SQLITE_HEADER_BYTES) {
      throw corruptError(
        file,
        `it is truncated (${counted(stat.size, 'byte')}, shorter than the SQLite header)`,
      );
    }
  } finally {
    await handle.close();
  }
}

function openRaw(file: string, busyTimeoutMs: number): Database.Database {
  let raw: Database.Database | undefined;
  try {
    raw = new Database(file, { timeout: busyTimeoutMs });
    raw.pragma('foreign_keys = ON');
    raw.pragma(`busy_timeout = ${busyTimeoutMs}`);
    // NORMAL is durable in WAL mode except for the last transactions before a power cut.
    raw.pragma('synchronous = NORMAL');
    // Deleted and overwritten content is zeroed, not left in free pages: a scrubbed or removed
    // value (a secret migrated out of a record, a revoked token's hash) does not linger in the file.
    raw.pragma('secure_delete = ON');
    // Reading the schema makes SQLite parse page 1: damage behind a valid header shows here.
    raw.prepare('select count(*) from sqlite_master').get();
    return raw;
  } catch (error) {
    raw?.close();
    const translated = translateSqliteError(error, file, busyTimeoutMs);
    if (isFlowlineError(translated)) throw translated;
    throw unavailable(file, `it cannot be opened (${(error as Error).message})`, error);
  }
}

function unavailable(file: string, detail: string, cause?: unknown): FlowlineError {
  return new FlowlineError('FLOWLINE_STORE_UNAVAILABLE', `The store ${file} cannot be used: ${detail}.`, {
    hint: 'Check the path (FLOWLINE_HOME) and its permissions.',
    ...(cause === undefined ? {} : { cause }),
  });
}
