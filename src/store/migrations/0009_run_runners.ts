import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * The CI machine behind each run recorded from elsewhere (`flowline run` against a server): what it
 * declared at start that the run row does not hold (the trunk and `--stages`, for the andon rule
 * when the run is reaped), when it was last heard from, and, once reaped, when and why. A run
 * executed on this machine has no row and is never reaped.
 */
export const runRunners: Migration = {
  version: 9,
  name: '0009_run_runners',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('run_runners')
      .addColumn('run_id', 'text', (c) => c.primaryKey().notNull().references('runs.id'))
      .addColumn('trunk', 'text')
      .addColumn('only_json', 'text')
      .addColumn('heard_at', 'text', (c) => c.notNull())
      .addColumn('reaped_at', 'text')
      .addColumn('reaped_reason', 'text')
      .execute();
  },
};
