import { constants, type Dirent } from 'node:fs';
import {
  chmod,
  copyFile,
  lchown,
  mkdir,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import path from 'node:path';
import { FlowlineError } from '../core/errors.js';

/** An unprivileged user instances run as when Flowline runs as root. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
  /** As configured, for messages. */
  readonly name: string;
}

/**
 * Each instance runs in its own copy of the artifact under the work root, never in the artifact
 * store (a stateful app would rewrite the shared, content-addressed files) and never inside
 * FLOWLINE_HOME (docs/adr/0010-trust-model.md). The copy is writable by the instance's user and
 * owned by it; it survives a crash-restart of the instance (like a pod's volume) and is removed
 * when the instance stops for good.
 */
export function instanceDir(workRoot: string, instanceId: string): string {
  return path.join(workRoot, instanceId);
}

/**
 * Creates the instance's folder from the artifact unless it exists already (a restart keeps it).
 * The copy is made beside it and renamed into place, so a crash never leaves a half copy that a
 * later start would take for whole.
 */
export async function prepareInstanceDir(options: {
  readonly workRoot: string;
  readonly instanceId: string;
  readonly source: string;
  readonly runAs?: RunAs | undefined;
}): Promise<string> {
  const dir = instanceDir(options.workRoot, options.instanceId);
  if ((await stat(dir).catch(() => undefined))?.isDirectory() === true) return dir;
  // The root is traversable by the instance's user; its contents are each instance's own.
  await mkdir(options.workRoot, { recursive: true, mode: 0o711 });
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  try {
    await copyOwnTree(options.source, partial, options.runAs);
    await chmod(partial, 0o700);
    await rename(partial, dir);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw new FlowlineError(
      'FLOWLINE_RUNTIME_SPEC_INVALID',
      `Cannot prepare the folder of ${options.instanceId} from ${options.source}: ${(error as Error).message}`,
      { hint: 'Check that the work folder (FLOWLINE_WORK_DIR) is writable and has room.', cause: error },
    );
  }
  return dir;
}

/** Removes an instance's folder (its process is gone). */
export async function removeInstanceDir(workRoot: string, instanceId: string): Promise<void> {
  await rm(instanceDir(workRoot, instanceId), { recursive: true, force: true });
}

/** Files copied at once: enough to hide each file's few system calls behind the others'. */
const CONCURRENCY = 16;

/**
 * Copies a tree as the instance's own (artifact files are read-only, 0444/0555): folders 0755,
 * files 0644 or 0755 as the artifact has them, owned by the run-as user when there is one; links
 * are copied as links. Folders first, then the files in parallel (the copy itself is a clone or
 * an in-kernel copy where the filesystem allows).
 */
async function copyOwnTree(source: string, dest: string, runAs: RunAs | undefined): Promise<void> {
  const entries = await readdir(source, { recursive: true, withFileTypes: true });
  const own = async (target: string) => {
    if (runAs !== undefined) await lchown(target, runAs.uid, runAs.gid);
  };
  await mkdir(dest, { mode: 0o755 });
  await own(dest);
  const rel = (entry: Dirent) => path.relative(source, path.join(entry.parentPath, entry.name));
  const dirs = entries
    .filter((e) => e.isDirectory())
    .map(rel)
    .sort();
  for (const d of dirs) {
    await mkdir(path.join(dest, d), { mode: 0o755 });
    await own(path.join(dest, d));
  }
  const rest = entries.filter((e) => !e.isDirectory());
  let next = 0;
  const worker = async () => {
    while (next < rest.length) {
      const entry = rest[next++] as Dirent;
      const from = path.join(source, rel(entry));
      const to = path.join(dest, rel(entry));
      if (entry.isSymbolicLink()) {
        await symlink(await readlink(from), to);
      } else if (entry.isFile()) {
        await copyFile(from, to, constants.COPYFILE_FICLONE);
        await chmod(to, ((await stat(from)).mode & 0o111) !== 0 ? 0o755 : 0o644);
      } else {
        continue; // artifacts hold only files and links
      }
      await own(to);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}
