import { type Kysely, sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * History imported from before Flowline (src/history, docs/metrics.md "Importing history"):
 * - `deployments.imported` and `incidents.external_id`/`deployments.external_id`: the record came
 *   from a file, and the id the team's previous tool gave it. One external id per service and
 *   kind of record: importing the same file again skips what is there, and refuses a row whose id
 *   is taken by different values.
 * - `deployments.outcome`: how it ended in the metrics' words when the status cannot say it (an
 *   imported `failedAnalysis` is stored as `rolled_back`); null for recorded deployments.
 * - `artifacts.imported`: imported deployments name an artifact that was never stored here; it
 *   is recorded (a deployment must reference one) but never offered to a deploy or listed.
 */
export const historyImport: Migration = {
  version: 16,
  name: '0016_history_import',
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('deployments')
      .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('deployments').addColumn('external_id', 'text').execute();
    await db.schema.alterTable('deployments').addColumn('outcome', 'text').execute();
    await db.schema.alterTable('incidents').addColumn('external_id', 'text').execute();
    await db.schema
      .alterTable('artifacts')
      .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('deployments_external_id')
      .on('deployments')
      .columns(['service_id', 'external_id'])
      .unique()
      .where(sql.ref('external_id'), 'is not', null)
      .execute();
    await db.schema
      .createIndex('incidents_external_id')
      .on('incidents')
      .columns(['service_id', 'external_id'])
      .unique()
      .where(sql.ref('external_id'), 'is not', null)
      .execute();
  },
};
