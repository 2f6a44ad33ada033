import { chmod, mkdir, rename, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { type Buffers, copyAndHash, forEachLimit, fsyncPath, newBuffers } from './copy.js';
import { ignoreMissing, type Layout, manifestFile, objectDir, removeTree } from './layout.js';
import type { ManifestEntry } from './manifest.js';
import type { SourceEntry } from './walk.js';

/** Files copied or synced at once: enough to overlap I/O with hashing, few enough for small machines. */
const CONCURRENCY = 4;

/** A bundle copied into a staging folder (`<root>/files/…`, manifest beside it once written). */
export interface Staged {
  readonly root: string;
  readonly manifest: ManifestEntry[];
  /** Regular files, for fsync. */
  readonly files: string[];
  /** Every folder under `files/` (itself included), deepest first. */
  readonly dirs: string[];
}

/** Copies the entries into `<staging>/files` while hashing them; folders end read-only. */
export async function stage(
  staging: string,
  entries: readonly SourceEntry[],
  onBytes: (n: number) => void,
): Promise<Staged> {
  const dest = path.join(staging, 'files');
  const dirs = new Set<string>(['']);
  for (const e of entries) {
    for (let d = path.posix.dirname(e.rel); d !== '.'; d = path.posix.dirname(d)) dirs.add(d);
  }
  const sortedDirs = [...dirs].sort(); // a parent sorts before its children
  for (const d of sortedDirs) await mkdir(path.join(dest, d));
  const manifest: ManifestEntry[] = [];
  const files: string[] = [];
  const buffers: Buffers[] = [];
  await forEachLimit(entries, CONCURRENCY, async (e, worker) => {
    const target = path.join(dest, e.rel);
    if (e.kind === 'symlink') {
      await symlink(e.target, target);
      manifest.push({ path: e.rel, type: 'symlink', target: e.target });
      return;
    }
    buffers[worker] ??= newBuffers();
    const mode = e.executable ? 0o555 : 0o444;
    const copy = await copyAndHash(e.abs, target, mode, buffers[worker], onBytes);
    files.push(target);
    manifest.push({ path: e.rel, type: 'file', mode: e.executable ? '755' : '644', ...copy });
  });
  const deepestFirst = sortedDirs.reverse().map((d) => path.join(dest, d));
  // The top folder stays writable until it is committed: moving a folder rewrites its `..`.
  for (const dir of deepestFirst.slice(0, -1)) await chmod(dir, 0o555);
  return { root: staging, manifest, files, dirs: deepestFirst };
}

/**
 * fsyncs every staged file, then every folder deepest first (so each folder's names are durable
 * after the things they name), then the staging folder (with the manifest in it). Deferred to
 * here, after the digest is known, so storing content that already exists costs no syncs.
 */
export async function makeDurable(staged: Staged): Promise<void> {
  await forEachLimit(staged.files, CONCURRENCY, (file) => fsyncPath(file));
  for (const dir of staged.dirs) await fsyncPath(dir);
  await fsyncPath(staged.root);
}

/**
 * Moves a staged artifact into `objects/` (the caller holds the lock): the folder first, then
 * the manifest, which makes it visible. An existing artifact is reused instead, its mtime
 * refreshed so gc counts it as just used. A copy that is not durable yet is never committed:
 * `needs-sync` asks the caller to sync (outside the lock) and try again.
 */
export async function commit(
  layout: Layout,
  hex: string,
  staging: string,
  now: Date,
  durable: boolean,
): Promise<'reused' | 'committed' | 'needs-sync'> {
  const manifest = manifestFile(layout, hex);
  const reused = await utimes(manifest, now, now).then(
    () => true,
    (error: unknown) => {
      ignoreMissing(error);
      return false;
    },
  );
  if (reused) return 'reused';
  if (!durable) return 'needs-sync';
  const dir = objectDir(layout, hex);
  await removeTree(dir); // debris of a crashed commit, if any (recovery normally got it)
  try {
    await rename(path.join(staging, 'files'), dir);
    await chmod(dir, 0o555);
    await fsyncPath(layout.objects);
    await rename(path.join(staging, 'manifest.json'), manifest);
    await utimes(manifest, now, now);
    await fsyncPath(layout.objects);
    return 'committed';
  } catch (error) {
    // Never leave a folder without its manifest, or a manifest without its folder.
    await rename(manifest, path.join(staging, 'manifest.json')).catch(() => undefined);
    await removeTree(dir);
    throw error;
  }
}
