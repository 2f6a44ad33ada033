import { constants } from 'node:fs';
import { chmod, cp, lchown, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
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
    await cp(options.source, partial, {
      recursive: true,
      verbatimSymlinks: true,
      mode: constants.COPYFILE_FICLONE,
    });
    await makeOwn(partial, options.runAs);
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

/**
 * Artifact files are read-only (0444/0555); the instance's copy is its own: writable by its
 * owner, and owned by the run-as user when there is one. Links are left as they are.
 */
async function makeOwn(root: string, runAs: RunAs | undefined): Promise<void> {
  const visit = async (dir: string): Promise<void> => {
    await chmod(dir, 0o755);
    if (runAs !== undefined) await lchown(dir, runAs.uid, runAs.gid);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await visit(full);
        continue;
      }
      if (entry.isFile()) {
        const executable = ((await stat(full)).mode & 0o111) !== 0;
        await chmod(full, executable ? 0o755 : 0o644);
      }
      if (runAs !== undefined) await lchown(full, runAs.uid, runAs.gid);
    }
  };
  await visit(root);
}
