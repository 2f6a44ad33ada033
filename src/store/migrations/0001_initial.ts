import { type Kysely, sql } from 'kysely';
import type { Migration } from './types.js';

/** 64 zeros: the `prevHash` of the first audit event. */
const GENESIS_HASH = '0'.repeat(64);

/**
 * The first schema: services and what they produce (artifacts, runs), where they run
 * (environments, deployments), the audit trail and API tokens. Portable DDL only (text, integer,
 * CHECK, partial unique indexes), so the same migration runs on PostgreSQL.
 */
export const initial: Migration = {
  version: 1,
  name: '0001_initial',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('services')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('config_path', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('artifacts')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('cache_key', 'text', (c) => c.notNull())
      .addColumn('commit_sha', 'text')
      .addColumn('size_bytes', 'integer', (c) => c.notNull().check(sql`size_bytes >= 0`))
      .addColumn('created_at', 'text', (c) => c.notNull())
      .execute();
    await index(db, 'artifacts_service_created', 'artifacts', ['service_id', 'created_at']);
    await index(db, 'artifacts_service_cache_key', 'artifacts', ['service_id', 'cache_key']);

    await db.schema
      .createTable('runs')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('status', 'text', (c) =>
        c.notNull().check(sql`status in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`),
      )
      .addColumn('branch', 'text')
      .addColumn('commit_sha', 'text')
      .addColumn('commit_author_time', 'text')
      .addColumn('commit_message', 'text')
      .addColumn('artifact_id', 'text', (c) => c.references('artifacts.id'))
      .addColumn('where_json', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .execute();
    await index(db, 'runs_service_started', 'runs', ['service_id', 'started_at']);

    await db.schema
      .createTable('environments')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('persistent', 'ephemeral')`))
      .addColumn('branch', 'text')
      .addColumn('pull_request', 'integer')
      .addColumn('expires_at', 'text')
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'text')
      .execute();
    // A deleted preview environment frees its name for the next one.
    await db.schema
      .createIndex('environments_service_name_live')
      .on('environments')
      .columns(['service_id', 'name'])
      .unique()
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();

    await db.schema
      .createTable('deployments')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('environment_id', 'text', (c) => c.notNull().references('environments.id'))
      .addColumn('artifact_id', 'text', (c) => c.notNull().references('artifacts.id'))
      .addColumn('strategy', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) =>
        c
          .notNull()
          .check(sql`status in ('pending', 'running', 'succeeded', 'failed', 'rolled_back', 'cancelled')`),
      )
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('started_at', 'text', (c) => c.notNull())
      .addColumn('finished_at', 'text')
      .addColumn('reason', 'text')
      .execute();
    await index(db, 'deployments_environment_started', 'deployments', ['environment_id', 'started_at']);
    await index(db, 'deployments_service_started', 'deployments', ['service_id', 'started_at']);
    await index(db, 'deployments_artifact', 'deployments', ['artifact_id']);

    await db.schema
      .createTable('audit_events')
      .addColumn('seq', 'integer', (c) => c.primaryKey().notNull().check(sql`seq >= 1`))
      .addColumn('id', 'text', (c) => c.notNull().unique())
      .addColumn('at', 'text', (c) => c.notNull())
      .addColumn('actor_kind', 'text', (c) => c.notNull())
      .addColumn('actor_name', 'text', (c) => c.notNull())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('where_json', 'text', (c) => c.notNull())
      .addColumn('details_json', 'text', (c) => c.notNull())
      .addColumn('prev_hash', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await index(db, 'audit_events_at', 'audit_events', ['at']);
    await index(db, 'audit_events_actor', 'audit_events', ['actor_name', 'seq']);

    await db.schema
      .createTable('audit_head')
      .addColumn('id', 'integer', (c) => c.primaryKey().notNull().check(sql`id = 1`))
      .addColumn('seq', 'integer', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull())
      .execute();
    await sql`insert into audit_head (id, seq, hash) values (1, 0, ${GENESIS_HASH})`.execute(db);

    await db.schema
      .createTable('api_tokens')
      .addColumn('id', 'text', (c) => c.primaryKey().notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('read', 'deploy', 'admin')`))
      .addColumn('environments_json', 'text')
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text')
      .addColumn('last_used_at', 'text')
      .addColumn('revoked_at', 'text')
      .execute();
    // A revoked token's name can be reused; an active one's cannot.
    await db.schema
      .createIndex('api_tokens_name_active')
      .on('api_tokens')
      .column('name')
      .unique()
      .where(sql.ref('revoked_at'), 'is', null)
      .execute();
  },
};

async function index(db: Kysely<unknown>, name: string, table: string, columns: string[]): Promise<void> {
  await db.schema.createIndex(name).on(table).columns(columns).execute();
}
