import { type Kysely, sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * The pipeline's records: one row per node of a run (the build, each stage, the `finally`
 * steps), and the andon cord of each service (its current state and every transition).
 */
export const pipeline: Migration = {
  version: 2,
  name: '0002_pipeline',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('run_stages')
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('build', 'stage', 'finally')`))
      .addColumn('status', 'text', (c) =>
        c
          .notNull()
          .check(
            sql`status in ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled', 'cached')`,
          ),
      )
      .addColumn('started_at', 'text')
      .addColumn('finished_at', 'text')
      .addColumn('exit_code', 'integer')
      .addColumn('signal', 'text')
      .addColumn('log_path', 'text')
      .addColumn('reason', 'text')
      .addPrimaryKeyConstraint('run_stages_pk', ['run_id', 'name'])
      .execute();

    await db.schema
      .createTable('andon_state')
      .addColumn('service_id', 'text', (c) => c.primaryKey().notNull().references('services.id'))
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('green', 'red')`))
      .addColumn('cause', 'text', (c) => c.notNull().check(sql`cause in ('run', 'pull', 'release')`))
      .addColumn('run_id', 'text', (c) => c.references('runs.id'))
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('since', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('andon_events')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('action', 'text', (c) =>
        c.notNull().check(sql`action in ('red', 'green', 'pull', 'release')`),
      )
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('green', 'red')`))
      .addColumn('run_id', 'text', (c) => c.references('runs.id'))
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('andon_events_service_at')
      .on('andon_events')
      .columns(['service_id', 'at'])
      .execute();
  },
};
