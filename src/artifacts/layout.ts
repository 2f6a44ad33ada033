import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isAlive } from '../core/process.js';
import { withLock } from './lock.js';

/**
 * The store on disk:
 *
 *     <root>/objects/sha256/<hex>/               the files, read-only (0444/0555, folders 0555)
 *     <root>/objects/sha256/<hex>.manifest.json  present only once the folder beside it is complete
 *     <root>/tmp/<pid>.<random>/                 staging of one put, or the remains of a removal
 *     <root>/lock/                               held while committing or removing (see lock.ts)
 *
 * The manifest is renamed into place last, so "manifest present" means "artifact complete".
 */
export interface Layout {
  readonly root: string;
  readonly objects: string;
  readonly tmp: string;
  readonly lock: string;
}

export function layoutOf(root: string): Layout {
  return {
    root,
    objects: path.join(root, 'objects', 'sha256'),
    tmp: path.join(root, 'tmp'),
    lock: path.join(root, 'lock'),
  };
}

export const objectDir = (layout: Layout, hex: string) => path.join(layout.objects, hex);
export const manifestFile = (layout: Layout, hex: string) =>
  path.join(layout.objects, `${hex}.manifest.json`);

/** Runs `fn` holding the store's commit lock. */
export function locked<T>(layout: Layout, fn: () => Promise<T>): Promise<T> {
  return withLock(layout.lock, layout.tmp, fn);
}

/** A fresh staging folder, named after this process so a later open can tell if it is abandoned. */
export async function newTmpDir(layout: Layout): Promise<string> {
  const dir = path.join(layout.tmp, `${process.pid}.${randomBytes(8).toString('hex')}`);
  await mkdir(dir);
  return dir;
}

/** A staging folder is abandoned when its process is gone, or (pid reused) after a day. */
const ABANDONED_AFTER_MS = 24 * 3_600_000;

/**
 * Crash recovery, run once when the store is first used: removes staging folders of dead
 * processes, and object folders whose manifest never arrived (a crash between the two renames
 * of a commit). Other processes' live puts are left alone.
 */
export async function recover(layout: Layout): Promise<void> {
  await mkdir(layout.objects, { recursive: true });
  await mkdir(layout.tmp, { recursive: true });
  for (const name of await readdir(layout.tmp)) {
    const pid = Number(name.split('.')[0]);
    const dir = path.join(layout.tmp, name);
    const abandoned =
      !Number.isInteger(pid) ||
      pid <= 0 ||
      (pid !== process.pid && !isAlive(pid)) ||
      // Wall-clock time on purpose: it is compared with the filesystem's own timestamps.
      Date.now() - ((await stat(dir).catch(() => undefined))?.mtimeMs ?? 0) > ABANDONED_AFTER_MS;
    if (abandoned) await removeTree(dir);
  }
  // Under the lock, no commit is between its renames: a folder without a manifest is debris.
  await locked(layout, async () => {
    const names = new Set(await readdir(layout.objects));
    for (const name of names) {
      if (/^[0-9a-f]{64}$/.test(name) && !names.has(`${name}.manifest.json`)) {
        await removeTree(path.join(layout.objects, name));
      }
    }
  });
}

/**
 * Takes an artifact out of `objects/` (manifest first, so it stops being served before its
 * files go), into a staging folder the caller removes outside the lock.
 */
export async function uncommit(layout: Layout, hex: string): Promise<string> {
  const trash = await newTmpDir(layout);
  await rename(manifestFile(layout, hex), path.join(trash, 'manifest.json'));
  const dir = objectDir(layout, hex);
  // Moving a folder to another parent rewrites its `..`, which needs write permission on it.
  await chmod(dir, 0o755).catch(() => undefined);
  await rename(dir, path.join(trash, 'files')).catch(ignoreMissing);
  return trash;
}

/** `rm -rf` that also works on read-only artifact folders (unlinking needs a writable parent). */
export async function removeTree(dir: string): Promise<void> {
  await makeWritable(dir);
  await rm(dir, { recursive: true, force: true });
}

async function makeWritable(dir: string): Promise<void> {
  try {
    await chmod(dir, 0o755);
    const children = await readdir(dir, { withFileTypes: true });
    for (const child of children) if (child.isDirectory()) await makeWritable(path.join(dir, child.name));
  } catch (error) {
    if (!['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  }
}

export function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
