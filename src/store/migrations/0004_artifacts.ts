import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * Indexes for the artifact store's gc (src/artifacts/queries.ts): "which artifacts did runs
 * started since T build" must not scan every run, and `runs.artifact_id`, a foreign key, gets
 * the index SQLite needs to check it cheaply when an artifact row is ever deleted.
 */
export const artifacts: Migration = {
  version: 4,
  name: '0004_artifacts',
  async up(db: Kysely<unknown>) {
    await db.schema.createIndex('runs_started').on('runs').column('started_at').execute();
    await db.schema.createIndex('runs_artifact').on('runs').column('artifact_id').execute();
  },
};
