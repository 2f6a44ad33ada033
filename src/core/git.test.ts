import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readHeadCommit } from './git.js';

const run = promisify(execFile);
let dir: string;

const git = (...args: string[]) =>
  run('git', args, {
    cwd: dir,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Ada',
      GIT_AUTHOR_EMAIL: 'ada@example.com',
      GIT_COMMITTER_NAME: 'Ada',
      GIT_COMMITTER_EMAIL: 'ada@example.com',
      GIT_AUTHOR_DATE: '2026-03-04T05:06:07+02:00',
      GIT_COMMITTER_DATE: '2026-03-05T00:00:00Z',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: dir,
    },
  });

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-git-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readHeadCommit', () => {
  it('reads sha, author time in UTC, subject and branch', async () => {
    await git('init', '--quiet', '--initial-branch', 'trunk');
    await writeFile(path.join(dir, 'a.txt'), 'a');
    await git('add', 'a.txt');
    await git('commit', '--quiet', '--no-gpg-sign', '-m', 'Add a: the first change\n\nBody text.');
    const { stdout } = await git('rev-parse', 'HEAD');
    expect(await readHeadCommit(dir)).toEqual({
      sha: stdout.trim(),
      authorTime: '2026-03-04T03:06:07.000Z',
      message: 'Add a: the first change',
      branch: 'trunk',
    });
  });

  it('reads from a subfolder and reports a detached HEAD as no branch', async () => {
    await git('init', '--quiet');
    await writeFile(path.join(dir, 'a.txt'), 'a');
    await git('add', 'a.txt');
    await git('commit', '--quiet', '--no-gpg-sign', '-m', 'one');
    await git('checkout', '--quiet', '--detach');
    const sub = path.join(dir, 'sub');
    await run('mkdir', [sub]);
    expect(await readHeadCommit(sub)).toMatchObject({ message: 'one', branch: null });
  });

  it('returns undefined outside a repository and in one without commits', async () => {
    expect(await readHeadCommit(dir)).toBeUndefined();
    await git('init', '--quiet');
    expect(await readHeadCommit(dir)).toBeUndefined();
  });

  it('returns undefined for a folder that does not exist', async () => {
    expect(await readHeadCommit(path.join(dir, 'nope'))).toBeUndefined();
  });
});
