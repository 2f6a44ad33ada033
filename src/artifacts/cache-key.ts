import { stat } from 'node:fs/promises';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { FlowlineError, type Issue } from '../core/errors.js';
import { type Buffers, forEachLimit, hashFile, newBuffers } from './copy.js';
import { comparePaths, sha256Hex } from './manifest.js';
import type { CacheKey, CacheKeyInput } from './types.js';

/** Lockfiles always in the key when present in cwd: a dependency bump is a different build. */
const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock', 'bun.lockb'];

/** Folders skipped by a glob unless the glob names them (`**` must not mean "all of node_modules"). */
const SKIPPED = ['node_modules', '.git', '.flowline'];

const FORMAT = 'flowline-cache-key/1';
const CONCURRENCY = 8;

/**
 * The build's cache key: sha256 over the command, the declared environment variables (an unset
 * one differs from an empty one), and the sorted relative paths and content hashes of every
 * input file and lockfile. Nothing machine-specific goes in (no absolute paths, mtimes, owners
 * or modes), so the same commit gives the same key on a laptop and in CI.
 */
export async function computeCacheKey(input: CacheKeyInput): Promise<CacheKey> {
  const cwd = path.resolve(input.cwd);
  const negated = input.inputs.filter((g) => g.startsWith('!')).map((g) => g.slice(1));
  const files = new Set<string>();
  const empty: string[] = [];
  for (const pattern of input.inputs.filter((g) => !g.startsWith('!'))) {
    const ignore = [
      ...negated,
      ...SKIPPED.filter((name) => !names(pattern, name)).map((name) => `**/${name}/**`),
    ];
    const matched = await glob(pattern, { cwd, dot: true, onlyFiles: true, ignore });
    if (matched.length === 0) empty.push(pattern);
    for (const m of matched) files.add(m);
  }
  if (empty.length > 0) throw inputEmpty(empty, cwd);
  for (const name of LOCKFILES) {
    if ((await stat(path.join(cwd, name)).catch(() => undefined))?.isFile()) files.add(name);
  }

  const sorted = [...files].sort(comparePaths);
  const hashes = new Map<string, string>();
  const buffers: Buffers[] = [];
  await forEachLimit(sorted, CONCURRENCY, async (rel, worker) => {
    buffers[worker] ??= newBuffers();
    hashes.set(rel, (await hashFile(path.join(cwd, rel), buffers[worker])).sha256);
  });
  const env = Object.keys(input.env)
    .sort(comparePaths)
    .map((name) => [name, input.env[name] ?? null]);
  const canonical = JSON.stringify({
    format: FORMAT,
    command: input.command,
    env,
    files: sorted.map((rel) => [rel, hashes.get(rel)]),
  });
  return { key: `sha256:${sha256Hex(canonical)}`, files: sorted.length };
}

/** Whether a glob names the folder itself (then it is not skipped for that glob). */
function names(pattern: string, folder: string): boolean {
  return pattern.split('/').some((segment) => segment.includes(folder));
}

function inputEmpty(globs: readonly string[], cwd: string): FlowlineError {
  const issues: Issue[] = globs.map((g) => ({
    code: 'input_glob_empty',
    message: `${g} matches no file`,
    path: 'build.inputs',
  }));
  const [first] = globs;
  return new FlowlineError(
    'FLOWLINE_BUILD_INPUT_EMPTY',
    globs.length === 1
      ? `The build input ${first} matches no file in ${cwd}.`
      : `${globs.length} build inputs match no file in ${cwd}: ${globs.join(', ')}.`,
    {
      hint: 'Globs are relative to the repo root; node_modules, .git and .flowline are skipped unless a glob names them. Fix or remove it in `build.inputs`.',
      location: { path: 'build.inputs' },
      issues,
    },
  );
}
