import { type Kysely, sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * The trust model of docs/adr/0010-trust-model.md:
 * - `service_policies`: what the server allows per service (trunk, and per environment
 *   `protected`, `after`, `host`, `ephemeral`, `deployRole`), one JSON document per service with a
 *   version, changed only by an admin;
 * - `run_runners.token_id`: the token that started a run recorded from a CI machine, the only one
 *   that may update it;
 * - the `ci` role for API tokens (SQLite cannot change a CHECK constraint: the table is rebuilt);
 * - secret values out of the revisions' stored specs: a spec recorded before kept them in plain
 *   text. Only the names stay, with the environment whose secret store holds them.
 */
export const trust: Migration = {
  version: 12,
  name: '0012_trust',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('service_policies')
      .addColumn('service_id', 'text', (c) => c.primaryKey().notNull().references('services.id'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('document_json', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('run_runners').addColumn('token_id', 'text').execute();
    await rebuildTokensWithCiRole(db);
    await scrubSecretValues(db);
  },
};

interface OldSpec {
  environment?: unknown;
  secrets?: unknown;
}

async function scrubSecretValues(db: Kysely<unknown>): Promise<void> {
  const rows = await sql<{
    revision: string;
    spec_json: string;
  }>`select revision, spec_json from revisions`.execute(db);
  for (const row of rows.rows) {
    const spec = JSON.parse(row.spec_json) as OldSpec;
    const secrets = spec.secrets;
    if (secrets === null || typeof secrets !== 'object' || 'names' in secrets) continue;
    const scrubbed = {
      ...spec,
      secrets: { environment: String(spec.environment ?? ''), names: Object.keys(secrets) },
    };
    await sql`update revisions set spec_json = ${JSON.stringify(scrubbed)} where revision = ${row.revision}`.execute(
      db,
    );
  }
}

async function rebuildTokensWithCiRole(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_tokens_next')
    .addColumn('id', 'text', (c) => c.primaryKey().notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) =>
      c.notNull().check(sql`role in ('client', 'read', 'ci', 'deploy', 'admin')`),
    )
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
