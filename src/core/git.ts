import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The commit a working tree is at: what runs and audit events record as "which change". */
export interface HeadCommit {
  readonly sha: string;
  /** When the change was written (author time), ISO-8601 UTC: the start of DORA's lead time. */
  readonly authorTime: string;
  /** The subject line of the commit message. */
  readonly message: string;
  /** The checked-out branch, or null on a detached HEAD (common in CI checkouts). */
  readonly branch: string | null;
}

/**
 * Reads HEAD of the git repository containing `cwd`. Returns `undefined` — never throws — when
 * there is no commit to read: not a repository, a repository without commits, git not installed,
 * or git refusing the folder. Commit facts are metadata: their absence must not stop a run.
 */
export async function readHeadCommit(cwd: string): Promise<HeadCommit | undefined> {
  // NUL separators: a subject may contain any printable character.
  const log = await git(cwd, ['log', '-1', '--no-show-signature', '--format=%H%x00%aI%x00%s']);
  if (log === undefined) return undefined;
  const [sha, authorTime, message] = log.replace(/\n$/, '').split('\0');
  if (sha === undefined || authorTime === undefined || !/^[0-9a-f]{40,64}$/.test(sha)) return undefined;
  const branch = await git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return {
    sha,
    authorTime: new Date(authorTime).toISOString(),
    message: message ?? '',
    branch: branch?.trim() || null,
  };
}

// Reading must not take git's index lock away from a concurrent `git commit`.
const gitEnv = () => ({ ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' });

async function git(cwd: string, args: string[], maxBuffer = 1024 * 1024): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, { cwd, env: gitEnv(), maxBuffer, timeout: 10_000 });
    return stdout;
  } catch {
    return undefined;
  }
}

/** One commit of a history walk: what lead time and batch size are computed from. */
export interface CommitFacts {
  readonly sha: string;
  /** Parent shas, first parent first; empty for a root commit. */
  readonly parents: readonly string[];
  /** `Name <email>` of the author. */
  readonly author: string;
  /** When the change was written (survives rebase and cherry-pick), ISO-8601 UTC. */
  readonly authoredAt: string;
  /** When this commit object was made (a rebase or squash makes a new one), ISO-8601 UTC. */
  readonly committedAt: string;
  readonly subject: string;
  /**
   * Lines added and deleted by the commit (binary files count 0; a merge commit counts 0, its
   * changes are counted on the commits it brings in).
   */
  readonly linesAdded: number;
  readonly linesDeleted: number;
}

/** What a walk found, and whether it saw the whole history back to what was already known. */
export interface CommitHistory {
  readonly head: string;
  /** Newest first, as `git log` lists them. */
  readonly commits: readonly CommitFacts[];
  /** The walk stopped at `max` commits: older ones were not read. */
  readonly truncated: boolean;
  /** A shallow clone (CI's `fetch-depth: 1`): commits past its boundary are missing. */
  readonly shallow: boolean;
}

/**
 * Reads the commits reachable from HEAD that are not reachable from any of `known` (shas already
 * recorded: git walks only what is new since then), at most `max`. Known shas this clone lacks are
 * ignored (another branch, a force-push). Undefined when there is no repository or commit.
 */
export async function readCommitHistory(
  cwd: string,
  options: {
    readonly known: readonly string[];
    readonly max: number;
    /** Leave out the first `skip` commits of the walk: the next page of a long history. */
    readonly skip?: number;
  },
): Promise<CommitHistory | undefined> {
  // One call for both: `false|true` then HEAD's sha (git fails when there is no commit).
  const [shallowText, head] = (await git(cwd, ['rev-parse', '--is-shallow-repository', 'HEAD^{commit}']))
    ?.trim()
    .split('\n') ?? [undefined, undefined];
  if (head === undefined || !SHA.test(head)) return undefined;
  const shallow = shallowText === 'true';
  const known = options.known.filter((sha) => SHA.test(sha));
  // Record separator before each commit; NUL between fields; numstat lines follow the header.
  const format = '%x1e%H%x00%P%x00%an <%ae>%x00%aI%x00%cI%x00%s';
  const args = ['log', '--no-show-signature', `--format=${format}`, '--numstat', '--no-renames'];
  // --ignore-missing: a known sha this clone lacks (another branch, a force-push) is skipped.
  if (options.skip !== undefined && options.skip > 0) args.push(`--skip=${options.skip}`);
  args.push(`--max-count=${options.max + 1}`, '--ignore-missing', head);
  if (known.length > 0) args.push('--not', ...known);
  const log = await git(cwd, args, 64 * 1024 * 1024);
  if (log === undefined) return undefined;
  const commits = parseLog(log);
  return {
    head,
    commits: commits.slice(0, options.max),
    truncated: commits.length > options.max,
    shallow,
  };
}

const SHA = /^[0-9a-f]{40,64}$/;

function parseLog(log: string): CommitFacts[] {
  const commits: CommitFacts[] = [];
  for (const record of log.split('\x1e')) {
    if (record.trim() === '') continue;
    const [header = '', ...stat] = record.split('\n');
    const [sha = '', parents = '', author = '', authoredAt = '', committedAt = '', subject = ''] =
      header.split('\0');
    if (!SHA.test(sha)) continue;
    let linesAdded = 0;
    let linesDeleted = 0;
    for (const line of stat) {
      // `added<TAB>deleted<TAB>path`; binary files show `-`.
      const [added, deleted] = line.split('\t');
      if (added === undefined || deleted === undefined) continue;
      linesAdded += Number.parseInt(added, 10) || 0;
      linesDeleted += Number.parseInt(deleted, 10) || 0;
    }
    commits.push({
      sha,
      parents: parents === '' ? [] : parents.split(' '),
      // Bounded: a server takes a thousand of these in one message.
      author: author.slice(0, 200),
      authoredAt: new Date(authoredAt).toISOString(),
      committedAt: new Date(committedAt).toISOString(),
      subject: subject.slice(0, 200),
      linesAdded,
      linesDeleted,
    });
  }
  return commits;
}
