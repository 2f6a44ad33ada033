import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../core/process.js';

/**
 * A lock folder shared by every process using the store, held only for the few renames that
 * commit or remove an artifact (never while copying). It makes "is this digest stored? then
 * reuse it" in `put` and "is it old and unreferenced? then remove it" in `gc` atomic with respect
 * to each other. `mkdir` is atomic on every local filesystem; the owner's pid inside lets a lock
 * left by a crashed process be taken over at once, and any lock held far longer than a commit
 * takes is treated as abandoned.
 */
const STALE_MS = 60_000;

export async function withLock<T>(lockDir: string, trashDir: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isAbandoned(lockDir)) {
      // Renaming is atomic: of several processes breaking the same lock, one wins.
      const trash = path.join(trashDir, `${process.pid}.${randomBytes(6).toString('hex')}`);
      if (
        await rename(lockDir, trash).then(
          () => true,
          () => false,
        )
      )
        await rm(trash, { recursive: true, force: true });
      continue;
    }
    await sleep(Math.min(2 ** attempt, 50) + Math.random() * 5);
  }
  try {
    await writeFile(path.join(lockDir, 'pid'), String(process.pid));
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}

async function isAbandoned(lockDir: string): Promise<boolean> {
  const pid = Number(await readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => ''));
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isAlive(pid)) return true;
  // Wall-clock time on purpose: both sides of the comparison are the filesystem's clock.
  const info = await stat(lockDir).catch(() => undefined);
  return info !== undefined && Date.now() - info.mtimeMs > STALE_MS;
}
