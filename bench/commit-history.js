// What recording the commit history adds to a pipeline run (docs/pipeline.md, "Commit history"):
// a repository of 100,000 commits (written with `git fast-import`), its history recorded once;
// then, per run, one new commit, and the walk a run does — read the known heads from the store,
// `git log HEAD --not <known>` with numstat, record the new commits in a real SQLite store —
// against the one git call every run already makes (`readHeadCommit`), in the same run.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { median, round } from './lib/stats.js';

/**
 * The compiled modules from dist/, typed from src/.
 * @returns {Promise<[typeof import('../src/core/git.js'), typeof import('../src/store/index.js'),
 *   typeof import('../src/catalog/index.js'), typeof import('../src/metrics/commits.js')]>}
 */
function loadCompiled() {
  return Promise.all([
    import(new URL('../dist/core/git.js', import.meta.url).href),
    import(new URL('../dist/store/index.js', import.meta.url).href),
    import(new URL('../dist/catalog/index.js', import.meta.url).href),
    import(new URL('../dist/metrics/commits.js', import.meta.url).href),
  ]);
}

const COMMITS = 100_000;
const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};

/** A fast-import stream: COMMITS commits on main, each changing one of 1,000 files. */
function fastImport() {
  const parts = [];
  const start = 1_700_000_000;
  for (let i = 1; i <= COMMITS; i++) {
    const text = `line ${i}\n`;
    parts.push(
      `commit refs/heads/main\nmark :${i}\ncommitter Bench <bench@example.com> ${start + i * 60} +0000\n`,
      `data ${`change ${i}`.length}\nchange ${i}\n`,
      i === 1 ? '' : `from :${i - 1}\n`,
      `M 100644 inline file-${i % 1000}.txt\ndata ${Buffer.byteLength(text)}\n${text}\n`,
    );
  }
  return parts.join('');
}

/** @param {{ runs?: number }} [options] */
export async function benchCommitHistory(options = {}) {
  const runs = options.runs ?? 20;
  const [git, store, catalogs, commits] = await loadCompiled();
  const root = await mkdtemp(path.join(os.tmpdir(), 'flowline-bench-history-'));
  const repo = path.join(root, 'repo');
  const sh = (/** @type {string[]} */ ...args) =>
    execFileSync('git', args, { cwd: repo, env: GIT_ENV, maxBuffer: 256 * 1024 * 1024 }).toString();
  try {
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    const imported = spawnSync('git', ['fast-import', '--quiet'], { cwd: repo, input: fastImport() });
    if (imported.status !== 0) throw new Error(`git fast-import failed: ${imported.stderr}`);
    sh('checkout', '-q', '-f', 'main');
    const opened = await store.openStore({
      file: path.join(root, 'store', 'flowline.db'),
      clock: { now: () => new Date() },
    });
    const catalog = catalogs.createCatalog({ store: opened, clock: { now: () => new Date() } });
    await catalog.ensureService('bench');
    // What earlier runs recorded: the graph of the whole history (times and sizes do not matter here).
    const graph = sh('rev-list', '--parents', 'HEAD').trim().split('\n');
    const first = await catalog.startRun({ service: 'bench', where: { host: 'bench' } });
    const at = new Date().toISOString();
    await catalog.recordHistory(first.id, {
      head: /** @type {string} */ (graph[0]?.split(' ')[0]),
      truncated: false,
      shallow: false,
      commits: graph.map((line) => {
        const [sha = '', ...parents] = line.split(' ');
        const facts = {
          author: 'Bench',
          authoredAt: at,
          committedAt: at,
          subject: '',
          linesAdded: 1,
          linesDeleted: 0,
        };
        return { sha, parents, ...facts };
      }),
    });
    /** @type {number[]} */
    const walk = [];
    /** @type {number[]} */
    const head = [];
    let read = 0;
    for (let r = 0; r < runs; r++) {
      sh('commit', '-q', '--allow-empty', '--no-gpg-sign', '-m', `run ${r}`);
      let started = performance.now();
      await git.readHeadCommit(repo);
      head.push(performance.now() - started);
      started = performance.now();
      const known = await catalog.knownCommits('bench');
      const history = await git.readCommitHistory(repo, { known, max: commits.HISTORY_MAX_COMMITS });
      const run = await catalog.startRun({ service: 'bench', where: { host: 'bench' } });
      if (history === undefined) throw new Error('no history read');
      await catalog.recordHistory(run.id, history);
      walk.push(performance.now() - started);
      read += history.commits.length;
    }
    await opened.close();
    const w = median(walk);
    const h = median(head);
    return {
      name: 'commit-history',
      runs,
      results: [
        {
          what: `walk + record of the new commit (repo of ${COMMITS.toLocaleString('en')} commits)`,
          'median ms': round(w),
        },
        { what: 'readHeadCommit (every run already does it)', 'median ms': round(h) },
        { what: 'ratio walk / readHeadCommit', 'median ms': round(w / h) },
        { what: `commits read per run (mean)`, 'median ms': round(read / runs) },
      ],
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
