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
import type { RevisionSpec } from './types.js';

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

/** The folders an instance runs with. */
export interface InstanceFolders {
  /** Its own copy of the artifact: its HOME, where its command runs. */
  readonly home: string;
  /** Its own scratch folder: its TMPDIR. */
  readonly scratch: string;
  /** Its environment's persistent data folder: FLOWLINE_DATA_DIR. */
  readonly data: string;
}

/** Prepares (or finds, after a restart) the three folders of an instance. */
export async function prepareInstanceFolders(options: {
  readonly workRoot: string;
  readonly instanceId: string;
  readonly spec: Pick<RevisionSpec, 'workdir' | 'service' | 'environment'>;
  readonly runAs?: RunAs | undefined;
}): Promise<InstanceFolders> {
  const { workRoot, instanceId, spec, runAs } = options;
  return {
    home: await prepareInstanceDir({ workRoot, instanceId, source: spec.workdir, runAs }),
    scratch: await prepareScratchDir(workRoot, instanceId, runAs),
    data: await prepareDataDir(workRoot, spec.service, spec.environment, runAs),
  };
}

/** Removes an instance's folders, its copy and its scratch folder (its process is gone). */
export async function removeInstanceDir(workRoot: string, instanceId: string): Promise<void> {
  await rm(instanceDir(workRoot, instanceId), { recursive: true, force: true });
  await rm(scratchDir(workRoot, instanceId), { recursive: true, force: true });
}

/**
 * An instance's scratch folder, its TMPDIR: its own, so temporary files do not land in the
 * machine's shared /tmp (readable by every user when written with the usual umask) and do not
 * outlive the instance. Kept across a crash-restart of the instance (like its copy) and removed
 * with it. Instance ids always hold a `-`, so `scratch` and `data` beside them are never one's folder.
 */
export function scratchDir(workRoot: string, instanceId: string): string {
  return path.join(workRoot, 'scratch', instanceId);
}

/**
 * The persistent data folder of one environment of a service, its FLOWLINE_DATA_DIR: shared by
 * every instance and revision of that environment, kept across deploys and restarts, removed only
 * when the environment goes for good (a preview's deletion, see `Runtime.removeData`).
 */
export function dataDir(workRoot: string, service: string, environment: string): string {
  for (const name of [service, environment]) {
    // Names are DNS labels already; checked again because this path is deleted recursively.
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
      throw new FlowlineError('FLOWLINE_RUNTIME_SPEC_INVALID', `\`${name}\` cannot name a data folder.`, {
        hint: 'Service and environment names are letters, digits, `.`, `_` and `-`.',
      });
    }
  }
  return path.join(workRoot, 'data', service, environment);
}

/** Creates the instance's scratch folder unless it exists: 0700, the run-as user's. */
export async function prepareScratchDir(
  workRoot: string,
  instanceId: string,
  runAs: RunAs | undefined,
): Promise<string> {
  const dir = scratchDir(workRoot, instanceId);
  if (!(await ownFolder(dir, runAs))) {
    // Another user's leftovers (FLOWLINE_RUN_AS changed): scratch holds nothing worth keeping.
    await rm(dir, { recursive: true, force: true });
    await ownFolder(dir, runAs);
  }
  return dir;
}

/** Creates the environment's data folder on its first start: 0700, the run-as user's. */
export async function prepareDataDir(
  workRoot: string,
  service: string,
  environment: string,
  runAs: RunAs | undefined,
): Promise<string> {
  const dir = dataDir(workRoot, service, environment);
  if (await ownFolder(dir, runAs)) return dir;
  const info = await stat(dir);
  throw new FlowlineError(
    'FLOWLINE_RUNTIME_SPEC_INVALID',
    `The data folder of ${service}/${environment}, ${dir}, belongs to uid ${info.uid}, not to ${runAs?.name} whom instances run as.`,
    {
      // Flowline runs as root here: it does not walk a tree the app controls to chown it.
      hint: `FLOWLINE_RUN_AS changed since the data was written: give it to the new user (chown -R ${runAs?.uid}:${runAs?.gid} ${dir}), or set FLOWLINE_RUN_AS back.`,
    },
  );
}

/** Removes an environment's data folder and what the app kept in it. */
export async function removeDataDir(workRoot: string, service: string, environment: string): Promise<void> {
  await rm(dataDir(workRoot, service, environment), { recursive: true, force: true });
}

/**
 * Makes `dir` a folder only its user can enter (0700), owned by `runAs` when there is one; the
 * folders above it are Flowline's and only traversable (0711), so they cannot be listed. An empty
 * folder is taken over (a start that stopped between mkdir and chown); false when `dir` holds
 * files of another user.
 */
async function ownFolder(dir: string, runAs: RunAs | undefined): Promise<boolean> {
  await mkdir(path.dirname(dir), { recursive: true, mode: 0o711 });
  await mkdir(dir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await chmod(dir, 0o700);
  if (runAs === undefined) return true;
  const info = await stat(dir);
  if (info.uid === runAs.uid && info.gid === runAs.gid) return true;
  if ((await readdir(dir)).length > 0) return false;
  await lchown(dir, runAs.uid, runAs.gid);
  return true;
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
