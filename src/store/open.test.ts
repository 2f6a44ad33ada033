import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlowlineError } from '../core/errors.js';
import { flowlineVersion } from '../core/version.js';
import { MIGRATIONS, type Migration, openStore } from './index.js';

/** The schema version of a store migrated by this Flowline. */
// The newest version, not the count: migration numbers are assigned ahead and may leave a gap.
const LATEST = MIGRATIONS.at(-1)?.version ?? 0;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-open-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<FlowlineError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlowlineError);
  return error as FlowlineError;
}

function tables(file: string): string[] {
  const raw = new Database(file, { readonly: true });
  try {
    return raw
      .prepare("select name from sqlite_master where type in ('table', 'index') order by name")
      .pluck()
      .all() as string[];
  } finally {
    raw.close();
  }
}

describe('openStore', () => {
  it('creates the folder and a migrated store in WAL mode', async () => {
    const file = path.join(dir, '.flowline', 'flowline.db');
    const store = await openStore({ file });
    expect(store.file).toBe(file);
    expect(store.dialect).toBe('sqlite');
    const versions = await store.db.selectFrom('flowline_migrations').selectAll().execute();
    expect(versions).toMatchObject(
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name, flowline_version: flowlineVersion() })),
    );
    const mode = await sql<{ journal_mode: string }>`pragma journal_mode`.execute(store.db);
    expect(mode.rows[0]?.journal_mode).toBe('wal');
    await store.close();
    expect(tables(file)).toEqual(
      expect.arrayContaining(['services', 'audit_events', 'api_tokens', 'audit_head']),
    );
  });

  it('reopens an existing store without applying anything twice', async () => {
    const file = path.join(dir, 'flowline.db');
    await (await openStore({ file })).close();
    const before = tables(file);
    const store = await openStore({ file });
    await store.close();
    await store.close(); // idempotent
    expect(tables(file)).toEqual(before);
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('select count(*) from flowline_migrations').pluck().get()).toBe(MIGRATIONS.length);
    raw.close();
  });

  it('says whether it made the store, and with create: false refuses a missing one, creating nothing', async () => {
    const home = path.join(dir, '.flowline');
    const file = path.join(home, 'flowline.db');
    const refused = await rejection(openStore({ file, create: false }));
    expect(refused.code).toBe('FLOWLINE_STORE_NOT_FOUND');
    expect(refused.message).toContain(file);
    await expect(stat(home)).rejects.toMatchObject({ code: 'ENOENT' });
    const made = await openStore({ file });
    expect(made.created).toBe(true);
    await made.close();
    const again = await openStore({ file, create: false });
    expect(again.created).toBe(false);
    await again.close();
  });

  it('enforces foreign keys', async () => {
    const store = await openStore({ file: path.join(dir, 'flowline.db') });
    const insert = store.db
      .insertInto('artifacts')
      .values({
        id: 'sha256:aa',
        service_id: 'svc_missing',
        cache_key: 'k',
        commit_sha: null,
        size_bytes: 1,
        created_at: 'x',
      })
      .execute();
    await expect(insert).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    await store.close();
  });

  it.each([
    ['random bytes', () => randomBytes(4096)],
    ['a truncated header', () => Buffer.from('SQLite format 3\0only forty bytes of header....', 'latin1')],
  ])('refuses %s as corrupt and leaves the file byte for byte', async (_label, content) => {
    const file = path.join(dir, 'flowline.db');
    const bytes = content();
    await writeFile(file, bytes);
    const error = await rejection(openStore({ file }));
    expect(error.code).toBe('FLOWLINE_STORE_CORRUPT');
    expect(error.message).toContain(file);
    expect(error.hint).toMatch(/backup|move it aside/);
    expect((await readFile(file)).equals(bytes)).toBe(true);
  });

  it('refuses a SQLite file whose pages are garbage behind a valid header', async () => {
    const file = path.join(dir, 'flowline.db');
    await (await openStore({ file })).close();
    const original = await readFile(file);
    const damaged = Buffer.concat([original.subarray(0, 100), randomBytes(original.length - 100)]);
    await writeFile(file, damaged);
    const error = await rejection(openStore({ file }));
    expect(error.code).toBe('FLOWLINE_STORE_CORRUPT');
    expect((await readFile(file)).equals(damaged)).toBe(true);
  });

  it('refuses a SQLite database that another program owns', async () => {
    const file = path.join(dir, 'other.db');
    const raw = new Database(file);
    raw.exec('create table customers (id integer primary key)');
    raw.close();
    const before = await readFile(file);
    const error = await rejection(openStore({ file }));
    expect(error.code).toBe('FLOWLINE_STORE_UNAVAILABLE');
    expect(error.message).toContain('customers');
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  it('refuses a store migrated by a newer Flowline, naming both versions, and changes nothing', async () => {
    const file = path.join(dir, 'flowline.db');
    await (await openStore({ file })).close();
    const raw = new Database(file);
    raw
      .prepare('insert into flowline_migrations values (?, ?, ?, ?)')
      .run(LATEST + 1, 'from_the_future', '2030-01-01T00:00:00.000Z', '9.9.9');
    raw.close();
    const before = await readFile(file);
    const error = await rejection(openStore({ file }));
    expect(error.code).toBe('FLOWLINE_STORE_NEWER_VERSION');
    expect(error.message).toContain(`schema version ${LATEST + 1}`);
    expect(error.message).toContain('Flowline 9.9.9');
    expect(error.message).toContain(`up to ${LATEST}`);
    expect(error.hint).toContain('Upgrade Flowline to 9.9.9');
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  it('rolls a failing migration back whole, leaving the store at its previous version', async () => {
    const file = path.join(dir, 'flowline.db');
    await (await openStore({ file })).close();
    const before = tables(file);
    const failing: Migration = {
      version: LATEST + 1,
      name: 'breaks_halfway',
      async up(db) {
        await db.schema.createTable('half_done').addColumn('id', 'text').execute();
        await sql`insert into services (id, name, created_at) values ('svc_1', 'half', 'now')`.execute(db);
        throw new Error('disk says no');
      },
    };
    const error = await rejection(openStore({ file, migrations: [...MIGRATIONS, failing] }));
    expect(error.code).toBe('FLOWLINE_STORE_UNAVAILABLE');
    expect(error.message).toContain('breaks_halfway');
    expect(error.message).toContain(`unchanged at schema version ${LATEST}`);
    expect(tables(file)).toEqual(before);
    const raw = new Database(file, { readonly: true });
    expect(raw.prepare('select max(version) from flowline_migrations').pluck().get()).toBe(LATEST);
    expect(raw.prepare('select count(*) from services').pluck().get()).toBe(0);
    raw.close();
    // The store still opens with the migrations this Flowline really has.
    await (await openStore({ file })).close();
  });

  it('leaves a new file without tables when its first migration fails', async () => {
    const file = path.join(dir, 'flowline.db');
    const failing: Migration = {
      version: 1,
      name: '0001_fails',
      async up(db) {
        await db.schema.createTable('t').addColumn('id', 'text').execute();
        throw new Error('nope');
      },
    };
    await rejection(openStore({ file, migrations: [failing] }));
    expect(tables(file)).toEqual([]);
  });

  it('applies a new migration once when two processes open the store at the same time', async () => {
    const file = path.join(dir, 'flowline.db');
    await (await openStore({ file })).close();
    let runs = 0;
    const second: Migration = {
      version: LATEST + 1,
      name: 'counted',
      async up(db) {
        runs += 1;
        await db.schema.createTable('counted').addColumn('id', 'text').execute();
      },
    };
    const stores = await Promise.all(
      [1, 2].map(() => openStore({ file, migrations: [...MIGRATIONS, second] })),
    );
    expect(runs).toBe(1);
    for (const s of stores) await s.close();
  });

  it('refuses a folder in place of the file', async () => {
    const error = await rejection(openStore({ file: dir }));
    expect(error.code).toBe('FLOWLINE_STORE_UNAVAILABLE');
    expect((await stat(dir)).isDirectory()).toBe(true);
  });
});
