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

async function git(cwd: string, args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, {
      cwd,
      // Reading must not take git's index lock away from a concurrent `git commit`.
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
      maxBuffer: 1024 * 1024,
      timeout: 10_000,
    });
    return stdout;
  } catch {
    return undefined;
  }
}
