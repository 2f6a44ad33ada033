import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * Incidents (src/incidents): a problem users had in an environment, from when it was opened to
 * when it was resolved — the interval delivery metrics' recovery time is measured over — and the
 * change that caused it: known by record (`cause_inferred` 0) or the last production change
 * before it (`cause_inferred` 1).
 */
export const incidents: Migration = {
  version: 14,
  name: '0014_incidents',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('incidents')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'text', (c) => c.notNull())
      .addColumn('opened_by', 'text', (c) => c.notNull())
      .addColumn('acknowledged_at', 'text')
      .addColumn('acknowledged_by', 'text')
      .addColumn('resolved_at', 'text')
      .addColumn('resolved_by', 'text')
      .addColumn('resolution', 'text')
      .addColumn('cause_kind', 'text')
      .addColumn('cause_id', 'text')
      .addColumn('cause_inferred', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('incidents_by_environment')
      .on('incidents')
      .columns(['environment_id', 'opened_at'])
      .execute();
  },
};
