import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * Indexes the metrics' reads walk (src/metrics/reader.ts): a window's deployments by when they
 * finished, and the commits a service recorded by when they were recorded (work in progress).
 * Without them a 90-day window of one service scanned every deployment of its environment and
 * every commit of the service.
 */
export const metricsIndexes: Migration = {
  version: 18,
  name: '0018_metrics_indexes',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createIndex('deployments_environment_finished')
      .on('deployments')
      .columns(['environment_id', 'finished_at'])
      .execute();
    await db.schema
      .createIndex('commits_service_recorded')
      .on('commits')
      .columns(['service_id', 'recorded_at'])
      .execute();
  },
};
