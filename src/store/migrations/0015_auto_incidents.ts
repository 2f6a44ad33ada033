import { type Kysely, sql } from 'kysely';
import type { Migration } from './types.js';

/**
 * How deployments ended, and incidents Flowline opens by itself (docs/metrics.md):
 * - `deployments.served_at`: when the new revision first took users' traffic (a canary weight, a
 *   header/cookie pin, or the switch), written with the route that sends it there. Null: it never
 *   served, so a `failed` deployment changed nothing users saw;
 * - `deployments.failed_analysis`: 1 when its release analysis failed and the controller gave up on
 *   it (written with its `failed` status);
 * - `incidents.dedup_key`: what an automatic incident stands for (`deployment:<id>`,
 *   `alert:<service>/<environment>/<group>`, `trigger:<service>/<environment>/<name>`), so the same
 *   failure never opens two; a unique index among unresolved incidents backs the check made in the
 *   writing transaction.
 */
export const autoIncidents: Migration = {
  version: 15,
  name: '0015_auto_incidents',
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('deployments').addColumn('served_at', 'text').execute();
    await db.schema
      .alterTable('deployments')
      .addColumn('failed_analysis', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema.alterTable('incidents').addColumn('dedup_key', 'text').execute();
    await db.schema
      .createIndex('incidents_unresolved_key')
      .unique()
      .on('incidents')
      .column('dedup_key')
      .where(sql<boolean>`dedup_key is not null and status != 'resolved'`)
      .execute();
    // Deployments that succeeded before this column existed did serve users.
    await sql`update deployments set served_at = finished_at where status in ('succeeded', 'rolled_back')`.execute(
      db,
    );
  },
};
