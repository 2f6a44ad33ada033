import { type Kysely, sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * Feature flags on the server: the current flag set of each service and environment (with its
 * version and ETag), every change as a history row, evaluation counts, and flag triggers. Also
 * admits the `client` role for API tokens: SQLite cannot change a CHECK constraint, so
 * `api_tokens` is rebuilt with the same columns and rows.
 */
export const flags: Migration = {
  version: 7,
  name: '0007_flags',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('flag_sets')
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('etag', 'text', (c) => c.notNull())
      .addColumn('definition_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('flag_sets_pk', ['service', 'environment'])
      .execute();

    await db.schema
      .createTable('flag_history')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_name', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('flags_json', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('definition_json', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('flag_history_set')
      .on('flag_history')
      .columns(['service', 'environment', 'version'])
      .unique()
      .execute();

    await db.schema
      .createTable('flag_evaluations')
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('flag', 'text', (c) => c.notNull())
      .addColumn('variant', 'text', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      .addColumn('last_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('flag_evaluations_pk', ['service', 'environment', 'flag', 'variant'])
      .execute();

    await db.schema
      .createTable('flag_triggers')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('alertmanager', 'webhook')`))
      .addColumn('flag', 'text', (c) => c.notNull())
      .addColumn('match_json', 'text', (c) => c.notNull())
      .addColumn('variant', 'text')
      .addColumn('restore', 'integer', (c) => c.notNull())
      .addColumn('secret', 'text')
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('idle', 'fired')`))
      .addColumn('fired_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('flag_triggers_name')
      .on('flag_triggers')
      .columns(['service', 'environment', 'name'])
      .unique()
      .execute();

    await rebuildTokensWithClientRole(db);
  },
};

async function rebuildTokensWithClientRole(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_tokens_next')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('client', 'read', 'deploy', 'admin')`))
    .addColumn('environments_json', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('last_used_at', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
  await sql`insert into api_tokens_next select id, name, secret_hash, prefix, role, environments_json,
    created_by, created_at, expires_at, last_used_at, revoked_at from api_tokens`.execute(db);
  await db.schema.dropTable('api_tokens').execute();
  await db.schema.alterTable('api_tokens_next').renameTo('api_tokens').execute();
  await db.schema
    .createIndex('api_tokens_name_active')
    .on('api_tokens')
    .column('name')
    .unique()
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
}
