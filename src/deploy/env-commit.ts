import type { Store } from '../store/index.js';

/** The commit a live artifact was built from, with what git says of it where that is known. */
export interface CommitDetails {
  readonly sha: string;
  /** The commit's subject line; null when neither the history walk nor the run recorded it. */
  readonly subject: string | null;
  /** Null unless a run's history walk recorded the commit (the run itself keeps no author). */
  readonly author: string | null;
  readonly authoredAt: string | null;
}

/**
 * The commit of an artifact: the newest run that built it names it, else the artifact's own
 * record; subject and author come from the recorded history (the `commits` table), else the
 * run. Three lookups by key or index (runs by artifact, artifacts and commits by primary key),
 * so the status of every environment costs the same however many runs and artifacts exist.
 */
export async function commitOf(
  store: Store,
  serviceId: string,
  artifactId: string,
): Promise<CommitDetails | null> {
  const run = await store.db
    .selectFrom('runs')
    .select(['commit_sha', 'commit_message', 'commit_author_time'])
    .where('artifact_id', '=', artifactId)
    .where('commit_sha', 'is not', null)
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  let sha = run?.commit_sha ?? null;
  if (sha === null) {
    const artifact = await store.db
      .selectFrom('artifacts')
      .select('commit_sha')
      .where('id', '=', artifactId)
      .executeTakeFirst();
    sha = artifact?.commit_sha ?? null;
  }
  if (sha === null) return null;
  const commit = await store.db
    .selectFrom('commits')
    .select(['subject', 'author', 'authored_at'])
    .where('service_id', '=', serviceId)
    .where('sha', '=', sha)
    .executeTakeFirst();
  if (commit !== undefined)
    return { sha, subject: commit.subject, author: commit.author, authoredAt: commit.authored_at };
  const fromRun = run?.commit_sha === sha ? run : undefined;
  return {
    sha,
    subject: firstLine(fromRun?.commit_message ?? null),
    author: null,
    authoredAt: fromRun?.commit_author_time ?? null,
  };
}

function firstLine(message: string | null): string | null {
  if (message === null) return null;
  const line = message.split('\n', 1)[0]?.trim() ?? '';
  return line === '' ? null : line;
}
