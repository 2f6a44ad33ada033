import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCommitHistory } from './git.js';

const run = promisify(execFile);
let dir: string;

const git = async (...args: string[]) =>
  (
    await run('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Ada',
        GIT_AUTHOR_EMAIL: 'ada@example.com',
        GIT_COMMITTER_NAME: 'Bob',
        GIT_COMMITTER_EMAIL: 'bob@example.com',
        GIT_AUTHOR_DATE: '2026-03-04T05:06:07+02:00',
        GIT_COMMITTER_DATE: '2026-03-05T00:00:00Z',
        GIT_CONFIG_NOSYSTEM: '1',
        HOME: dir,
      },
    })
  ).stdout.trim();

/** Writes `text` to `file` and commits it; returns the sha. */
async function commit(file: string, text: string, message: string): Promise<string> {
  await writeFile(path.join(dir, file), text);
  await git('add', file);
  await git('commit', '--quiet', '--no-gpg-sign', '-m', message);
  return git('rev-parse', 'HEAD');
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'flowline-history-'));
  await git('init', '--quiet', '--initial-branch', 'main');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readCommitHistory', () => {
  it('reads every commit newest first, with parents, both times in UTC and lines changed', async () => {
    const a = await commit('a.txt', 'one\ntwo\nthree\n', 'Add a');
    const b = await commit('a.txt', 'one\n2\n', 'Change a');
    const history = await readCommitHistory(dir, { known: [], max: 100 });
    expect(history).toEqual({
      head: b,
      truncated: false,
      shallow: false,
      commits: [
        {
          sha: b,
          parents: [a],
          author: 'Ada <ada@example.com>',
          authoredAt: '2026-03-04T03:06:07.000Z',
          committedAt: '2026-03-05T00:00:00.000Z',
          subject: 'Change a',
          // `two` → `2` and `three` removed: git diff counts 1 added, 2 deleted.
          linesAdded: 1,
          linesDeleted: 2,
        },
        {
          sha: a,
          parents: [],
          author: 'Ada <ada@example.com>',
          authoredAt: '2026-03-04T03:06:07.000Z',
          committedAt: '2026-03-05T00:00:00.000Z',
          subject: 'Add a',
          linesAdded: 3,
          linesDeleted: 0,
        },
      ],
    });
  });

  it('walks only what is new since the known commits, ignoring known shas this clone lacks', async () => {
    const a = await commit('a.txt', 'a\n', 'A');
    const b = await commit('b.txt', 'b\n', 'B');
    const c = await commit('c.txt', 'c\n', 'C');
    const missing = 'f'.repeat(40);
    const history = await readCommitHistory(dir, { known: [a, missing], max: 100 });
    expect(history?.commits.map((x) => x.sha)).toEqual([c, b]);
  });

  it('includes both sides of a merge, and says when it stopped at max', async () => {
    const base = await commit('a.txt', 'a\n', 'base');
    await git('checkout', '--quiet', '-b', 'topic');
    const topic = await commit('t.txt', 't\n', 'topic');
    await git('checkout', '--quiet', 'main');
    const side = await commit('m.txt', 'm\n', 'main side');
    await git('merge', '--quiet', '--no-ff', '--no-gpg-sign', '-m', 'merge topic', 'topic');
    const merge = await git('rev-parse', 'HEAD');
    const all = await readCommitHistory(dir, { known: [base], max: 100 });
    expect(new Set(all?.commits.map((x) => x.sha))).toEqual(new Set([merge, side, topic]));
    expect(all?.commits[0]?.parents).toEqual([side, topic]);
    const cut = await readCommitHistory(dir, { known: [], max: 2 });
    expect(cut?.commits).toHaveLength(2);
    expect(cut?.truncated).toBe(true);
  });

  it('says when the clone is shallow, and reads what it has', async () => {
    await commit('a.txt', 'a\n', 'A');
    const b = await commit('b.txt', 'b\n', 'B');
    const clone = `${dir}-shallow`;
    await git('clone', '--quiet', '--depth', '1', `file://${dir}`, clone);
    try {
      const history = await readCommitHistory(clone, { known: [], max: 100 });
      expect(history).toMatchObject({ head: b, shallow: true, truncated: false });
      expect(history?.commits.map((c) => c.sha)).toEqual([b]);
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
  });

  it('is undefined outside a repository or before the first commit', async () => {
    expect(await readCommitHistory(dir, { known: [], max: 10 })).toBeUndefined();
    expect(await readCommitHistory(os.tmpdir(), { known: [], max: 10 })).toBeUndefined();
  });
});
