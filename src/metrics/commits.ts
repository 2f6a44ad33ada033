import type { Kysely } from 'kysely';
import type { CommitFacts, CommitHistory } from '../core/git.js';
import type { Database, WriteTx } from '../store/index.js';

/**
 * The commit graph runners record and the commit ranges deployments ship (docs/metrics.md,
 * "Records"). A range is a graph difference — the commits reachable from what this deployment
 * ships and not from what its environment already runs successfully — never a `prev..this`
 * string, so squash merges, rebases and force-pushes give the commits that really reached the
 * environment, each once.
 */

/** At most this many commits in one recorded walk (the first walk of a long history is cut). */
export const HISTORY_MAX_COMMITS = 1000;

/** A range walk stops here: an environment never ships more new commits in one deployment. */
const RANGE_MAX_COMMITS = 100_000;

/** Lookups per query: SQLite's default limit on bound parameters is far above it. */
const BATCH = 500;

/**
 * The shas a runner may stop its walk at: the heads recorded by the service's latest walks, and
 * the commits of its latest runs. Everything reachable from them is recorded already (or was
 * past a boundary then, and still is).
 */
export async function knownCommits(db: Kysely<Database>, serviceId: string, limit = 50): Promise<string[]> {
  const heads = await db
    .selectFrom('run_histories')
    .innerJoin('runs', 'runs.id', 'run_histories.run_id')
    .select('run_histories.head_sha as sha')
    .where('runs.service_id', '=', serviceId)
    .orderBy('run_histories.recorded_at', 'desc')
    .limit(limit)
    .execute();
  return [...new Set(heads.map((h) => h.sha))];
}

/** Records one walk: its commits (once per service, whoever recorded them first) and its row. */
export async function recordCommitHistory(
  tx: WriteTx,
  input: { serviceId: string; runId: string; history: CommitHistory; now: string },
): Promise<void> {
  const { serviceId, runId, history, now } = input;
  await insertCommits(tx, { serviceId, commits: history.commits, runId, now });
  await tx
    .insertInto('run_histories')
    .values({
      run_id: runId,
      head_sha: history.head,
      commits: history.commits.length,
      truncated: history.truncated ? 1 : 0,
      shallow: history.shallow ? 1 : 0,
      recorded_at: now,
    })
    .onConflict((oc) => oc.column('run_id').doNothing())
    .execute();
}

/**
 * Inserts commits of a service that are not recorded yet (a commit already recorded, by a run or
 * an import, keeps its first record). `runId` null: imported from a repository's history.
 * Returns how many were new.
 */
export async function insertCommits(
  tx: WriteTx,
  input: { serviceId: string; commits: readonly CommitFacts[]; runId: string | null; now: string },
): Promise<number> {
  const { serviceId, commits, runId, now } = input;
  let inserted = 0;
  for (let i = 0; i < commits.length; i += BATCH) {
    const rows = commits.slice(i, i + BATCH).map((c) => ({
      service_id: serviceId,
      sha: c.sha,
      parents_json: JSON.stringify(c.parents),
      author: c.author,
      authored_at: c.authoredAt,
      committed_at: c.committedAt,
      subject: c.subject,
      lines_added: c.linesAdded,
      lines_deleted: c.linesDeleted,
      run_id: runId,
      imported: runId === null ? 1 : 0,
      recorded_at: now,
    }));
    const result = await tx
      .insertInto('commits')
      .values(rows)
      .onConflict((oc) => oc.columns(['service_id', 'sha']).doNothing())
      .executeTakeFirst();
    inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return inserted;
}

/** `complete`: every path ended at a shipped or a root commit; `partial`: some met unrecorded history. */
export type RangeStatus = 'complete' | 'partial' | 'none';

/** What a range walk asks of the records, a batch of shas at a time. */
export interface RangeLookup {
  /** The recorded parents of each sha of the batch that has a commit record. */
  parents(batch: readonly string[]): Promise<ReadonlyMap<string, readonly string[]>>;
  /** The shas of the batch that a successful deployment of the environment shipped before. */
  shipped(batch: readonly string[]): Promise<ReadonlySet<string>>;
}

/**
 * The commits reachable from `commitSha` through the recorded graph, stopping at commits already
 * shipped: the one definition of a deployment's range. A sha without a commit record is a
 * boundary (a shallow clone's, a cut walk's, or an artifact built outside any recorded run):
 * what lies beyond is unknown, not empty, so the range is then `partial`.
 */
export async function walkRange(
  commitSha: string,
  lookup: RangeLookup,
): Promise<{ status: RangeStatus; shas: string[] }> {
  const seen = new Set<string>([commitSha]);
  const shipped: string[] = [];
  let frontier = [commitSha];
  let partial = false;
  while (frontier.length > 0 && shipped.length < RANGE_MAX_COMMITS) {
    const next: string[] = [];
    for (let i = 0; i < frontier.length; i += BATCH) {
      const batch = frontier.slice(i, i + BATCH);
      const [parents, done] = await Promise.all([lookup.parents(batch), lookup.shipped(batch)]);
      for (const sha of batch) {
        if (done.has(sha)) continue;
        const of = parents.get(sha);
        if (of === undefined) {
          partial = true;
          continue;
        }
        shipped.push(sha);
        for (const parent of of) {
          if (seen.has(parent)) continue;
          seen.add(parent);
          next.push(parent);
        }
      }
    }
    frontier = next;
  }
  if (frontier.length > 0) partial = true;
  const status: RangeStatus = shipped.length === 0 && partial ? 'none' : partial ? 'partial' : 'complete';
  return { status, shas: shipped };
}

/** Records the shas a deployment shipped (its `deployment_commits` rows). */
export async function insertDeploymentCommits(
  tx: WriteTx,
  deploymentId: string,
  shas: readonly string[],
): Promise<void> {
  for (let i = 0; i < shas.length; i += BATCH) {
    await tx
      .insertInto('deployment_commits')
      .values(shas.slice(i, i + BATCH).map((sha) => ({ deployment_id: deploymentId, sha })))
      .execute();
  }
}

/**
 * Computes and records the commits `deploymentId` ships to its environment for the first time:
 * those reachable from `commitSha` through the recorded graph, stopping at commits a successful
 * deployment of the same environment shipped before. A failed or rolled-back deployment's
 * commits never reached users for good, so the next one ships them again. Runs inside the
 * transaction that creates the deployment.
 */
export async function shipCommitRange(
  tx: WriteTx,
  input: { deploymentId: string; serviceId: string; environmentId: string; commitSha: string | null },
): Promise<{ status: RangeStatus; commits: number }> {
  if (input.commitSha === null) return { status: 'none', commits: 0 };
  const range = await walkRange(input.commitSha, {
    parents: async (batch) => {
      const rows = await tx
        .selectFrom('commits')
        .select(['sha', 'parents_json'])
        .where('service_id', '=', input.serviceId)
        .where('sha', 'in', batch)
        .execute();
      return new Map(rows.map((r) => [r.sha, JSON.parse(r.parents_json) as string[]]));
    },
    shipped: async (batch) => {
      const rows = await tx
        .selectFrom('deployment_commits')
        .innerJoin('deployments', 'deployments.id', 'deployment_commits.deployment_id')
        .select('deployment_commits.sha')
        .distinct()
        .where('deployments.environment_id', '=', input.environmentId)
        .where('deployments.status', '=', 'succeeded')
        .where('deployment_commits.sha', 'in', batch)
        .execute();
      return new Set(rows.map((r) => r.sha));
    },
  });
  await insertDeploymentCommits(tx, input.deploymentId, range.shas);
  return { status: range.status, commits: range.shas.length };
}
