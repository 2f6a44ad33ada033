import type { Kysely } from 'kysely';
import type { Migration } from './types.js';

/**
 * Flag-trigger HMAC secrets sealed like secret values: `secret` then holds the ciphertext, with its
 * nonce and key id beside it. Rows written before keep their plain secret and a null key id; the
 * migration cannot seal them (it has no key: the key lives outside the database and may be given
 * only to the server), so the flag triggers seal them when Flowline opens the store
 * (`FlagTriggers.sealPlainSecrets`).
 */
export const sealedTriggers: Migration = {
  version: 11,
  name: '0011_sealed_triggers',
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('flag_triggers').addColumn('secret_nonce', 'text').execute();
    await db.schema.alterTable('flag_triggers').addColumn('secret_key_id', 'text').execute();
  },
};
