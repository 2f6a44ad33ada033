import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { FlowlineError, type Issue } from '../core/errors.js';
import { counted } from '../core/plural.js';
import { type Buffers, forEachLimit, hashFile, newBuffers } from './copy.js';
import { comparePaths, type Manifest } from './manifest.js';

type OnDisk =
  | { readonly kind: 'file'; readonly size: number; readonly executable: boolean }
  | { readonly kind: 'symlink' | 'dir' | 'other' };

interface Problem {
  readonly path: string;
  readonly code: 'artifact_file_changed' | 'artifact_file_missing' | 'artifact_file_added';
  /** What is wrong with it, without its path. */
  readonly detail: string;
}

const CONCURRENCY = 4;
/** Enough to see the shape of the damage without flooding a terminal. */
const MAX_ISSUES = 20;

/**
 * Compares a stored folder with its manifest: every listed entry present with the same type,
 * executable bit, size, content hash or link target, and nothing else there. Throws
 * FLOWLINE_ARTIFACT_CORRUPT naming the first problem in path order (all of them, up to 20, as issues).
 */
export async function checkTree(dir: string, manifest: Manifest, digest: string): Promise<void> {
  const onDisk = new Map<string, OnDisk>();
  try {
    await listTree(dir, '', onDisk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new FlowlineError(
      'FLOWLINE_ARTIFACT_CORRUPT',
      `Artifact ${digest} is corrupt: its folder ${dir} is missing.`,
      {
        hint: 'Do not deploy it: rebuild it with the pipeline.',
      },
    );
  }
  const implied = new Set<string>();
  for (const e of manifest.entries) {
    for (let d = path.posix.dirname(e.path); d !== '.'; d = path.posix.dirname(d)) implied.add(d);
  }
  const problems: Problem[] = [];
  const changed = (p: string, detail: string) =>
    problems.push({ path: p, code: 'artifact_file_changed', detail });

  const listed = new Set(manifest.entries.map((e) => e.path));
  for (const [rel, entry] of onDisk) {
    if (entry.kind === 'dir' ? !implied.has(rel) : !listed.has(rel)) {
      problems.push({ path: rel, code: 'artifact_file_added', detail: 'was added' });
    }
  }
  const toHash: { rel: string; sha256: string }[] = [];
  for (const e of manifest.entries) {
    const found = onDisk.get(e.path);
    if (found === undefined) {
      problems.push({ path: e.path, code: 'artifact_file_missing', detail: 'is missing' });
    } else if (e.type === 'symlink') {
      if (found.kind !== 'symlink') changed(e.path, 'is no longer a symbolic link');
      else {
        const target = await readlink(path.join(dir, e.path));
        if (target !== e.target) changed(e.path, `now points to ${target} instead of ${e.target}`);
      }
    } else if (found.kind !== 'file') {
      changed(e.path, 'is no longer a regular file');
    } else if (found.executable !== (e.mode === '755')) {
      changed(e.path, e.mode === '755' ? 'lost its executable bit' : 'became executable');
    } else if (found.size !== e.size) {
      changed(e.path, `changed size (${counted(found.size, 'byte')}, the manifest says ${e.size})`);
    } else {
      toHash.push({ rel: e.path, sha256: e.sha256 });
    }
  }
  const buffers: Buffers[] = [];
  await forEachLimit(toHash, CONCURRENCY, async ({ rel, sha256 }, worker) => {
    buffers[worker] ??= newBuffers();
    const actual = await hashFile(path.join(dir, rel), buffers[worker]);
    if (actual.sha256 !== sha256) changed(rel, 'changed content (its sha256 differs from the manifest)');
  });
  if (problems.length === 0) return;

  problems.sort((a, b) => comparePaths(a.path, b.path));
  const first = problems[0] as Problem;
  const more = problems.length > 1 ? ` (and ${counted(problems.length - 1, 'more problem')})` : '';
  const issues: Issue[] = problems
    .slice(0, MAX_ISSUES)
    .map((p) => ({ code: p.code, message: p.detail, path: p.path }));
  throw new FlowlineError(
    'FLOWLINE_ARTIFACT_CORRUPT',
    `Artifact ${digest} is corrupt: ${first.path} ${first.detail}${more}.`,
    {
      hint: 'Do not deploy it: find out who changed files under the artifact store, then rebuild it with the pipeline.',
      location: { file: path.join(dir, first.path) },
      issues,
    },
  );
}

async function listTree(dir: string, rel: string, out: Map<string, OnDisk>): Promise<void> {
  const children = await readdir(path.join(dir, rel), { withFileTypes: true });
  for (const child of children) {
    const childRel = rel === '' ? child.name : `${rel}/${child.name}`;
    if (child.isDirectory()) {
      out.set(childRel, { kind: 'dir' });
      await listTree(dir, childRel, out);
    } else if (child.isFile()) {
      const s = await lstat(path.join(dir, childRel));
      out.set(childRel, { kind: 'file', size: s.size, executable: (s.mode & 0o111) !== 0 });
    } else {
      out.set(childRel, { kind: child.isSymbolicLink() ? 'symlink' : 'other' });
    }
  }
}
