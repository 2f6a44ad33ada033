import { chmod, mkdir, open, stat } from 'node:fs/promises';

/**
 * Flowline's state is for its own user only (ADR 0010): the store's folder (FLOWLINE_HOME) is 0700,
 * the store and SQLite's `-wal` and `-shm` files beside it 0600. New ones are created so; older
 * ones, created under a permissive umask, are tightened when the store opens.
 */

const PRIVATE_FOLDER = 0o700;
const PRIVATE_FILE = 0o600;

/**
 * Creates the folder (and missing parents) 0700, or takes group and other access off an existing
 * one. A shared folder (sticky or writable by others, like /tmp) is never changed: it is not
 * Flowline's, and the store file in it is 0600 anyway.
 */
export async function ensurePrivateFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: PRIVATE_FOLDER });
  const { mode } = await stat(dir);
  if ((mode & 0o1000) !== 0 || (mode & 0o002) !== 0) return;
  await tighten(dir);
}

/**
 * Creates the store file empty and 0600 if it does not exist, before SQLite does (SQLite would use
 * the umask, typically 0644, and gives its `-wal` and `-shm` files the mode of the store file), and
 * tightens an existing store and its companions.
 */
export async function ensurePrivateStoreFile(file: string): Promise<void> {
  try {
    await (await open(file, 'wx', PRIVATE_FILE)).close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) await tighten(path);
}

/** Removes group and other bits from a path this user owns; leaves anything else as it is. */
async function tighten(path: string): Promise<void> {
  let mode: number;
  let uid: number;
  try {
    ({ mode, uid } = await stat(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((mode & 0o077) === 0 || uid !== process.getuid?.()) return;
  await chmod(path, mode & 0o7700);
}
