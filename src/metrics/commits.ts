import type { Kysely } from 'kysely';
import type { CommitHistory } from '../core/git.js';
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
  for (let i = 0; i < history.commits.length; i += BATCH) {
    const rows = history.commits.slice(i, i + BATCH).map((c) => ({
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
      recorded_at: now,
    }));
    await tx
      .insertInto('commits')
      .values(rows)
      .onConflict((oc) => oc.columns(['service_id', 'sha']).doNothing())
      .execute();
  }
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

/** `complete`: every path ended at a shipped or a root commit; `partial`: some met unrecorded history. */
export type RangeStatus = 'complete' | 'partial' | 'none';

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
  const seen = new Set<string>([input.commitSha]);
  const shipped: string[] = [];
  let frontier = [input.commitSha];
  let partial = false;
  while (frontier.length > 0 && shipped.length < RANGE_MAX_COMMITS) {
    const next: string[] = [];
    for (let i = 0; i < frontier.length; i += BATCH) {
      const batch = frontier.slice(i, i + BATCH);
      const [rows, before] = await Promise.all([
        tx
          .selectFrom('commits')
          .select(['sha', 'parents_json'])
          .where('service_id', '=', input.serviceId)
          .where('sha', 'in', batch)
          .execute(),
        tx
          .selectFrom('deployment_commits')
          .innerJoin('deployments', 'deployments.id', 'deployment_commits.deployment_id')
          .select('deployment_commits.sha')
          .distinct()
          .where('deployments.environment_id', '=', input.environmentId)
          .where('deployments.status', '=', 'succeeded')
          .where('deployment_commits.sha', 'in', batch)
          .execute(),
      ]);
      const done = new Set(before.map((r) => r.sha));
      const parents = new Map(rows.map((r) => [r.sha, JSON.parse(r.parents_json) as string[]]));
      for (const sha of batch) {
        if (done.has(sha)) continue;
        const of = parents.get(sha);
        if (of === undefined) {
          // Not recorded: a shallow clone's or a cut walk's boundary, or an artifact built
          // outside any recorded run. What lies beyond is unknown, not empty.
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
  for (let i = 0; i < shipped.length; i += BATCH) {
    await tx
      .insertInto('deployment_commits')
      .values(shipped.slice(i, i + BATCH).map((sha) => ({ deployment_id: input.deploymentId, sha })))
      .execute();
  }
  const status: RangeStatus = shipped.length === 0 && partial ? 'none' : partial ? 'partial' : 'complete';
  return { status, commits: shipped.length };
}
