import type { Kysely } from 'kysely';
import type { Clock } from '../core/clock.js';
import { FlowlineError, isFlowlineError } from '../core/errors.js';
import type { Migration } from './migrations/types.js';
import type { Database, MigrationRow } from './schema.js';
import type { WriteFn } from './write.js';

interface MigrationContext {
  readonly file: string;
  readonly clock: Clock;
  readonly flowlineVersion: string;
}

/** What the store holds before anything is written: which migrations it already has. */
export interface SchemaState {
  readonly applied: readonly MigrationRow[];
  readonly pending: readonly Migration[];
}

/**
 * Reads the store's schema version without writing anything, and refuses a store this Flowline
 * must not touch: one migrated by a newer Flowline, or a SQLite file some other program owns.
 */
export async function inspectSchema(
  db: Kysely<Database>,
  migrations: readonly Migration[],
  ctx: MigrationContext,
): Promise<SchemaState> {
  checkList(migrations);
  const tables = (await db.introspection.getTables()).map((t) => t.name);
  if (!tables.includes('flowline_migrations')) {
    if (tables.length > 0) {
      throw new FlowlineError(
        'FLOWLINE_STORE_UNAVAILABLE',
        `${ctx.file} is a SQLite database that Flowline did not create (it has tables ${tables.slice(0, 5).join(', ')} but no flowline_migrations).`,
        { hint: 'Flowline left it untouched. Point FLOWLINE_HOME at a folder of its own.' },
      );
    }
    return { applied: [], pending: migrations };
  }
  const applied = await db.selectFrom('flowline_migrations').selectAll().orderBy('version').execute();
  refuseNewer(applied, migrations, ctx);
  const current = applied.at(-1)?.version ?? 0;
  return { applied, pending: migrations.filter((m) => m.version > current) };
}

/**
 * Applies each pending migration in its own write transaction, recording it in
 * `flowline_migrations`. A failing migration is rolled back whole: the store stays at the
 * previous version, as if it had never started.
 */
export async function applyMigrations(
  write: WriteFn,
  state: SchemaState,
  migrations: readonly Migration[],
  ctx: MigrationContext,
): Promise<void> {
  for (const migration of state.pending) {
    try {
      await write(async (tx) => {
        await tx.schema
          .createTable('flowline_migrations')
          .ifNotExists()
          .addColumn('version', 'integer', (c) => c.primaryKey().notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('applied_at', 'text', (c) => c.notNull())
          .addColumn('flowline_version', 'text', (c) => c.notNull())
          .execute();
        // Another process may have migrated while this one waited for the write lock.
        const applied = await tx.selectFrom('flowline_migrations').selectAll().orderBy('version').execute();
        refuseNewer(applied, migrations, ctx);
        if ((applied.at(-1)?.version ?? 0) >= migration.version) return;
        await migration.up(tx as Kysely<unknown>);
        await tx
          .insertInto('flowline_migrations')
          .values({
            version: migration.version,
            name: migration.name,
            applied_at: ctx.clock.now().toISOString(),
            flowline_version: ctx.flowlineVersion,
          })
          .execute();
      });
    } catch (error) {
      if (isFlowlineError(error)) throw error;
      const before = migration.version - 1;
      throw new FlowlineError(
        'FLOWLINE_STORE_UNAVAILABLE',
        `Migration ${migration.name} of the store ${ctx.file} failed: ${(error as Error).message}. It was rolled back; the store is unchanged at schema version ${before}.`,
        {
          hint: 'This is a bug in Flowline or damage to the store: please report it with this output.',
          cause: error,
        },
      );
    }
  }
}

function refuseNewer(
  applied: readonly MigrationRow[],
  migrations: readonly Migration[],
  ctx: MigrationContext,
): void {
  const known = new Set(migrations.map((m) => m.version));
  const newest = applied.at(-1);
  const unknown = applied.filter((row) => !known.has(row.version));
  if (newest === undefined || unknown.length === 0) return;
  const knownMax = migrations.at(-1)?.version ?? 0;
  throw new FlowlineError(
    'FLOWLINE_STORE_NEWER_VERSION',
    `The store ${ctx.file} is at schema version ${newest.version} (migrated by Flowline ${newest.flowline_version}), but this Flowline ${ctx.flowlineVersion} knows schema versions up to ${knownMax}.`,
    {
      hint: `Upgrade Flowline to ${newest.flowline_version} or newer to use this store. Nothing in it was changed.`,
    },
  );
}

function checkList(migrations: readonly Migration[]): void {
  // Increasing, not necessarily without gaps: numbers are assigned to parallel branches ahead of
  // their merge (0016 may land before 0015). Restore the no-gap check once every number is in.
  migrations.forEach((m, i) => {
    const before = i === 0 ? 0 : (migrations[i - 1]?.version ?? 0);
    if (m.version <= before) {
      throw new FlowlineError(
        'FLOWLINE_INTERNAL',
        `Migration ${m.name} has version ${m.version}; expected more than ${before} (versions increase).`,
      );
    }
  });
}
