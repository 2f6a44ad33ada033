import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * The quality plan (src/quality): what a run measured for each deliverable — the values, or the
 * coded error when its report could not be read — with the evidence (the stage and the report
 * file's path and sha256); and the sign-offs of manual deliverables per period, by whom.
 */
export const quality: Migration = {
  version: 17,
  name: '0017_quality',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('quality_measurements')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id'))
      .addColumn('deliverable', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('stage', 'text')
      .addColumn('values_json', 'text')
      .addColumn('error_json', 'text')
      .addColumn('file', 'text')
      .addColumn('file_sha256', 'text')
      .addColumn('files_json', 'text')
      .addColumn('measured_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('quality_measurements_by_run')
      .on('quality_measurements')
      .columns(['run_id', 'deliverable'])
      .execute();
    await db.schema
      .createTable('quality_signoffs')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('deliverable', 'text', (c) => c.notNull())
      .addColumn('period', 'text', (c) => c.notNull())
      .addColumn('verdict', 'text', (c) => c.notNull())
      .addColumn('signed_by', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('recorded_by', 'text', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('quality_signoffs_by_period')
      .on('quality_signoffs')
      .columns(['service_id', 'period'])
      .execute();
  },
};
