import { walkRange } from '../metrics/index.js';
import type { WriteTx } from '../store/index.js';
import type { ImportProgress, RangeCounts } from './types.js';

/**
 * The commit ranges of imported deployments, computed the way a recorded deployment's is
 * (`walkRange`, src/metrics/commits.ts) as if each had been recorded when it started: the
 * environment's deployments are taken in start-time order, and each imported one ships what its
 * commit reaches that no *earlier* successful deployment shipped. Recorded deployments keep their
 * ranges (first-hand records are never rewritten); their shipped commits count as shipped from
 * their start on. Recomputed whole after every import of deployments or commits, so the order
 * in which a team imports does not matter.
 */

/** The whole commit graph is read into memory up to this many commits; past it, as needed. */
const PRELOAD_MAX = 1_000_000;
const BATCH = 500;

export async function recomputeRanges(
  tx: WriteTx,
  serviceId: string,
  environmentIds: readonly string[],
  progress?: ImportProgress,
): Promise<RangeCounts> {
  const counts: RangeCounts = { complete: 0, partial: 0, none: 0 };
  const parents = await parentsOf(tx, serviceId);
  for (const environmentId of environmentIds) {
    const deployments = await tx
      .selectFrom('deployments')
      .select(['id', 'status', 'commit_sha', 'imported'])
      .where('environment_id', '=', environmentId)
      .orderBy('started_at')
      .orderBy('id')
      .execute();
    const imported = deployments.filter((d) => d.imported === 1).map((d) => d.id);
    for (let i = 0; i < imported.length; i += BATCH) {
      await tx
        .deleteFrom('deployment_commits')
        .where('deployment_id', 'in', imported.slice(i, i + BATCH))
        .execute();
    }
    const shipped = new Set<string>();
    // Rows of many deployments per statement: most ship a handful of commits each.
    const pending: { deployment_id: string; sha: string }[] = [];
    const flush = async () => {
      if (pending.length > 0) await tx.insertInto('deployment_commits').values(pending.splice(0)).execute();
    };
    const statuses = new Map<string, string[]>();
    let done = 0;
    for (const d of deployments) {
      if (d.imported === 0) {
        if (d.status === 'succeeded') {
          const rows = await tx
            .selectFrom('deployment_commits')
            .select('sha')
            .where('deployment_id', '=', d.id)
            .execute();
          for (const r of rows) shipped.add(r.sha);
        }
        continue;
      }
      const range =
        d.commit_sha === null
          ? { status: 'none' as const, shas: [] }
          : await walkRange(d.commit_sha, {
              parents: (batch) => parents(batch),
              shipped: async (batch) => new Set(batch.filter((sha) => shipped.has(sha))),
            });
      for (const sha of range.shas) pending.push({ deployment_id: d.id, sha });
      if (pending.length >= BATCH) await flush();
      if (d.status === 'succeeded') for (const sha of range.shas) shipped.add(sha);
      counts[range.status]++;
      const same = statuses.get(range.status) ?? [];
      same.push(d.id);
      statuses.set(range.status, same);
      if (++done % 1000 === 0) progress?.('commit ranges', done, imported.length);
    }
    await flush();
    for (const [status, ids] of statuses) {
      for (let i = 0; i < ids.length; i += BATCH) {
        await tx
          .updateTable('deployments')
          .set({ range_status: status })
          .where('id', 'in', ids.slice(i, i + BATCH))
          .execute();
      }
    }
    progress?.('commit ranges', done, imported.length);
  }
  return counts;
}

/** Parents by sha: the service's whole graph read once when it is small enough, else per batch. */
async function parentsOf(
  tx: WriteTx,
  serviceId: string,
): Promise<(batch: readonly string[]) => Promise<ReadonlyMap<string, readonly string[]>>> {
  const { n } = await tx
    .selectFrom('commits')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('service_id', '=', serviceId)
    .executeTakeFirstOrThrow();
  const cache = new Map<string, readonly string[] | null>();
  if (Number(n) <= PRELOAD_MAX) {
    const rows = await tx
      .selectFrom('commits')
      .select(['sha', 'parents_json'])
      .where('service_id', '=', serviceId)
      .execute();
    for (const r of rows) cache.set(r.sha, JSON.parse(r.parents_json) as string[]);
  }
  const complete = Number(n) <= PRELOAD_MAX;
  return async (batch) => {
    const missing = complete ? [] : batch.filter((sha) => !cache.has(sha));
    if (missing.length > 0) {
      const rows = await tx
        .selectFrom('commits')
        .select(['sha', 'parents_json'])
        .where('service_id', '=', serviceId)
        .where('sha', 'in', missing)
        .execute();
      for (const sha of missing) cache.set(sha, null);
      for (const r of rows) cache.set(r.sha, JSON.parse(r.parents_json) as string[]);
    }
    const found = new Map<string, readonly string[]>();
    for (const sha of batch) {
      const of = cache.get(sha);
      if (of !== undefined && of !== null) found.set(sha, of);
    }
    return found;
  };
}
