import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * First-hand records for delivery metrics (issue 12, docs/metrics.md):
 * - `commits`: each service's commit graph as runners read it from git (parents, both times,
 *   author, lines changed), so a deployment's range is computed on the server without the
 *   repository, and survives squash, rebase and force-push (a range is a graph difference, never
 *   a `prev..this` string);
 * - `run_histories`: which walk recorded them, and whether it saw everything (a shallow clone or a
 *   walk cut at its maximum leaves a boundary the range cannot cross);
 * - `deployment_commits`: the commits each deployment shipped to its environment for the first
 *   time since the last successful deployment there;
 * - on `deployments`: the commit it shipped, whether it was planned, why not, and whether its
 *   range reached a commit already shipped (complete) or a boundary of the recorded history.
 */
export const commits: Migration = {
  version: 13,
  name: '0013_commits',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('commits')
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('sha', 'text', (c) => c.notNull())
      .addColumn('parents_json', 'text', (c) => c.notNull())
      .addColumn('author', 'text', (c) => c.notNull())
      .addColumn('authored_at', 'text', (c) => c.notNull())
      .addColumn('committed_at', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('lines_added', 'integer', (c) => c.notNull())
      .addColumn('lines_deleted', 'integer', (c) => c.notNull())
      .addColumn('run_id', 'text')
      .addColumn('imported', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('commits_pk', ['service_id', 'sha'])
      .execute();
    await db.schema
      .createTable('run_histories')
      .addColumn('run_id', 'text', (c) => c.primaryKey().notNull().references('runs.id'))
      .addColumn('head_sha', 'text', (c) => c.notNull())
      .addColumn('commits', 'integer', (c) => c.notNull())
      .addColumn('truncated', 'integer', (c) => c.notNull())
      .addColumn('shallow', 'integer', (c) => c.notNull())
      .addColumn('recorded_at', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('deployment_commits')
      .addColumn('deployment_id', 'text', (c) => c.notNull().references('deployments.id'))
      .addColumn('sha', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('deployment_commits_pk', ['deployment_id', 'sha'])
      .execute();
    await db.schema.createIndex('deployment_commits_sha').on('deployment_commits').column('sha').execute();
    for (const column of ['commit_sha', 'unplanned_reason', 'range_status']) {
      await db.schema.alterTable('deployments').addColumn(column, 'text').execute();
    }
    await db.schema
      .alterTable('deployments')
      .addColumn('kind', 'text', (c) => c.notNull().defaultTo('deploy'))
      .execute();
  },
};
