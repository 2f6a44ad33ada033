import { type Kysely, sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * The local runtime's records (src/runtime): each started revision and each of its instances,
 * written before the runtime acts (a row is `starting` before its process is spawned), so that
 * after Flowline is killed at any point, `adopt` can find every process it may have left behind.
 */
export const runtime: Migration = {
  version: 3,
  name: '0003_runtime',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('runtime_revisions')
      .addColumn('key', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('revision', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) =>
        c.notNull().check(sql`state in ('starting', 'running', 'stopping', 'stopped')`),
      )
      .addColumn('spec_json', 'text', (c) => c.notNull())
      .addColumn('supervisor', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('stopped_at', 'text')
      .execute();
    await db.schema
      .createIndex('runtime_revisions_service_environment')
      .on('runtime_revisions')
      .columns(['service', 'environment'])
      .execute();

    await db.schema
      .createTable('instances')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('revision_key', 'text', (c) => c.notNull().references('runtime_revisions.key'))
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('revision', 'text', (c) => c.notNull())
      .addColumn('ordinal', 'integer', (c) => c.notNull().check(sql`ordinal >= 1`))
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer')
      .addColumn('pgid', 'integer')
      .addColumn('proc_start', 'text')
      .addColumn('port', 'integer')
      .addColumn('workdir', 'text', (c) => c.notNull())
      .addColumn('command_hash', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) =>
        c
          .notNull()
          .check(
            sql`state in ('starting', 'healthy', 'unhealthy', 'crashed', 'restarting', 'stopping', 'stopped')`,
          ),
      )
      .addColumn('restarts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`restarts >= 0`))
      .addColumn('log_file', 'text', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('last_exit', 'text')
      .addColumn('started_at', 'text')
      .addColumn('stopped_at', 'text')
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('instances_revision').on('instances').column('revision_key').execute();
    await db.schema.createIndex('instances_state').on('instances').column('state').execute();
  },
};
