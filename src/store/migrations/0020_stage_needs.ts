import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * The stages a run's stage waited for (`needs` in flowline.yaml), as a JSON array, so a run's
 * graph can be shown as it was planned. Null for stages recorded before this, or by a runner
 * that did not send them: the graph is then unknown, not empty.
 */
export const stageNeeds: Migration = {
  version: 20,
  name: '0020_stage_needs',
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('run_stages').addColumn('needs', 'text').execute();
  },
};
