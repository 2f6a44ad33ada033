import type { Kysely } from 'kysely';
import type { Artifact } from '../catalog/index.js';
import type { Database } from '../store/index.js';

/**
 * Catalog reads the artifact store's callers need and `Catalog` does not offer: its lists are
 * capped at 1000 rows, which is fine for a screen but not for deciding what gc may delete.
 */

/** The newest artifact recorded for `service` with this cache key: the build to reuse. */
export async function findArtifactByCacheKey(
  db: Kysely<Database>,
  service: string,
  cacheKey: string,
): Promise<Artifact | undefined> {
  const row = await db
    .selectFrom('artifacts')
    .innerJoin('services', 'services.id', 'artifacts.service_id')
    .selectAll('artifacts')
    .select('services.name as service_name')
    .where('services.name', '=', service)
    .where('artifacts.cache_key', '=', cacheKey)
    .orderBy('artifacts.created_at', 'desc')
    .orderBy('artifacts.id', 'desc')
    .executeTakeFirst();
  return row === undefined
    ? undefined
    : {
        id: row.id,
        service: row.service_name,
        cacheKey: row.cache_key,
        commitSha: row.commit_sha,
        sizeBytes: row.size_bytes,
        createdAt: row.created_at,
      };
}

/**
 * Artifact ids gc must keep: every one a deployment ever used (a rollback needs it, whatever
 * the deployment's status or age) and every one a run started at or after `runsSince` produced.
 */
export async function referencedArtifacts(db: Kysely<Database>, runsSince: string): Promise<Set<string>> {
  const deployed = await db.selectFrom('deployments').select('artifact_id').distinct().execute();
  const built = await db
    .selectFrom('runs')
    .select('artifact_id')
    .distinct()
    .where('artifact_id', 'is not', null)
    .where('started_at', '>=', runsSince)
    .execute();
  const ids = new Set<string>();
  for (const r of deployed) ids.add(r.artifact_id);
  for (const r of built) if (r.artifact_id !== null) ids.add(r.artifact_id);
  return ids;
}
