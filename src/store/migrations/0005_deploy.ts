import { type Kysely, sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * What the deploy controller needs to survive a restart: each deployment's phase and the
 * revision it started, every revision's lifecycle, and the desired route of every host. The
 * controller writes these before it acts, so a restart can finish or undo what was under way.
 */
export const deploy: Migration = {
  version: 5,
  name: '0005_deploy',
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('deployments').addColumn('phase', 'text').execute();
    await db.schema.alterTable('deployments').addColumn('revision', 'text').execute();
    await db.schema.alterTable('deployments').addColumn('previous_revision', 'text').execute();
    await db.schema.alterTable('deployments').addColumn('state_json', 'text').execute();

    await db.schema
      .createTable('revisions')
      .addColumn('revision', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
      .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
      .addColumn('artifact_id', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) =>
        c.notNull().check(sql`state in ('starting', 'ready', 'live', 'warm', 'retired', 'failed')`),
      )
      .addColumn('stop_at', 'text')
      .addColumn('spec_json', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('revisions_environment')
      .on('revisions')
      .columns(['environment_id', 'state'])
      .execute();

    await db.schema
      .createTable('routes')
      .addColumn('host', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
      .addColumn('target_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .execute();
  },
};
