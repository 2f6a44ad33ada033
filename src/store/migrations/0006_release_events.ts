import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * The journal of a release: every step, measurement and decision, written as it happens so
 * `flowline release status` can show it live and explain a failure afterwards.
 */
export const releaseEvents: Migration = {
  version: 6,
  name: '0006_release_events',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('release_events')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('data_json', 'text')
      .execute();
    await db.schema
      .createIndex('release_events_deployment')
      .on('release_events')
      .columns(['deployment_id', 'at'])
      .execute();
  },
};
