import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * Dashboard sessions (docs/adr/0019-browser-sessions.md): each bound to the API token it was
 * signed in with. The cookie value is kept only as its sha256 (`id_hash`), like token secrets,
 * so a copy of the database cannot be replayed as a browser.
 */
export const browserSessions: Migration = {
  version: 19,
  name: '0019_browser_sessions',
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('browser_sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey().notNull())
      .addColumn('token_id', 'text', (c) => c.notNull().references('api_tokens.id'))
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'text', (c) => c.notNull())
      .addColumn('last_seen_at', 'text', (c) => c.notNull())
      .execute();
    // A revocation ends every session of the token; expired ones are swept by expiry.
    await db.schema.createIndex('browser_sessions_token').on('browser_sessions').column('token_id').execute();
    await db.schema
      .createIndex('browser_sessions_expires')
      .on('browser_sessions')
      .column('expires_at')
      .execute();
  },
};
