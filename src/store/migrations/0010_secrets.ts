import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * Secret values per service and environment (src/secrets), sealed with AES-256-GCM under a key
 * kept outside the database: the row holds the ciphertext, its nonce and the id of the key, never
 * the value. `version` counts the sets of one name.
 */
export const secrets: Migration = {
  version: 10,
  name: '0010_secrets',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('secrets')
      .addColumn('service_id', 'text', (c) => c.notNull().references('services.id'))
      .addColumn('environment', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('ciphertext', 'text', (c) => c.notNull())
      .addColumn('nonce', 'text', (c) => c.notNull())
      .addColumn('key_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addColumn('updated_by', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('secrets_pk', ['service_id', 'environment', 'name'])
      .execute();
  },
};
