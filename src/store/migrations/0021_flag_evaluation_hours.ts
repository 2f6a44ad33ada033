import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * Evaluation counts per hour (flag_evaluations keeps only totals), so the dashboard can chart
 * what each variant served over the last day or week. Rows older than the read window are
 * pruned as counts are flushed (src/flags/service/store.ts).
 */
export const flagEvaluationHours: Migration = {
  version: 21,
  name: '0021_flag_evaluation_hours',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('flag_evaluation_hours')
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('flag', 'text', (c) => c.notNull())
      .addColumn('variant', 'text', (c) => c.notNull())
      /** The hour's start, ISO 8601 UTC (`2026-12-05T07:00:00.000Z`). */
      .addColumn('hour', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addPrimaryKeyConstraint('flag_evaluation_hours_pk', [
        'service',
        'environment',
        'hour',
        'flag',
        'variant',
      ])
      .execute();
    await db.schema
      .createIndex('flag_evaluation_hours_hour')
      .on('flag_evaluation_hours')
      .column('hour')
      .execute();
  },
};
