import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * The plan of each deployment (its strategy and analysis templates, as parsed from flowline.yaml
 * when it started), so that a restarted Flowline can carry on a canary from its step instead of
 * failing it: the config text only ever reached the server inside the deploy request.
 */
export const releasePlan: Migration = {
  version: 8,
  name: '0008_release_plan',
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('deployments').addColumn('plan_json', 'text').execute();
  },
};
